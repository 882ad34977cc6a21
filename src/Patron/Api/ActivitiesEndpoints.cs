using System.Text.Json;
using Patron.Operations.Points;
using Patron.Storage;

namespace Patron.Api;

/// <summary>Activities (docs/API.md, Activities): a customer did something that earns points per the earn rules.</summary>
public static class ActivitiesEndpoints
{
    public sealed class ActivityInput
    {
        public string? CustomerId { get; set; }
        public string? Type { get; set; }
        public long? Points { get; set; }
        public string? Reference { get; set; }
        public JsonElement? Properties { get; set; }
    }

    public static RouteGroupBuilder MapActivitiesApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/activities").WithTags("Activities");
        group.MapPost("/", Create).WithSummary("Record an activity; it earns per the matching enabled earn rule, or the explicit points")
            .Accepts<ActivityInput>("application/json").Produces<ActivityDto>(201).Produces<ActivityDto>();
        group.MapGet("/", List).WithSummary("Activities that earned, most recent first; ?customer_id= and ?type= filter")
            .Produces<ListEnvelope<ActivityDto>>()
            .WithQuery(QueryParameter.Customer(), QueryParameter.Text("type", "An activity type, such as `signup` or `review`."));
        group.MapGet("/{id}", Get).WithSummary("One activity").Produces<ActivityDto>();
        return group;
    }

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<ActivityInput>();
        var activity = ActivityOperations.Validate(
            new ActivityReport(input.CustomerId, input.Type, input.Points, input.Reference, input.Properties));
        return await writes.RunAsync(http, caller, async context =>
        {
            var (recorded, created) = await ActivityOperations.RecordAsync(context, caller.Actor, caller.ProgramId, activity);
            return created ? Reply.Created(recorded) : Reply.Ok(recorded);
        });
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request, "type", "customer_id");
        return TypedResults.Ok(await ActivityOperations.ListAsync(
            db, caller.ProgramId, request.Query["customer_id"].ToString(), request.Query["type"].ToString(), paging));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db) =>
        TypedResults.Ok(await ActivityOperations.GetAsync(db, caller.ProgramId, id));
}
