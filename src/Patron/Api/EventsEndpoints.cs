using System.Data.Common;
using System.Text.Json;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Api;

/// <summary>Every event ever emitted (docs/API.md, Events).</summary>
public static class EventsEndpoints
{
    public sealed record EventDto(string Id, string Type, DateTimeOffset CreatedAt, JsonElement Data)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "event";
    }

    private const string Columns = "id, type, created_at, data";

    private static EventDto Map(DbDataReader r)
    {
        using var doc = JsonDocument.Parse(StoredJson.Readable(r.GetString(3)));
        return new EventDto(r.GetString(0), r.GetString(1), PatronJson.FromMs(r.GetInt64(2)), doc.RootElement.Clone());
    }

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/events").WithTags("Events");
        group.MapGet("/", List).WithSummary("Events, most recent first, filtered by type")
            .WithDescription($"`type` filters by one event type: {string.Join(", ", EventTypes.All.Select(t => $"`{t}`"))}.")
            .Produces<ListEnvelope<EventDto>>()
            .WithQuery(QueryParameter.OneOf("type", "One event type.", [.. EventTypes.All]));
        group.MapGet("/{id}", Get).WithSummary("One event").Produces<EventDto>();
        return group;
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request, "type");
        var type = request.Query["type"].ToString();
        if (type.Length > 0 && !EventTypes.IsKnown(type))
        {
            throw ApiException.Invalid("type", $"'type' must be one of: {string.Join(", ", EventTypes.All)}.");
        }
        var filter = new ListFilter(caller.ProgramId).Add("type = @t", "t", type);
        return TypedResults.Ok(await db.ReadAsync(sql => filter.PageAsync(sql, Columns, "events", Map, paging)));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(async sql =>
            await sql.SingleAsync($"SELECT {Columns} FROM events WHERE id = @id AND program_id = @p", Map, ("id", id), ("p", caller.ProgramId))
            ?? throw ApiException.NotFound("event", id)));
}
