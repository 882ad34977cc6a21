using System.Text.Json;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Api;

/// <summary>Activities (docs/API.md, Activities): a customer did something that earns points per the earn rules.</summary>
public static class ActivitiesEndpoints
{
    private const int MaxPropertiesBytes = 16 * 1024;

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
            .Produces<ListEnvelope<ActivityDto>>();
        group.MapGet("/{id}", Get).WithSummary("One activity").Produces<ActivityDto>();
        return group;
    }

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<ActivityInput>();
        var customerRef = input.CustomerId?.Trim() is { Length: > 0 } c ? c : throw ApiException.Missing("customer_id");
        var rawType = input.Type?.Trim() is { Length: > 0 } t ? t : throw ApiException.Missing("type");
        if (!ActivityTypes.IsValid(rawType))
        {
            throw ApiException.Invalid("type",
                $"'type' must be 1 to {ActivityTypes.MaxLength} letters, digits, '_', '-', '.' or ':' (an optional leading '$' is allowed).");
        }
        var type = ActivityTypes.Canonical(rawType);
        if (type == ActivityTypes.PlaceOrder)
        {
            throw ApiException.Invalid("type", "Orders earn points through POST /orders, not as activities.");
        }
        if (input.Points is < 1 or > LedgerRules.MaxPointsPerEntry)
        {
            throw ApiException.Invalid("points", "'points' must be a whole number of at least 1.");
        }
        if (input.Reference is { } r && (r.Length is 0 or > 200))
        {
            throw ApiException.Invalid("reference", "'reference' must be 1 to 200 characters.");
        }
        string? properties = null;
        if (input.Properties is { ValueKind: not JsonValueKind.Null } p)
        {
            properties = p.ValueKind == JsonValueKind.Object
                ? p.GetRawText()
                : throw ApiException.Invalid("properties", "'properties' must be a JSON object.");
            if (System.Text.Encoding.UTF8.GetByteCount(properties) > MaxPropertiesBytes)
            {
                throw ApiException.Invalid("properties", $"'properties' is limited to {MaxPropertiesBytes} bytes of JSON.");
            }
        }

        return await writes.RunAsync(http, caller, async context =>
        {
            var customer = await Customers.GetAsync(context.Sql, caller.ProgramId, customerRef);
            var (activity, created) = await Activities.RecordAsync(context, new Activities.Request(
                caller.ProgramId, customer.Id, type, input.Points, input.Reference, properties, caller.KeyId));
            return created ? Reply.Created(activity) : Reply.Ok(activity);
        });
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request);
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
