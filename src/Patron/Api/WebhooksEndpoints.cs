using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Patron.Domain;
using Patron.Operations.Webhooks;
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

    private static WebhookEndpointSettings Operation(WebhookEndpointInput input) =>
        new(input.Url, input.Events, input.Enabled, input.Description, input.SignatureScheme);

    private static async Task<IResult> Create(
        HttpContext http, Caller caller, Writes writes, WebhookSecrets secrets, IOptions<PatronOptions> options)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<WebhookEndpointInput>();
        var (row, secret) = await WebhookEndpointOperations.PrepareAsync(secrets, options.Value.Webhooks.AllowPrivateTargets,
            caller.ProgramId, Operation(input), http.RequestAborted);
        return await writes.RunAsync(http, caller, async context =>
        {
            await WebhookEndpointOperations.CreateAsync(context, caller.Actor, row);
            return Reply.Created(WebhookEndpointDto.From(row, secret));
        });
    }

    private static async Task<IResult> Update(string id, HttpContext http, Caller caller, Writes writes, IOptions<PatronOptions> options)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<WebhookEndpointInput>();
        var change = await WebhookEndpointOperations.PrepareChangeAsync(options.Value.Webhooks.AllowPrivateTargets, Operation(input), http.RequestAborted);
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(WebhookEndpointDto.From(await WebhookEndpointOperations.UpdateAsync(context, caller.Actor, caller.ProgramId, id, change))));
    }

    private static async Task<IResult> Delete(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        return await writes.RunAsync(http, caller, async context =>
        {
            await WebhookEndpointOperations.DeleteAsync(context, caller.Actor, caller.ProgramId, id);
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
        var filter = new ListFilter(caller.ProgramId).Require("endpoint_id = @e", ("e", id))
            .Add("status = @s", "s", status)
            .Add("event_type = @t", "t", eventType)
            .Add("event_id = @ev", "ev", eventId);
        return TypedResults.Ok(await database.ReadAsync(async sql =>
        {
            if (await sql.ScalarAsync("SELECT 1 FROM webhook_endpoints WHERE id = @e AND program_id = @p", ("e", id), ("p", caller.ProgramId)) is null)
            {
                throw ApiException.NotFound("webhook endpoint", id);
            }
            return await filter.PageAsync(sql, WebhookDeliveryDto.Columns, "webhook_deliveries", WebhookDeliveryDto.Map, paging);
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
        await http.ReadNoFieldsAsync();
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
}
