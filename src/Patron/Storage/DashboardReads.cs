using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// What the admin dashboard reads beyond the single-object lookups the API shares: the overview's
/// figures and lists paged by <c>starting_after</c> (newest first, one more row read to know whether more follow).
/// </summary>
public static class DashboardReads
{
    /// <summary>A customer's ledger, newest first.</summary>
    public static async Task<CursorPage<PointsTransactionDto>> LedgerAsync(Sql sql, string programId, string customerId, string? startingAfter, int limit)
    {
        var rows = await sql.ListAsync(
            $"SELECT {Ledger.Columns} FROM points_transactions WHERE customer_id = @c AND program_id = @p" +
            (startingAfter is null ? "" : " AND id < @after") + " ORDER BY id DESC LIMIT @n",
            Ledger.Map, ("c", customerId), ("p", programId), ("after", startingAfter), ("n", limit + 1));
        return Trim(rows, limit, startingAfter);
    }

    /// <summary>An endpoint's deliveries, newest first.</summary>
    public static async Task<CursorPage<Webhooks.WebhookDeliveryDto>> DeliveriesAsync(Sql sql, string programId, string endpointId, string? startingAfter, int limit)
    {
        var rows = await sql.ListAsync(
            $"SELECT {Webhooks.WebhookDeliveryDto.Columns} FROM webhook_deliveries WHERE endpoint_id = @e AND program_id = @p" +
            (startingAfter is null ? "" : " AND id < @after") + " ORDER BY id DESC LIMIT @n",
            Webhooks.WebhookDeliveryDto.Map, ("e", endpointId), ("p", programId), ("after", startingAfter), ("n", limit + 1));
        return Trim(rows, limit, startingAfter);
    }

    public static CursorPage<T> Trim<T>(List<T> rows, int limit, string? startingAfter) => CursorPage.Of(rows, limit, startingAfter);
}
