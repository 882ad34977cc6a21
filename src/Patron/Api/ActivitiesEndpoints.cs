using System.Text.Json;
using Patron.Domain;
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
        var customerRef = input.CustomerId?.Trim() is { Length: > 0 } c ? c : throw ApiException.Missing("customer_id");
        var type = Activities.CheckType(input.Type, "type");
        if (input.Points is < 1 or > LedgerRules.MaxPointsPerEntry)
        {
            throw ApiException.Invalid("points", $"'points' must be a whole number from 1 to {LedgerRules.MaxPointsPerEntry}.");
        }
        var reference = Activities.CheckReference(input.Reference, "reference");
        var properties = Activities.CheckProperties(input.Properties, "properties");

        return await writes.RunAsync(http, caller, async context =>
        {
            var customer = await Customers.GetAsync(context.Sql, caller.ProgramId, customerRef);
            var (activity, created) = await Activities.RecordAsync(context, new Activities.Request(
                caller.ProgramId, customer.Id, type, input.Points, reference, properties, caller.KeyId));
            return created ? Reply.Created(activity) : Reply.Ok(activity);
        });
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request, "type", "customer_id");
        var type = request.Query["type"].ToString();
        var customerRef = request.Query["customer_id"].ToString();
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var filter = (await new ListFilter(caller.ProgramId).AddCustomerAsync(sql, customerRef))
                .Add("type = @t", "t", ActivityTypes.Canonical(type));
            return await Activities.ListAsync(sql, paging, filter.Where, filter.Args);
        }));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(async sql =>
            await Activities.GetAsync(sql, caller.ProgramId, id) ?? throw ApiException.NotFound("activity", id)));
}
