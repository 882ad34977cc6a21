using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Patron.Domain;
using Patron.Storage;
using Patron.Webhooks;

namespace Patron.Api;

/// <summary>
/// Webhook endpoints and their deliveries (docs/API.md, Webhook endpoints; section 4). Every
/// route needs the admin scope: endpoints are program configuration, and their delivery log shows
/// the merchant's own infrastructure.
/// </summary>
public static class WebhooksEndpoints
{
    public const int MaxEndpointsPerProgram = WebhooksLimits.MaxEndpointsPerProgram;

    private const int MaxDescription = 500;

    /// <summary>
    /// POST and PATCH body. In PATCH an absent or null field is left as it is and <c>""</c> clears
    /// <c>description</c>. <c>events</c> omitted on creation, or <c>["*"]</c>, subscribes to every type.
    /// </summary>
    public sealed class WebhookEndpointInput
    {
        public string? Url { get; set; }
        public List<string>? Events { get; set; }
        public bool? Enabled { get; set; }
        public string? Description { get; set; }

        /// <summary><c>patron</c> (the default) or <c>loyalino</c>: the latter adds the <c>Loyalino-Signature</c> header.</summary>
        public string? SignatureScheme { get; set; }
    }

    /// <summary>What <c>events</c> takes, for the API description: from <see cref="EventTypes.All"/>, so it cannot drift.</summary>
    public static readonly string EventsDescription =
        $"`events` lists the event types to receive, 1 to 50 of: {string.Join(", ", EventTypes.All.Select(t => $"`{t}`"))}; " +
        "`[\"*\"]` (the default on creation) subscribes to every type.";

    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        var endpoints = api.MapGroup("/webhook_endpoints").WithTags("Webhooks");
        endpoints.MapGet("/", List).WithSummary("List webhook endpoints (admin)").Produces<ListEnvelope<WebhookEndpointDto>>();
        endpoints.MapPost("/", Create).WithSummary("Create a webhook endpoint; its signing secret is shown only in this answer (admin)")
            .WithDescription(EventsDescription).Accepts<WebhookEndpointInput>("application/json").Produces<WebhookEndpointDto>(201);
        endpoints.MapGet("/{id}", Get).WithSummary("One webhook endpoint (admin)").Produces<WebhookEndpointDto>();
        endpoints.MapPatch("/{id}", Update).WithSummary("Change a webhook endpoint's url, events, description, or enable/disable it (admin)")
            .WithDescription(EventsDescription).Accepts<WebhookEndpointInput>("application/json").Produces<WebhookEndpointDto>();
        endpoints.MapDelete("/{id}", Delete).WithSummary("Delete a webhook endpoint and its delivery log (admin)").Produces<DeletedObject>();
        endpoints.MapGet("/{id}/deliveries", ListDeliveries)
            .WithSummary("The endpoint's delivery log, most recent first; ?status=pending|succeeded|failed, ?event_type=, ?event_id= (admin)")
            .Produces<ListEnvelope<WebhookDeliveryDto>>()
            .WithQuery(QueryParameter.OneOf("status", "The delivery's state.", "pending", "succeeded", "failed"),
                QueryParameter.Text("event_type", "An event type, such as `customer.created`."), QueryParameter.Text("event_id", "An event's id."));

        var deliveries = api.MapGroup("/webhook_deliveries").WithTags("Webhooks");
        deliveries.MapGet("/{id}", GetDelivery).WithSummary("One webhook delivery (admin)").Produces<WebhookDeliveryDto>();
        deliveries.MapPost("/{id}/retry", Retry)
            .WithSummary("Attempt a delivery again now, whatever its status (admin)").Produces<WebhookDeliveryDto>();
        return endpoints;
    }

    private static PatronDb Read(Database database, Caller caller) =>
        new(PatronDb.Options(database)) { ProgramId = caller.ProgramId };

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database database)
    {
        caller.RequireAdmin();
        var paging = Paging.From(request);
        await using var db = Read(database, caller);
        var query = db.WebhookEndpoints.AsQueryable();
        if (paging.StartingAfter is { } after)
        {
            query = query.Where(e => string.Compare(e.Id, after) < 0);
        }
        var rows = await query.OrderByDescending(e => e.Id).Skip(paging.Offset).Take(paging.Limit + 1).ToListAsync();
        long? total = paging.StartingAfter is null ? await db.WebhookEndpoints.LongCountAsync() : null;
        return TypedResults.Ok(paging.Envelope(rows.Select(r => WebhookEndpointDto.From(r)).ToList(), total));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database database)
    {
        caller.RequireAdmin();
        await using var db = Read(database, caller);
        var row = await db.WebhookEndpoints.FirstOrDefaultAsync(e => e.Id == id) ?? throw ApiException.NotFound("webhook endpoint", id);
        return TypedResults.Ok(WebhookEndpointDto.From(row));
    }

    private static async Task<IResult> Create(
        HttpContext http, Caller caller, Writes writes, WebhookSecrets secrets, IOptions<PatronOptions> options)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<WebhookEndpointInput>();
        var url = input.Url?.Trim() is { Length: > 0 } u ? u : throw ApiException.Missing("url");
        await CheckUrlAsync(url, options, http.RequestAborted);
        var events = WebhookEndpointWrites.EventsOf(input.Events) ?? WebhookEventTypes.Store([WebhookEventTypes.Wildcard]);
        var (row, secret) = WebhookEndpointWrites.NewRow(secrets, caller.ProgramId, url, events, DescriptionOf(input.Description),
            input.Enabled ?? true, SchemeOf(input.SignatureScheme) ?? WebhookSignatureSchemes.Patron);
        return await writes.RunAsync(http, caller, async context =>
        {
            await WebhookEndpointWrites.CreateAsync(context, row);
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.WebhookEndpointCreated, row.Id,
                null, WebhookEndpointDto.From(row));
            return Reply.Created(WebhookEndpointDto.From(row, secret));
        });
    }

    private static async Task<IResult> Update(
        string id, HttpContext http, Caller caller, Writes writes, IOptions<PatronOptions> options, Database database)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<WebhookEndpointInput>();
        var url = input.Url?.Trim();
        if (url is not null)
        {
            if (url.Length == 0)
            {
                throw ApiException.Invalid("url", "'url' cannot be empty.");
            }
            await CheckUrlAsync(url, options, http.RequestAborted);
        }
        var events = WebhookEndpointWrites.EventsOf(input.Events);
        var description = input.Description;
        var scheme = SchemeOf(input.SignatureScheme);
        var signal = WebhookSignal.For(database);
        return await writes.RunAsync(http, caller, async context =>
        {
            await using var db = PatronDb.For(context, caller.ProgramId);
            var row = await db.WebhookEndpoints.AsTracking().FirstOrDefaultAsync(e => e.Id == id)
                ?? throw ApiException.NotFound("webhook endpoint", id);
            var before = WebhookEndpointDto.From(row);
            if (url is not null)
            {
                row.Url = url;
            }
            if (events is not null)
            {
                row.Events = events;
            }
            if (description is not null)
            {
                row.Description = DescriptionOf(description);
            }
            if (scheme is not null)
            {
                row.SignatureScheme = scheme;
            }
            if (input.Enabled is { } enabled && enabled != row.Enabled)
            {
                row.Enabled = enabled;
                // Enabling starts afresh: deliveries paused while disabled are attempted again at once.
                row.DisabledReason = enabled ? null : "manual";
                row.FailingSince = null;
            }
            row.UpdatedAt = context.NowMs;
            await db.SaveChangesAsync();
            context.AfterCommit.Add(signal.EndpointsChanged);
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.WebhookEndpointUpdated, id,
                before, WebhookEndpointDto.From(row));
            return Reply.Ok(WebhookEndpointDto.From(row));
        });
    }

    private static string? SchemeOf(string? scheme) =>
        scheme is null || WebhookSignatureSchemes.IsValid(scheme) ? scheme
            : throw ApiException.Invalid("signature_scheme", "'signature_scheme' must be 'patron' or 'loyalino'.");

    private static async Task<IResult> Delete(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        return await writes.RunAsync(http, caller, async context =>
        {
            await using var db = PatronDb.For(context, caller.ProgramId);
            var before = await db.WebhookEndpoints.FirstOrDefaultAsync(e => e.Id == id);
            await WebhookEndpointWrites.DeleteAsync(context, caller.ProgramId, id);
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.WebhookEndpointDeleted, id,
                before is null ? null : WebhookEndpointDto.From(before), null);
            return Reply.Ok(new DeletedObject(id, "webhook_endpoint"));
        });
    }

    private static async Task<IResult> ListDeliveries(string id, HttpRequest request, Caller caller, Database database)
    {
        caller.RequireAdmin();
        var paging = Paging.From(request, "status", "event_type", "event_id");
        var status = request.Query["status"].ToString();
        if (status.Length > 0 && !WebhookDeliveryStatus.IsValid(status))
        {
            throw ApiException.Invalid("status", "'status' must be 'pending', 'succeeded' or 'failed'.");
        }
        var eventType = request.Query["event_type"].ToString();
        var eventId = request.Query["event_id"].ToString();
        var where = "endpoint_id = @e AND program_id = @p"
            + (status.Length > 0 ? " AND status = @s" : "")
            + (eventType.Length > 0 ? " AND event_type = @t" : "")
            + (eventId.Length > 0 ? " AND event_id = @ev" : "");
        var args = new List<(string, object?)> { ("e", id), ("p", caller.ProgramId), ("s", status), ("t", eventType), ("ev", eventId) };
        return TypedResults.Ok(await database.ReadAsync(async sql =>
        {
            if (await sql.ScalarAsync("SELECT 1 FROM webhook_endpoints WHERE id = @e AND program_id = @p", ("e", id), ("p", caller.ProgramId)) is null)
            {
                throw ApiException.NotFound("webhook endpoint", id);
            }
            var listArgs = new List<(string, object?)>(args);
            var rows = await sql.ListAsync(
                paging.Apply($"SELECT {WebhookDeliveryDto.Columns} FROM webhook_deliveries WHERE {where}", listArgs),
                WebhookDeliveryDto.Map, [.. listArgs]);
            long? total = paging.StartingAfter is null
                ? Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM webhook_deliveries WHERE {where}", [.. args]))
                : null;
            return paging.Envelope(rows, total);
        }));
    }

    private static Task<WebhookDeliveryDto?> DeliveryAsync(Sql sql, string id, string programId) =>
        sql.SingleAsync($"SELECT {WebhookDeliveryDto.Columns} FROM webhook_deliveries WHERE id = @id AND program_id = @p",
            WebhookDeliveryDto.Map, ("id", id), ("p", programId));

    private static async Task<IResult> GetDelivery(string id, Caller caller, Database database)
    {
        caller.RequireAdmin();
        return TypedResults.Ok(await database.ReadAsync(sql => DeliveryAsync(sql, id, caller.ProgramId))
            ?? throw ApiException.NotFound("webhook delivery", id));
    }

    /// <summary>
    /// A manual retry makes the delivery due now, whatever its status: one more attempt, counted with
    /// the others (a delivery that has used up its schedule is failed again if this attempt fails too).
    /// </summary>
    private static async Task<IResult> Retry(string id, HttpContext http, Caller caller, Writes writes, Database database)
    {
        caller.RequireAdmin();
        var signal = WebhookSignal.For(database);
        return await writes.RunAsync(http, caller, async context =>
        {
            var sql = context.Sql;
            var endpointId = await sql.ScalarAsync("SELECT endpoint_id FROM webhook_deliveries WHERE id = @id AND program_id = @p",
                ("id", id), ("p", caller.ProgramId)) as string ?? throw ApiException.NotFound("webhook delivery", id);
            if (await sql.ScalarAsync("SELECT 1 FROM webhook_endpoints WHERE id = @e AND enabled", ("e", endpointId)) is null)
            {
                throw ApiException.Conflict("webhook_endpoint_disabled",
                    "The delivery's endpoint is disabled; enable it first (PATCH enabled: true), which also resumes its pending deliveries.");
            }
            var changed = await sql.ExecuteAsync(
                """
                UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = @now, leased_by = NULL, completed_at = NULL
                WHERE id = @id AND NOT (status = 'pending' AND leased_by IS NOT NULL AND next_attempt_at > @now)
                """,
                ("now", context.NowMs), ("id", id));
            if (changed == 0)
            {
                throw ApiException.Conflict("delivery_in_progress", "An attempt of this delivery is in flight right now; look again in a few seconds.");
            }
            context.AfterCommit.Add(signal.Wake);
            return Reply.Ok((await DeliveryAsync(sql, id, caller.ProgramId))!);
        });
    }

    private static Task CheckUrlAsync(string url, IOptions<PatronOptions> options, CancellationToken ct) =>
        WebhookEndpointWrites.CheckUrlAsync(url, options.Value.Webhooks.AllowPrivateTargets, ct);

    private static string? DescriptionOf(string? description)
    {
        var trimmed = description?.Trim();
        return string.IsNullOrEmpty(trimmed) ? null
            : trimmed.Length <= MaxDescription ? trimmed
            : throw ApiException.Invalid("description", $"'description' is limited to {MaxDescription} characters.");
    }
}
