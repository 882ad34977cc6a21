using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Analytics;

/// <summary>
/// The dashboard's overview (docs/ADMIN.md): members, points issued, spent, expired and outstanding, redemptions,
/// and the points earned and spent per UTC day over the last days. These are its queries;
/// <see cref="OverviewFigures"/> decides which run on a page load and which are kept.
/// </summary>
public static class ProgramOverview
{
    public sealed record Overview(
        long Members, long Blocked, long PointsIssued, long PointsSpent, long PointsExpired, long PointsOutstanding,
        long Redemptions, string Currency, decimal? PointValue, IReadOnlyList<DayPoints> Days, DateTimeOffset? TotalsAsOf = null);

    public sealed record DayPoints(DateTimeOffset Date, long Earned, long Spent);

    /// <summary>The figures that need every customer row of the program: erased customers are not counted.</summary>
    public sealed record Totals(long Members, long Blocked, long PointsIssued, long PointsSpent, long PointsExpired, long PointsOutstanding);

    /// <summary>Points earned (every positive entry) and spent (redemptions) in one period of a <see cref="SumsAsync"/>.</summary>
    public readonly record struct Sums(long Earned, long Spent)
    {
        public static Sums operator +(Sums a, Sums b) => new(a.Earned + b.Earned, a.Spent + b.Spent);
    }

    public static async Task<(string Currency, decimal? PointValue)> ProgramAsync(Sql sql, string programId)
    {
        var program = (await sql.ListAsync("SELECT currency, point_value_e4 FROM programs WHERE id = @p",
            r => (Currency: r.GetString(0), ValueE4: r.Int64OrNull(1)), ("p", programId))).FirstOrDefault();
        return (program.Currency ?? "USD", program.ValueE4 is { } v ? Money.FromE4(v) : null);
    }

    /// <summary>One pass over the program's customers: on a large program, seconds (docs/PERFORMANCE.md).</summary>
    public static async Task<Totals> TotalsAsync(Sql sql, string programId) =>
        (await sql.ListAsync(
            """
            SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'blocked' THEN 1 ELSE 0 END), 0),
                   COALESCE(SUM(lifetime_points), 0), COALESCE(SUM(points_spent), 0), COALESCE(SUM(points_expired), 0),
                   COALESCE(SUM(points_balance), 0)
            FROM customers WHERE program_id = @p AND deleted_at IS NULL
            """,
            r => new Totals(Convert.ToInt64(r.GetValue(0)), Convert.ToInt64(r.GetValue(1)), Convert.ToInt64(r.GetValue(2)),
                Convert.ToInt64(r.GetValue(3)), Convert.ToInt64(r.GetValue(4)), Convert.ToInt64(r.GetValue(5))),
            ("p", programId)))[0];

    /// <summary>Redemptions not cancelled.</summary>
    public static async Task<long> RedemptionsAsync(Sql sql, string programId) =>
        Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COUNT(*) FROM redemptions WHERE program_id = @p AND status <> 'cancelled'", ("p", programId)));

    /// <summary>
    /// Points earned and spent by the entries created from <paramref name="fromMs"/> (included) to
    /// <paramref name="toMs"/> (excluded), per period of <paramref name="periodMs"/> counted from
    /// <paramref name="fromMs"/>: period index to sums, periods without entries left out.
    /// </summary>
    /// <param name="now">The server's clock now, which the id floor is reckoned from (<see cref="AnalyticsWindow"/>).</param>
    public static async Task<Dictionary<long, Sums>> SumsAsync(
        Sql sql, string programId, long fromMs, long toMs, long periodMs, DateTimeOffset now)
    {
        var rows = await sql.ListAsync(
            $"""
            SELECT (created_at - @from) / {periodMs},
                   COALESCE(SUM(CASE WHEN points > 0 THEN points ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN points < 0 AND type = 'redeemed' THEN -points ELSE 0 END), 0)
            FROM points_transactions
            WHERE program_id = @p AND id >= @floor AND created_at >= @from AND created_at < @to
            GROUP BY 1
            """,
            r => (Period: Convert.ToInt64(r.GetValue(0)), Sums: new Sums(Convert.ToInt64(r.GetValue(1)), Convert.ToInt64(r.GetValue(2)))),
            ("p", programId), ("from", fromMs), ("to", toMs), ("floor", Ids.Floor("ptx_", IdFloorMs(fromMs, now))));
        return rows.ToDictionary(r => r.Period, r => r.Sums);
    }

    /// <summary>
    /// The earliest time an id of an entry created at <paramref name="fromMs"/> or later can carry. Ids take
    /// their time from the system clock (Ids.New) and created_at from the server's clock, the same clock
    /// except under a test clock; and another instance's clock may be a little behind (as AnalyticsWindow).
    /// </summary>
    private static long IdFloorMs(long fromMs, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var systemFromMs = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() - (nowMs - fromMs);
        return Math.Min(fromMs, systemFromMs) - 60_000;
    }
}
