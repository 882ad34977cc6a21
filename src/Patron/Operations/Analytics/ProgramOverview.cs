using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Analytics;

/// <summary>
/// The dashboard's overview (docs/ADMIN.md): members, points issued, spent, expired and outstanding, redemptions,
/// and the points earned and spent per UTC day over the last days.
/// </summary>
public static class ProgramOverview
{
    public sealed record Overview(
        long Members, long Blocked, long PointsIssued, long PointsSpent, long PointsExpired, long PointsOutstanding,
        long Redemptions, string Currency, decimal? PointValue, IReadOnlyList<DayPoints> Days);

    public sealed record DayPoints(DateTimeOffset Date, long Earned, long Spent);

    public static Task<Overview> ReadAsync(Database db, string programId, DateTimeOffset now, int days) =>
        db.ReadAsync(sql => ReadAsync(sql, programId, now, days));

    private static async Task<Overview> ReadAsync(Sql sql, string programId, DateTimeOffset now, int days)
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
}
