using Patron.Domain;
using Patron.Storage;
using Patron.Webhooks;

namespace Patron.Operations.Webhooks;

/// <summary>The delivery log of a webhook endpoint, as the dashboard pages it.</summary>
public static class WebhookDeliveryQueries
{
    /// <summary>An endpoint's deliveries, newest first, by <c>starting_after</c>.</summary>
    public static Task<CursorPage<WebhookDeliveryDto>> PageAsync(Database db, string programId, string endpointId, string? startingAfter, int limit) =>
        db.ReadAsync(async sql =>
        {
            var rows = await sql.ListAsync(
                $"SELECT {WebhookDeliveryDto.Columns} FROM webhook_deliveries WHERE endpoint_id = @e AND program_id = @p" +
                (startingAfter is null ? "" : " AND id < @after") + " ORDER BY id DESC LIMIT @n",
                WebhookDeliveryDto.Map, ("e", endpointId), ("p", programId), ("after", startingAfter), ("n", limit + 1));
            return CursorPage.Of(rows, limit, startingAfter);
        });
}
