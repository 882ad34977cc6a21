using System.Globalization;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// The period analytics cover: the last <see cref="Days"/> UTC calendar days, today included, up to
/// now (docs/API.md, "Analytics"). Shared by every front door that reports over a period.
/// </summary>
public sealed record AnalyticsWindow(int Days, long FromMs, long NowMs, long FloorMs)
{
    public const int DefaultDays = 30;
    public const int MaxDays = 365;

    /// <summary>Ids may be minted a little before their row's <c>created_at</c> by another clock; this much is allowed for.</summary>
    private const long IdClockSlackMs = 60_000;

    /// <summary><c>days</c> as given in a query string: absent is <see cref="DefaultDays"/>, otherwise 1 to <see cref="MaxDays"/>.</summary>
    public static int ParseDays(string raw)
    {
        if (raw.Length == 0)
        {
            return DefaultDays;
        }
        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days is >= 1 and <= MaxDays
            ? days
            : throw OperationException.Invalid("days", $"'days' must be a whole number from 1 to {MaxDays}.");
    }

    /// <summary>
    /// The window ending at <paramref name="now"/>. Queries scan it through an (program_id, id) index:
    /// ids start with their creation time, so "id >= floor" finds the window's rows without an index
    /// on created_at; created_at then decides exactly. Ids take their time from the system clock
    /// (Ids.New) and created_at from the server's clock, which are the same clock except under a test
    /// clock: the floor uses the earlier of the two.
    /// </summary>
    public static AnalyticsWindow Of(int days, DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var fromMs = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1 - days).ToUnixTimeMilliseconds();
        var systemFromMs = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() - (nowMs - fromMs);
        return new AnalyticsWindow(days, fromMs, nowMs, Math.Min(fromMs, systemFromMs) - IdClockSlackMs);
    }

    /// <summary>The smallest id with <paramref name="prefix"/> that can belong to the window.</summary>
    public string Floor(string prefix) => Ids.Floor(prefix, FloorMs);
}

/// <summary>A stamp-card program's figures over a window.</summary>
public sealed record StampCardSummary(
    long NewCustomers, long ActiveCustomers, long StampsAdded, long Visits, long RewardsEarned, long RewardsRedeemed, long TotalCustomers);

public static class StampCardAnalytics
{
    /// <summary>
    /// New customers (created in the window, erased ones included), active customers (any stamp or
    /// ledger entry in the window), stamps added and visits (stamp recordings), rewards earned (issued
    /// by full cards), rewards redeemed (as <c>reward.redeemed</c> counts them: stamp rewards used in
    /// the window, and points redemptions made in it and not cancelled), and live customers now.
    /// </summary>
    public static async Task<StampCardSummary> SummaryAsync(Sql sql, string programId, AnalyticsWindow w)
    {
        (string, object?)[] args = [("p", programId), ("from", w.FromMs), ("to", w.NowMs),
            ("fs", w.Floor("stp_")), ("fc", w.Floor("cus_")), ("fx", w.Floor("ptx_")), ("fr", w.Floor("red_"))];
        var stamps = (await sql.ListAsync(
            """
            SELECT COALESCE(SUM(stamps), 0), COUNT(*), COALESCE(SUM(rewards_issued), 0) FROM stamp_events
            WHERE id >= @fs AND program_id = @p AND created_at >= @from AND created_at <= @to
            """,
            r => (Stamps: Convert.ToInt64(r.GetValue(0)), Visits: Convert.ToInt64(r.GetValue(1)), Rewards: Convert.ToInt64(r.GetValue(2))),
            args))[0];
        var newCustomers = Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COUNT(*) FROM customers WHERE program_id = @p AND id >= @fc AND created_at >= @from AND created_at <= @to", args));
        var active = Convert.ToInt64(await sql.ScalarAsync(
            """
            SELECT COUNT(*) FROM (
                SELECT customer_id FROM stamp_events WHERE id >= @fs AND program_id = @p AND created_at >= @from AND created_at <= @to
                UNION
                SELECT customer_id FROM points_transactions WHERE program_id = @p AND id >= @fx AND created_at >= @from AND created_at <= @to
            ) AS a
            """, args));
        var redeemed = Convert.ToInt64(await sql.ScalarAsync(
            """
            SELECT
              (SELECT COUNT(*) FROM redemptions WHERE program_id = @p AND source = 'stamps' AND status = 'used'
                 AND used_at >= @from AND used_at <= @to)
            + (SELECT COUNT(*) FROM redemptions WHERE program_id = @p AND id >= @fr AND source = 'points' AND status <> 'cancelled'
                 AND created_at >= @from AND created_at <= @to)
            """, args));
        var total = Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COUNT(*) FROM customers WHERE program_id = @p AND deleted_at IS NULL", ("p", programId)));
        return new StampCardSummary(newCustomers, active, stamps.Stamps, stamps.Visits, stamps.Rewards, redeemed, total);
    }
}
