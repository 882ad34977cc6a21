using System.Text.Json;
using System.Text.Json.Nodes;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Api;

/// <summary>The audit trail (docs/AUDIT.md): who changed what, when, before and after (admin scope).</summary>
public static class AuditEventsEndpoints
{
    public sealed record ActorDto(string Kind, string Id);

    public sealed record AuditEventDto(
        string Id, string Action, ActorDto Actor, string SubjectType, string SubjectId,
        JsonElement? Before, JsonElement? After, DateTimeOffset CreatedAt)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "audit_event";

        public static AuditEventDto From(AuditEvent e) => new(
            e.Id, e.Action, new ActorDto(e.ActorKind, e.ActorId), e.SubjectType, e.SubjectId,
            Element(e.Before), Element(e.After), PatronJson.FromMs(e.CreatedAtMs));

        private static JsonElement? Element(JsonObject? snapshot) =>
            snapshot is null ? null : JsonSerializer.SerializeToElement(snapshot);
    }

    public static RouteGroupBuilder MapAuditEventsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/audit_events").WithTags("Audit trail");
        group.MapGet("/", List).WithSummary("Audit events, most recent first (admin)")
            .WithDescription($"Filters: `action` (one of {string.Join(", ", AuditActions.All.Select(a => $"`{a}`"))}), " +
                $"`subject_type` (one of {string.Join(", ", AuditActions.SubjectTypes.Select(t => $"`{t}`"))}), `subject_id`, `actor_id`.")
            .Produces<ListEnvelope<AuditEventDto>>()
            .WithQuery(
                QueryParameter.OneOf("action", "One kind of change.", [.. AuditActions.All]),
                QueryParameter.OneOf("subject_type", "One kind of changed thing.", [.. AuditActions.SubjectTypes]),
                QueryParameter.Text("subject_id", "The id of the changed thing."),
                QueryParameter.Text("actor_id", "Who made the change: an API key id, `cli`, or a staff user id."));
        group.MapGet("/{id}", Get).WithSummary("One audit event (admin)").Produces<AuditEventDto>();
        return group;
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        caller.RequireAdmin();
        var paging = Paging.From(request, "action", "subject_type", "subject_id", "actor_id");
        var q = request.Query;
        var action = q["action"].ToString();
        if (action.Length > 0 && !AuditActions.IsKnown(action))
        {
            throw ApiException.Invalid("action", $"'action' must be one of: {string.Join(", ", AuditActions.All)}.");
        }
        var subjectType = q["subject_type"].ToString();
        if (subjectType.Length > 0 && !AuditActions.SubjectTypes.Contains(subjectType))
        {
            throw ApiException.Invalid("subject_type", $"'subject_type' must be one of: {string.Join(", ", AuditActions.SubjectTypes)}.");
        }
        var filter = new ListFilter(caller.ProgramId)
            .Add("action = @action", "action", action)
            .Add("subject_type = @subject_type", "subject_type", subjectType)
            .Add("subject_id = @subject_id", "subject_id", q["subject_id"].ToString())
            .Add("actor_id = @actor_id", "actor_id", q["actor_id"].ToString());
        return TypedResults.Ok(await db.ReadAsync(sql =>
            filter.PageAsync(sql, AuditTrail.Columns, "audit_events", r => AuditEventDto.From(AuditTrail.Map(r)), paging)));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db)
    {
        caller.RequireAdmin();
        return TypedResults.Ok(await db.ReadAsync(async sql =>
            await sql.SingleAsync($"SELECT {AuditTrail.Columns} FROM audit_events WHERE id = @id AND program_id = @p",
                r => AuditEventDto.From(AuditTrail.Map(r)), ("id", id), ("p", caller.ProgramId))
            ?? throw ApiException.NotFound("audit event", id)));
    }
}
