using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// What the admin dashboard reads beyond the single-object lookups the API shares: the overview's
/// figures and lists paged by <c>starting_after</c> (newest first, one more row read to know whether more follow).
/// </summary>
public static class DashboardReads
{
    public const long DayMs = 86_400_000;

    public sealed record Overview(
        long Members, long Blocked, long PointsIssued, long PointsSpent, long PointsExpired, long PointsOutstanding,
        long Redemptions, string Currency, decimal? PointValue, IReadOnlyList<DayPoints> Days);

    public sealed record DayPoints(DateTimeOffset Date, long Earned, long Spent);

    public static async Task<Overview> OverviewAsync(Sql sql, string programId, DateTimeOffset now, int days)
    {
        var program = (await sql.ListAsync("SELECT currency, point_value_e4 FROM programs WHERE id = @p",
            r => (Currency: r.GetString(0), ValueE4: r.Int64OrNull(1)), ("p", programId))).FirstOrDefault();
        var totals = (await sql.ListAsync(
            """
            SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'blocked' THEN 1 ELSE 0 END), 0),
                   COALESCE(SUM(lifetime_points), 0), COALESCE(SUM(points_spent), 0), COALESCE(SUM(points_expired), 0),
                   COALESCE(SUM(points_balance), 0)
            FROM customers WHERE program_id = @p AND deleted_at IS NULL
            """,
            r => (Members: Convert.ToInt64(r.GetValue(0)), Blocked: Convert.ToInt64(r.GetValue(1)), Issued: Convert.ToInt64(r.GetValue(2)),
                Spent: Convert.ToInt64(r.GetValue(3)), Expired: Convert.ToInt64(r.GetValue(4)), Outstanding: Convert.ToInt64(r.GetValue(5))),
            ("p", programId)))[0];
        var redemptions = Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COUNT(*) FROM redemptions WHERE program_id = @p AND status <> 'cancelled'", ("p", programId)));

        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var from = today.AddDays(1 - days);
        var fromMs = from.ToUnixTimeMilliseconds();
        var rows = await sql.ListAsync(
            """
            SELECT (created_at - @from) / 86400000,
                   COALESCE(SUM(CASE WHEN points > 0 THEN points ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN points < 0 AND type = 'redeemed' THEN -points ELSE 0 END), 0)
            FROM points_transactions
            WHERE program_id = @p AND id >= @floor AND created_at >= @from
            GROUP BY 1
            """,
            r => (Day: Convert.ToInt32(r.GetValue(0)), Earned: Convert.ToInt64(r.GetValue(1)), Spent: Convert.ToInt64(r.GetValue(2))),
            ("p", programId), ("from", fromMs), ("floor", Ids.Floor("ptx_", fromMs)));
        var series = Enumerable.Range(0, days).Select(d =>
        {
            var row = rows.FirstOrDefault(r => r.Day == d);
            return new DayPoints(from.AddDays(d), row.Earned, row.Spent);
        }).ToList();
        return new Overview(totals.Members, totals.Blocked, totals.Issued, totals.Spent, totals.Expired, totals.Outstanding, redemptions,
            program.Currency ?? "USD", program.ValueE4 is { } v ? Money.FromE4(v) : null, series);
    }

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
