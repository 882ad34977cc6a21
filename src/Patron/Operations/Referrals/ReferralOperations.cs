using System.Data.Common;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Referrals;

/// <summary>A referral as the API shows it (docs/API.md, Referrals).</summary>
public sealed record ReferralDto(
    string Id, string ReferrerId, string RefereeId, string Status, string? OrderId, long ReferrerPoints, long RefereePoints,
    DateTimeOffset? CompletedAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "referral";
}

/// <summary>
/// <c>pending</c> until the referee's first paid order decides: <c>completed</c> when it reached the
/// program's minimum, <c>ineligible</c> when it did not (only the first paid order counts).
/// </summary>
public static class ReferralStatus
{
    public const string Pending = "pending";
    public const string Completed = "completed";
    public const string Ineligible = "ineligible";
}

/// <summary>
/// Referrals: a customer created with <c>referred_by</c> is linked (<see cref="LinkAsync"/>); the
/// referee's first paid order completes the referral (<see cref="OnOrderPaidAsync"/>) and credits
/// both sides once. "Once" is the referral row's conditional move from pending, under the referee's
/// row lock that the order path holds; each credit carries the ledger reference
/// <c>referral:&lt;referee id&gt;</c>, one of Patron's own that no caller may post (Ledger.OwnReferencePrefixes).
/// </summary>
public static class ReferralOperations
{
    public const string Columns =
        "id, referrer_id, referee_id, status, order_id, referrer_points, referee_points, completed_at, created_at, updated_at";

    public static ReferralDto Map(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.StringOrNull(4), r.GetInt64(5), r.GetInt64(6),
        r.Int64OrNull(7) is { } c ? Time.FromMs(c) : null, Time.FromMs(r.GetInt64(8)), Time.FromMs(r.GetInt64(9)));

    public static string LedgerReference(string refereeId) => Ledger.ReferralPrefix + refereeId;

    /// <summary>Records the pending referral of a customer just created with <c>referred_by</c>.</summary>
    public static Task LinkAsync(WriteContext context, string programId, string referrerId, string refereeId) =>
        context.Sql.ExecuteAsync(
            """
            INSERT INTO referrals (id, program_id, referrer_id, referee_id, status, created_at, updated_at)
            VALUES (@id, @p, @rr, @re, @s, @now, @now)
            """,
            ("id", Ids.New("ref_")), ("p", programId), ("rr", referrerId), ("re", refereeId), ("s", ReferralStatus.Pending),
            ("now", context.NowMs));

    /// <summary>
    /// Called by the order path when an order has just become paid (the caller holds the referee's
    /// row lock). Only the referee's first paid order counts: at or above
    /// <c>referral.min_order_total</c> it completes the referral, below it the referral is ineligible.
    /// </summary>
    public static async Task OnOrderPaidAsync(WriteContext context, string programId, string customerId, string orderId, long totalE4)
    {
        var sql = context.Sql;
        var referral = await sql.SingleAsync(
            $"SELECT {Columns} FROM referrals WHERE referee_id = @c AND program_id = @p AND status = @s",
            Map, ("c", customerId), ("p", programId), ("s", ReferralStatus.Pending));
        if (referral is null)
        {
            return;
        }
        var earlierPaid = await sql.ScalarAsync(
            "SELECT 1 FROM orders WHERE program_id = @p AND customer_id = @c AND id <> @o AND paid_at IS NOT NULL LIMIT 1",
            ("p", programId), ("c", customerId), ("o", orderId));
        var settings = await SettingsAsync(sql, programId);
        if (earlierPaid is not null || totalE4 < settings.MinOrderE4)
        {
            // The first paid order was another one (paid before this referral existed) or too small.
            await sql.ExecuteAsync(
                "UPDATE referrals SET status = @s, order_id = @o, updated_at = @now WHERE id = @id AND status = @pending",
                ("s", ReferralStatus.Ineligible), ("o", orderId), ("now", context.NowMs), ("id", referral.Id),
                ("pending", ReferralStatus.Pending));
            return;
        }
        await CompleteAsync(context, programId, referral, orderId, settings);
    }

    /// <summary>The program's referral settings: points and rewards for each side, the minimum first order.</summary>
    private sealed record Settings(long ReferrerPoints, long RefereePoints, long MinOrderE4, string? ReferrerRewardId, string? RefereeRewardId);

    private static async Task<Settings> SettingsAsync(Sql sql, string programId) =>
        (await sql.ListAsync(
            """
            SELECT referral_referrer_points, referral_referee_points, referral_min_order_e4,
                   referral_referrer_reward_id, referral_referee_reward_id
            FROM programs WHERE id = @p
            """,
            r => new Settings(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.StringOrNull(3), r.StringOrNull(4)),
            ("p", programId)))[0];

    /// <summary>
    /// Completes the pending referral by the referee's first paid order and credits both sides once: a
    /// referral another write completed first moves nothing here.
    /// </summary>
    private static async Task CompleteAsync(WriteContext context, string programId, ReferralDto referral, string orderId, Settings settings)
    {
        var sql = context.Sql;
        var customerId = referral.RefereeId;
        var referrer = await Customers.StateAsync(sql, programId, referral.ReferrerId);
        var referee = await Customers.StateAsync(sql, programId, customerId);
        // A blocked customer earns nothing (docs/API.md, Customers); an erased one keeps no new rewards.
        var referrerPoints = Earns(referrer) ? settings.ReferrerPoints : 0;
        var refereePoints = Earns(referee) ? settings.RefereePoints : 0;

        var moved = await sql.ExecuteAsync(
            """
            UPDATE referrals SET status = @s, order_id = @o, referrer_points = @rp, referee_points = @ep,
                completed_at = @now, updated_at = @now
            WHERE id = @id AND status = @pending
            """,
            ("s", ReferralStatus.Completed), ("o", orderId), ("rp", referrerPoints), ("ep", refereePoints), ("now", context.NowMs),
            ("id", referral.Id), ("pending", ReferralStatus.Pending));
        if (moved == 0)
        {
            return;
        }

        var reference = LedgerReference(customerId);
        if (referrerPoints > 0)
        {
            await Ledger.PostAsync(context, new Ledger.Entry(programId, referral.ReferrerId, referrerPoints, PointsTypes.Earned,
                $"Referral of {customerId}", reference, "system", Source: "referral", OwnReference: true));
        }
        if (refereePoints > 0)
        {
            await Ledger.PostAsync(context, new Ledger.Entry(programId, customerId, refereePoints, PointsTypes.Earned,
                $"Referred by {referral.ReferrerId}", reference, "system", Source: "referral", OwnReference: true));
        }
        if (Earns(referrer) && settings.ReferrerRewardId is { } referrerReward)
        {
            await IssueRewardAsync(context, programId, referral.ReferrerId, referrerReward);
        }
        if (Earns(referee) && settings.RefereeRewardId is { } refereeReward)
        {
            await IssueRewardAsync(context, programId, customerId, refereeReward);
        }

        var completed = (await sql.SingleAsync($"SELECT {Columns} FROM referrals WHERE id = @id", Map, ("id", referral.Id)))!;
        await Events.AddAsync(context, programId, Events.ReferralCompleted, completed);
    }

    private static bool Earns(Customers.State customer) => customer.MayEarn;

    /// <summary>
    /// The configured reward, issued as a free redemption (no points taken). A reward that is gone,
    /// disabled or out of codes is skipped: paying an order must not fail over referral settings.
    /// </summary>
    private static async Task IssueRewardAsync(WriteContext context, string programId, string customerId, string rewardId)
    {
        var reward = await Storage.Rewards.FindAsync(context.Sql, programId, rewardId);
        if (reward is not { Enabled: true })
        {
            return;
        }
        var balance = Convert.ToInt64(await context.Sql.ScalarAsync("SELECT points_balance FROM customers WHERE id = @c", ("c", customerId)));
        try
        {
            await Redemptions.IssueAsync(context, programId, customerId, reward, Ids.New("red_"), "referral", 0,
                reward.Value is { } v ? Money.ToE4(v) : null, balance, null, "system");
        }
        catch (OperationException)
        {
            // An empty voucher pool: the claim changed nothing, so the rest of the operation stands.
        }
    }

    /// <summary>
    /// Referrals, newest first, filtered by referrer and referee (any customer reference; one that names
    /// nobody lists nothing) and status (<c>pending</c>, <c>completed</c> or <c>ineligible</c>) when not empty.
    /// </summary>
    public static Task<ListEnvelope<ReferralDto>> ListAsync(
        Database db, string programId, Paging paging, string referrerReference, string refereeReference, string status)
    {
        if (status.Length > 0 && status is not (ReferralStatus.Pending or ReferralStatus.Completed or ReferralStatus.Ineligible))
        {
            throw OperationException.Invalid("status", "'status' must be 'pending', 'completed' or 'ineligible'.");
        }
        return db.ReadAsync(async sql =>
        {
            // A customer reference of any kind; one that finds nobody filters to nothing.
            async Task<string?> Resolve(string reference) => reference.Length == 0
                ? null
                : (await Customers.FindAsync(sql, programId, reference))?.Id ?? reference;
            return await ListAsync(sql, programId, paging, await Resolve(referrerReference), await Resolve(refereeReference),
                status.Length > 0 ? status : null);
        });
    }

    private static Task<ListEnvelope<ReferralDto>> ListAsync(Sql sql, string programId, Paging paging, string? referrerId, string? refereeId, string? status) =>
        new ListFilter(programId)
            .When(referrerId is not null, "referrer_id = @rr", ("rr", referrerId))
            .When(refereeId is not null, "referee_id = @re", ("re", refereeId))
            .When(status is not null, "status = @s", ("s", status))
            .PageAsync(sql, Columns, "referrals", Map, paging);
}
