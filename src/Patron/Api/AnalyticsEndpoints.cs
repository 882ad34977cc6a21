using System.Data;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// Program analytics over the last <c>days</c> UTC calendar days, today included (docs/API.md,
/// Analytics). Any key may read them. Definitions are in docs/API.md, "Analytics".
/// </summary>
public static class AnalyticsEndpoints
{
    public const int DefaultDays = AnalyticsWindow.DefaultDays;
    public const int MaxDays = AnalyticsWindow.MaxDays;
    public const int TopRewardsCount = 5;
    private const long DayMs = 86_400_000;

    public sealed record Liability(long Points, long PendingPoints, decimal? Amount, decimal? PointValue, string Currency);

    public sealed record TopReward(string RewardId, string? Name, long Redemptions, long PointsSpent);

    public sealed record Day(string Date, long NewCustomers, long PointsEarned, long PointsRedeemed, long PointsExpired);

    public sealed record AnalyticsDto(
        int Days, DateTimeOffset From, DateTimeOffset To, long NewCustomers, long ActiveCustomers,
        long PointsEarned, long PointsRedeemed, long PointsExpired, decimal? RedemptionRate,
        Liability OutstandingLiability, IReadOnlyList<TopReward> TopRewards, IReadOnlyList<Day> Series)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "analytics";
    }

    public static RouteGroupBuilder MapAnalyticsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/analytics", Get).WithTags("Analytics")
            .WithSummary("Customers, points earned, redeemed and expired, liability and top rewards over the last ?days=1..365 days")
            .Produces<AnalyticsDto>()
            .WithQuery(QueryParameter.Integer("days", "The period: the last `days` days, from 1 to 365 (default 30).", 1, AnalyticsWindow.MaxDays));
        return api;
    }

    private static async Task<IResult> Get(HttpRequest request, Caller caller, Database database, TimeProvider clock)
    {
        var period = AnalyticsWindow.Of(AnalyticsWindow.ParseDays(request.Query["days"].ToString()), clock.GetUtcNow());
        var (days, fromMs, nowMs, floorMs) = (period.Days, period.FromMs, period.NowMs, period.FloorMs);
        var now = PatronJson.FromMs(nowMs);

        await using var connection = await database.OpenAsync();
        // One snapshot for all the figures, so that they add up with each other.
        await using var transaction = connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: true)
            : await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        var sql = new Sql(connection, transaction);
        (string, object?)[] window =
            [("p", caller.ProgramId), ("from", fromMs), ("to", nowMs)];

        var program = await sql.SingleAsync("SELECT currency, point_value_e4 FROM programs WHERE id = @p",
            r => new { Currency = r.GetString(0), PointValueE4 = r.Int64OrNull(1) }, ("p", caller.ProgramId))
            ?? throw ApiException.NotFound("program", caller.ProgramId);

        var ledger = await sql.ListAsync(
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

        var active = Convert.ToInt64(await sql.ScalarAsync(
            """
            SELECT COUNT(DISTINCT customer_id) FROM points_transactions
            WHERE program_id = @p AND id >= @floor AND created_at >= @from AND created_at <= @to
            """,
            [.. window, ("floor", Ids.Floor("ptx_", floorMs))]));

        // Erased customers count as the sign-ups they were.
        var signups = await sql.ListAsync(
            """
            SELECT (created_at - @from) / 86400000, COUNT(*) FROM customers
            WHERE program_id = @p AND id >= @floor AND created_at >= @from AND created_at <= @to
            GROUP BY 1
            """,
            r => (Day: Convert.ToInt32(r.GetValue(0)), Count: Convert.ToInt64(r.GetValue(1))),
            [.. window, ("floor", Ids.Floor("cus_", floorMs))]);

        // What the program owes now: positive balances (a debt is not a negative liability) and, apart,
        // pending points. An erased customer's points can no longer be spent by anyone.
        var owed = (await sql.ListAsync(
            """
            SELECT COALESCE(SUM(CASE WHEN points_balance > 0 THEN points_balance ELSE 0 END), 0), COALESCE(SUM(pending_points), 0)
            FROM customers WHERE program_id = @p AND deleted_at IS NULL
            """,
            r => (Points: Convert.ToInt64(r.GetValue(0)), Pending: Convert.ToInt64(r.GetValue(1))), ("p", caller.ProgramId)))[0];

        var top = await sql.ListAsync(
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
        await transaction.CommitAsync();

        var series = Enumerable.Range(0, days).Select(_ => new Totals()).ToArray();
        foreach (var (day, type, plus, minus) in ledger)
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
        foreach (var (day, count) in signups)
        {
            series[Math.Clamp(day, 0, days - 1)].NewCustomers += count;
        }

        var earned = series.Sum(t => t.Earned);
        var redeemed = series.Sum(t => t.Redeemed);
        decimal? pointValue = program.PointValueE4 is { } pv ? Money.FromE4(pv) : null;
        return TypedResults.Ok(new AnalyticsDto(
            days, PatronJson.FromMs(fromMs), now, series.Sum(t => t.NewCustomers), active,
            earned, redeemed, series.Sum(t => t.Expired),
            earned > 0 ? decimal.Round((decimal)redeemed / earned, 4, MidpointRounding.AwayFromZero) : null,
            new Liability(owed.Points, owed.Pending, owed.Points * pointValue, pointValue, program.Currency),
            top,
            series.Select((t, i) => new Day(
                PatronJson.FromMs(fromMs + i * DayMs).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                t.NewCustomers, t.Earned, t.Redeemed, t.Expired)).ToList()));
    }

    private sealed class Totals
    {
        public long NewCustomers;
        public long Earned;
        public long Redeemed;
        public long Expired;
    }
}
