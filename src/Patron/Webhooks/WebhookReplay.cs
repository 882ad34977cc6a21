using Microsoft.Extensions.Logging.Abstractions;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Webhooks;

/// <summary>
/// Sending one delivery again, and a signed test event to one endpoint (docs/WEBHOOKS.md), for the front doors
/// that offer them (the admin dashboard's webhooks page).
/// </summary>
public static class WebhookReplay
{
    /// <summary>What <see cref="TestSendAsync"/> sends as the event's type; no event of this type is stored or fanned out.</summary>
    public const string TestEventType = "webhook.test";

    /// <summary>
    /// Makes a delivery due now, whatever its status: one more attempt of the same event, counted with the
    /// others. Refused when the endpoint is disabled or an attempt is in flight.
    /// </summary>
    public static async Task<string> ReplayAsync(WriteContext context, string programId, string deliveryId)
    {
        var sql = context.Sql;
        var endpointId = await sql.ScalarAsync("SELECT endpoint_id FROM webhook_deliveries WHERE id = @id AND program_id = @p",
            ("id", deliveryId), ("p", programId)) as string ?? throw OperationException.NotFound("webhook delivery", deliveryId);
        if (await sql.ScalarAsync("SELECT 1 FROM webhook_endpoints WHERE id = @e AND enabled", ("e", endpointId)) is null)
        {
            throw OperationException.Conflict("webhook_endpoint_disabled", "The delivery's endpoint is disabled; enable it first.");
        }
        var changed = await sql.ExecuteAsync(
            """
            UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = @now, leased_by = NULL, completed_at = NULL
            WHERE id = @id AND NOT (status = 'pending' AND leased_by IS NOT NULL AND next_attempt_at > @now)
            """,
            ("now", context.NowMs), ("id", deliveryId));
        if (changed == 0)
        {
            throw OperationException.Conflict("delivery_in_progress", "An attempt of this delivery is in flight right now; look again in a few seconds.");
        }
        context.AfterCommit.Add(WebhookSignal.For(context.Database).Wake);
        return endpointId;
    }

    /// <summary>
    /// Posts a signed <see cref="TestEventType"/> event to one endpoint now, as a delivery would be posted, and
    /// returns the attempt's outcome. Nothing is written: the delivery log is left as it was.
    /// </summary>
    public static async Task<WebhookAttempt> TestSendAsync(
        WebhookSecrets secrets, TimeProvider clock, WebhookOptions options, WebhookEndpointRow endpoint, CancellationToken abort)
    {
        using var sender = new WebhookSender(secrets, clock, options.AllowPrivateTargets, TimeSpan.FromSeconds(options.TimeoutSeconds),
            NullLogger.Instance);
        var id = Ids.New("evt_");
        var data = System.Text.Json.JsonSerializer.Serialize(new { endpoint_id = endpoint.Id, test = true });
        var target = new WebhookTarget(endpoint.Id, endpoint.Url, endpoint.Secret, endpoint.SignatureScheme);
        var claim = new WebhookClaim("whd_test", id, 0, new WebhookEvent(id, TestEventType, clock.GetUtcNow().ToUnixTimeMilliseconds(), data));
        return await sender.SendAsync(target, claim, abort)
            ?? throw OperationException.Conflict("test_send_cancelled", "The test send was cancelled.");
    }
}
