using System.Data;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Analytics;

/// <summary>What the program owes now: positive balances and, apart, pending points, with their value if set.</summary>
public sealed record Liability(long Points, long PendingPoints, decimal? Amount, decimal? PointValue, string Currency);

/// <summary>One of the most redeemed rewards of the period.</summary>
public sealed record TopReward(string RewardId, string? Name, long Redemptions, long PointsSpent);

/// <summary>One UTC calendar day of the period.</summary>
public sealed record Day(string Date, long NewCustomers, long PointsEarned, long PointsRedeemed, long PointsExpired);

/// <summary>Program analytics as the API shows them (docs/API.md, Analytics).</summary>
public sealed record AnalyticsDto(
    int Days, DateTimeOffset From, DateTimeOffset To, long NewCustomers, long ActiveCustomers,
    long PointsEarned, long PointsRedeemed, long PointsExpired, decimal? RedemptionRate,
    Liability OutstandingLiability, IReadOnlyList<TopReward> TopRewards, IReadOnlyList<Day> Series)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "analytics";
}

/// <summary>
/// Program analytics over the last <c>days</c> UTC calendar days, today included (docs/API.md,
/// Analytics, which defines every figure): read in one snapshot so that the figures add up, then
/// summed per day.
/// </summary>
public static class AnalyticsQuery
{
    public const int TopRewardsCount = 5;
    private const long DayMs = 86_400_000;

    private sealed record ProgramSettings(string Currency, long? PointValueE4);

    private sealed record Rows(
        ProgramSettings Program, List<(int Day, string Type, long Plus, long Minus)> Ledger, long Active,
        List<(int Day, long Count)> Signups, (long Points, long Pending) Owed, List<TopReward> Top);

    private sealed class Totals
    {
        public long NewCustomers;
        public long Earned;
        public long Redeemed;
        public long Expired;
    }

    /// <summary>The analytics of the program over <paramref name="period"/>.</summary>
    public static async Task<AnalyticsDto> GetAsync(Database database, string programId, AnalyticsWindow period)
    {
        var rows = await ReadAsync(database, programId, period);
        return Summarise(period, rows);
    }

    /// <summary>Every figure from one snapshot of the database.</summary>
    private static async Task<Rows> ReadAsync(Database database, string programId, AnalyticsWindow period)
    {
        await using var connection = await database.OpenAsync();
        // One snapshot for all the figures, so that they add up with each other.
        await using var transaction = connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: true)
            : await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        var sql = new Sql(connection, transaction);
        var program = await sql.SingleAsync("SELECT currency, point_value_e4 FROM programs WHERE id = @p",
            r => new ProgramSettings(r.GetString(0), r.Int64OrNull(1)), ("p", programId))
            ?? throw OperationException.NotFound("program", programId);
        (string, object?)[] window = [("p", programId), ("from", period.FromMs), ("to", period.NowMs)];
        var ledger = await LedgerAsync(sql, window, period.FloorMs);
        var active = Convert.ToInt64(await sql.ScalarAsync(
            """
            SELECT COUNT(DISTINCT customer_id) FROM points_transactions
            WHERE program_id = @p AND id >= @floor AND created_at >= @from AND created_at <= @to
            """,
            [.. window, ("floor", Ids.Floor("ptx_", period.FloorMs))]));
        // Erased customers count as the sign-ups they were.
        var signups = await sql.ListAsync(
            """
            SELECT (created_at - @from) / 86400000, COUNT(*) FROM customers
            WHERE program_id = @p AND id >= @floor AND created_at >= @from AND created_at <= @to
            GROUP BY 1
            """,
            r => (Day: Convert.ToInt32(r.GetValue(0)), Count: Convert.ToInt64(r.GetValue(1))),
            [.. window, ("floor", Ids.Floor("cus_", period.FloorMs))]);
        var owed = await OwedAsync(sql, programId);
        var top = await TopRewardsAsync(sql, window, period.FloorMs);
        await transaction.CommitAsync();
        return new Rows(program, ledger, active, signups, owed, top);
    }

    private static Task<List<(int Day, string Type, long Plus, long Minus)>> LedgerAsync(Sql sql, (string, object?)[] window, long floorMs) =>
        sql.ListAsync(
            """
            SELECT (created_at - @from) / 86400000, type,
                   COALESCE(SUM(CASE WHEN points > 0 THEN points ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN points < 0 THEN points ELSE 0 END), 0)
            FROM points_transactions
            WHERE program_id = @p AND id >= @floor AND created_at >= @from AND created_at <= @to
            GROUP BY 1, 2
            """,
            r => (Day: Convert.ToInt32(r.GetValue(0)), Type: r.GetString(1), Plus: Convert.ToInt64(r.GetValue(2)), Minus: Convert.ToInt64(r.GetValue(3))),
            [.. window, ("floor", Ids.Floor("ptx_", floorMs))]);

    /// <summary>
    /// What the program owes now: positive balances (a debt is not a negative liability) and, apart,
    /// pending points. An erased customer's points can no longer be spent by anyone.
    /// </summary>
    private static async Task<(long Points, long Pending)> OwedAsync(Sql sql, string programId) =>
        (await sql.ListAsync(
            """
            SELECT COALESCE(SUM(CASE WHEN points_balance > 0 THEN points_balance ELSE 0 END), 0), COALESCE(SUM(pending_points), 0)
            FROM customers WHERE program_id = @p AND deleted_at IS NULL
            """,
            r => (Points: Convert.ToInt64(r.GetValue(0)), Pending: Convert.ToInt64(r.GetValue(1))), ("p", programId)))[0];

    private static Task<List<TopReward>> TopRewardsAsync(Sql sql, (string, object?)[] window, long floorMs) =>
        sql.ListAsync(
            """
            SELECT x.reward_id, w.name, COUNT(*), COALESCE(SUM(x.points_spent), 0)
            FROM redemptions x LEFT JOIN rewards w ON w.id = x.reward_id
            WHERE x.program_id = @p AND x.id >= @floor AND x.created_at >= @from AND x.created_at <= @to AND x.status <> 'cancelled'
            GROUP BY x.reward_id, w.name
            ORDER BY COUNT(*) DESC, x.reward_id
            LIMIT @n
            """,
            r => new TopReward(r.GetString(0), r.StringOrNull(1), Convert.ToInt64(r.GetValue(2)), Convert.ToInt64(r.GetValue(3))),
            [.. window, ("floor", Ids.Floor("red_", floorMs)), ("n", TopRewardsCount)]);

    /// <summary>The rows summed per day and over the period.</summary>
    private static AnalyticsDto Summarise(AnalyticsWindow period, Rows rows)
    {
        var (days, fromMs) = (period.Days, period.FromMs);
        var series = Series(days, rows);
        var earned = series.Sum(t => t.Earned);
        var redeemed = series.Sum(t => t.Redeemed);
        decimal? pointValue = rows.Program.PointValueE4 is { } pv ? Money.FromE4(pv) : null;
        return new AnalyticsDto(
            days, Time.FromMs(fromMs), Time.FromMs(period.NowMs), series.Sum(t => t.NewCustomers), rows.Active,
            earned, redeemed, series.Sum(t => t.Expired),
            earned > 0 ? decimal.Round((decimal)redeemed / earned, 4, MidpointRounding.AwayFromZero) : null,
            new Liability(rows.Owed.Points, rows.Owed.Pending, rows.Owed.Points * pointValue, pointValue, rows.Program.Currency),
            rows.Top,
            series.Select((t, i) => new Day(
                Time.FromMs(fromMs + i * DayMs).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                t.NewCustomers, t.Earned, t.Redeemed, t.Expired)).ToList());
    }

    private static Totals[] Series(int days, Rows rows)
    {
        var series = Enumerable.Range(0, days).Select(_ => new Totals()).ToArray();
        foreach (var (day, type, plus, minus) in rows.Ledger)
        {
            var t = series[Math.Clamp(day, 0, days - 1)];
            switch (type)
            {
                case PointsTypes.Earned or PointsTypes.Adjusted:
                    t.Earned += plus;
                    break;
                case PointsTypes.Redeemed:
                    t.Redeemed -= minus;
                    break;
                case PointsTypes.Refunded:
                    // Points given back for a cancelled redemption undo that redemption.
                    t.Redeemed -= plus;
                    break;
                case PointsTypes.Expired:
                    t.Expired -= minus;
                    break;
            }
        }
        foreach (var (day, count) in rows.Signups)
        {
            series[Math.Clamp(day, 0, days - 1)].NewCustomers += count;
        }
        return series;
    }
}
