using Patron.Domain;
using Patron.Storage;
using Patron.Webhooks;

namespace Patron.Operations.Webhooks;

/// <summary>The delivery log of a webhook endpoint, as the dashboard pages it.</summary>
public static class WebhookDeliveryQueries
{
    /// <summary>An endpoint's deliveries, newest first, by <c>starting_after</c>.</summary>
    public static Task<CursorPage<WebhookDeliveryDto>> PageAsync(Database db, string programId, string endpointId, string? startingAfter, int limit) =>
        db.ReadAsync(sql => new ListFilter(programId).Require("endpoint_id = @e", ("e", endpointId))
            .CursorPageAsync(sql, WebhookDeliveryDto.Columns, "webhook_deliveries", WebhookDeliveryDto.Map, startingAfter, limit));
}
