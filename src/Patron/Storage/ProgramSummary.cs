using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// A program at a glance: its members, the points it owes now and their money value, and what happened over
/// the last <see cref="AnalyticsWindow.Days"/> days (sign-ups, points earned, redemptions). Figures follow the
/// definitions of docs/API.md, "Analytics": the liability counts positive balances of live customers, pending
/// points apart; a cancelled redemption is not counted.
/// </summary>
public sealed record ProgramSummary(
    string ProgramId, string ProgramName, string Currency, long Members, long ActiveMembers, long BlockedMembers,
    long PointsOutstanding, long PendingPoints, decimal? PointValue, decimal? OutstandingValue,
    int Days, DateTimeOffset From, DateTimeOffset To, long NewMembers, long PointsEarned, long Redemptions,
    long PointsRedeemed, decimal? RedeemedValue)
{
    public static async Task<ProgramSummary> ReadAsync(Sql sql, string programId, AnalyticsWindow window)
    {
        var program = await sql.SingleAsync("SELECT name, currency, point_value_e4 FROM programs WHERE id = @p",
            r => new ProgramRow(r.GetString(0), r.GetString(1), r.Int64OrNull(2)), ("p", programId))
            ?? throw OperationException.NotFound("program", programId);
        var members = (await sql.ListAsync(
            """
            SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'blocked' THEN 1 ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN points_balance > 0 THEN points_balance ELSE 0 END), 0), COALESCE(SUM(pending_points), 0)
            FROM customers WHERE program_id = @p AND deleted_at IS NULL
            """,
            r => (Count: Convert.ToInt64(r.GetValue(0)), Blocked: Convert.ToInt64(r.GetValue(1)),
                Points: Convert.ToInt64(r.GetValue(2)), Pending: Convert.ToInt64(r.GetValue(3))),
            ("p", programId)))[0];
        (string, object?)[] period = [("p", programId), ("from", window.FromMs), ("to", window.NowMs)];
        var newMembers = Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COUNT(*) FROM customers WHERE program_id = @p AND id >= @floor AND created_at >= @from AND created_at <= @to",
            [.. period, ("floor", window.Floor("cus_"))]));
        var earned = Convert.ToInt64(await sql.ScalarAsync(
            """
            SELECT COALESCE(SUM(points), 0) FROM points_transactions
            WHERE program_id = @p AND id >= @floor AND created_at >= @from AND created_at <= @to AND points > 0 AND type IN (@earned, @adjusted)
            """,
            [.. period, ("floor", window.Floor("ptx_")), ("earned", PointsTypes.Earned), ("adjusted", PointsTypes.Adjusted)]));
        var redemptions = (await sql.ListAsync(
            """
            SELECT COUNT(*), COALESCE(SUM(points_spent), 0) FROM redemptions
            WHERE program_id = @p AND id >= @floor AND created_at >= @from AND created_at <= @to AND status <> @cancelled
            """,
            r => (Count: Convert.ToInt64(r.GetValue(0)), Points: Convert.ToInt64(r.GetValue(1))),
            [.. period, ("floor", window.Floor("red_")), ("cancelled", RedemptionStatus.Cancelled)]))[0];

        decimal? pointValue = program.PointValueE4 is { } pv ? Money.FromE4(pv) : null;
        return new ProgramSummary(
            programId, program.Name, program.Currency, members.Count, members.Count - members.Blocked, members.Blocked,
            members.Points, members.Pending, pointValue, members.Points * pointValue,
            window.Days, Time.FromMs(window.FromMs), Time.FromMs(window.NowMs), newMembers, earned, redemptions.Count,
            redemptions.Points, redemptions.Points * pointValue);
    }

    private sealed record ProgramRow(string Name, string Currency, long? PointValueE4);
}
