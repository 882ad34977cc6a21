using System.Data.Common;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>Where a redemption came from: points spent, or a full stamp card.</summary>
public static class RedemptionSources
{
    public const string Points = "points";
    public const string Stamps = "stamps";
}

/// <summary>A redemption's (and its voucher's) state. <c>expired</c> is never stored: it is an issued code past its time.</summary>
public static class RedemptionStatus
{
    public const string Issued = "issued";
    public const string Used = "used";
    public const string Expired = "expired";
    public const string Cancelled = "cancelled";
}

public sealed record RedemptionDto(
    string Id, string CustomerId, string RewardId, string Source, long PointsSpent, long RemainingBalance,
    string DiscountCode, string ApplyMode, decimal? Value, string Status, DateTimeOffset? ExpiresAt,
    DateTimeOffset? UsedAt, string? OrderId, DateTimeOffset? CancelledAt, string? TransactionId, DateTimeOffset CreatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "redemption";
}

public sealed record VoucherDto(
    string Code, string Status, string RedemptionId, string RewardId, string CustomerId, string ApplyMode, decimal? Value,
    DateTimeOffset? ExpiresAt, DateTimeOffset? UsedAt, string? OrderId, DateTimeOffset IssuedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "voucher";
}

/// <summary>
/// Redemptions (docs/API.md, Redemptions): one write operation takes the points, claims or
/// generates the code and records both, so any failure after the deduction rolls the deduction back.
/// </summary>
public static class Redemptions
{
    public const string Columns =
        "id, customer_id, reward_id, source, points_spent, balance_after, discount_code, apply_mode, value_e4, status, " +
        "expires_at, used_at, used_order_id, cancelled_at, transaction_id, created_at";

    public static Func<DbDataReader, RedemptionDto> Mapper(long nowMs) => r => new RedemptionDto(
        Id: r.GetString(0),
        CustomerId: r.GetString(1),
        RewardId: r.GetString(2),
        Source: r.GetString(3),
        PointsSpent: r.GetInt64(4),
        RemainingBalance: r.GetInt64(5),
        DiscountCode: r.GetString(6),
        ApplyMode: r.GetString(7),
        Value: r.Int64OrNull(8) is { } v ? Money.FromE4(v) : null,
        Status: StatusAt(r.GetString(9), r.Int64OrNull(10), nowMs),
        ExpiresAt: r.Int64OrNull(10) is { } e ? Time.FromMs(e) : null,
        UsedAt: r.Int64OrNull(11) is { } u ? Time.FromMs(u) : null,
        OrderId: r.StringOrNull(12),
        CancelledAt: r.Int64OrNull(13) is { } c ? Time.FromMs(c) : null,
        TransactionId: r.StringOrNull(14),
        CreatedAt: Time.FromMs(r.GetInt64(15)));

    public static string StatusAt(string stored, long? expiresAtMs, long nowMs) =>
        stored == RedemptionStatus.Issued && expiresAtMs is { } e && e <= nowMs ? RedemptionStatus.Expired : stored;

    public static Task<RedemptionDto?> FindAsync(Sql sql, string programId, string id, long nowMs) =>
        sql.SingleAsync($"SELECT {Columns} FROM redemptions WHERE program_id = @p AND id = @id",
            Mapper(nowMs), ("p", programId), ("id", id));

    /// <summary>A customer redeems points for a reward (docs/API.md, Redemptions).</summary>
    /// <remarks>
    /// Most redemptions name their customer by Patron id and spend points on a reward without a tier or limit
    /// condition. Those need no customer lookup: the deduction requires an active customer with the points itself
    /// (<see cref="Ledger.PostToActiveCustomerAsync"/>). Anything else, and anything that deduction or the reward
    /// refuses, goes the way that looks the customer up first, which answers with the error that says why; nothing
    /// is written before it.
    /// </remarks>
    public static async Task<RedemptionDto> RedeemAsync(
        WriteContext context, string programId, string customerReference, string rewardId, long? pointsToRedeem, string createdBy)
    {
        var sql = context.Sql;
        if (customerReference.StartsWith(Customers.IdPrefix, StringComparison.Ordinal)
            && await Rewards.FindAsync(sql, programId, rewardId) is { Enabled: true, MinTier: null, LimitPerCustomer: null } plain
            && PriceOrNull(plain, pointsToRedeem) is { Points: > 0 } price)
        {
            var redemptionId = Ids.New("red_");
            if (await Ledger.PostToActiveCustomerAsync(context, new Ledger.Entry(programId, customerReference, -price.Points,
                    PointsTypes.Redeemed, $"Redeemed: {plain.Name}", redemptionId, createdBy, NewReference: true)) is { } spent)
            {
                return await IssueRedeemedAsync(context, programId, customerReference, plain, redemptionId, price.Points, price.ValueE4,
                    spent.Transaction.BalanceAfter, spent.Transaction.Id, createdBy);
            }
        }

        var customer = await Customers.GetTargetAsync(sql, programId, customerReference);
        CustomerStatus.EnsureNotBlocked(customer.Status, "redeem");
        var reward = await Rewards.GetAsync(sql, programId, rewardId);
        if (!reward.Enabled)
        {
            throw OperationException.Unprocessable("reward_disabled", "This reward is disabled.", "reward_id");
        }

        var (points, valueE4) = Price(reward, pointsToRedeem);

        if (reward.MinTier is { } tier && !await Rewards.TierReachesAsync(sql, programId, customer.Id, tier))
        {
            throw OperationException.Forbidden("tier_required", "This reward needs a higher VIP tier than the customer's.");
        }

        // The row lock makes the limit count and the deduction one decision on PostgreSQL.
        await Ledger.LockCustomerAsync(context, customer.Id);
        if (reward.LimitPerCustomer is { } limit)
        {
            var taken = Convert.ToInt64(await sql.ScalarAsync(
                "SELECT COUNT(*) FROM redemptions WHERE customer_id = @c AND reward_id = @r AND status <> @cancelled",
                ("c", customer.Id), ("r", reward.Id), ("cancelled", RedemptionStatus.Cancelled)));
            if (taken >= limit)
            {
                throw OperationException.Unprocessable("redemption_limit_reached",
                    $"This customer has redeemed this reward the most times allowed ({limit}).", "reward_id");
            }
        }

        var id = Ids.New("red_");
        long balance = customer.PointsBalance;
        string? transactionId = null;
        // Deduct first, then take the code: if there is no code to take, the exception rolls the
        // deduction back with the rest of the operation (docs/API.md: if any part fails nothing is deducted).
        if (points > 0)
        {
            Ledger.Posted posted;
            try
            {
                posted = await Ledger.PostAsync(context, new Ledger.Entry(programId, customer.Id, -points, PointsTypes.Redeemed,
                    $"Redeemed: {reward.Name}", id, createdBy, NewReference: true));
            }
            catch (OperationException e) when (e.Code == InsufficientPoints)
            {
                throw NotEnoughPoints(reward, points);
            }
            balance = posted.Transaction.BalanceAfter;
            transactionId = posted.Transaction.Id;
        }
        return await IssueRedeemedAsync(context, programId, customer.Id, reward, id, points, valueE4, balance, transactionId, createdBy);
    }

    /// <summary>The points of a redemption are spent: its code, its record and its events.</summary>
    private static async Task<RedemptionDto> IssueRedeemedAsync(
        WriteContext context, string programId, string customerId, RewardDto reward, string id, long points, long? valueE4,
        long balance, string? transactionId, string createdBy)
    {
        // Spending the points is the redeeming (docs/WEBHOOKS.md, Events); a stamp reward is redeemed when used.
        return await IssueAsync(context, programId, customerId, reward, id, RedemptionSources.Points, points, valueE4,
            balance, transactionId, createdBy, redeemed: true);
    }

    /// <summary>
    /// What redeeming the reward costs and what it is worth (in ten-thousandths): its cost, or for a variable reward
    /// the points chosen; null when a variable reward is given no points, or points outside its bounds.
    /// </summary>
    private static (long Points, long? ValueE4)? PriceOrNull(RewardDto reward, long? pointsToRedeem)
    {
        long? valueE4 = reward.Value is { } v ? Money.ToE4(v) : null;
        if (reward.Variable is not { } variable)
        {
            return (reward.PointsCost ?? 0, valueE4);
        }
        if (pointsToRedeem is not { } points || points < variable.MinPoints || points > variable.MaxPoints)
        {
            return null;
        }
        // The value bought, in ten-thousandths, rounded down: the customer never gets more than paid for.
        return (points, (long)(points * (decimal)Money.Scale / variable.PointsPerUnit));
    }

    private const string InsufficientPoints = "insufficient_points";

    /// <summary>
    /// The refusal of a redemption the balance cannot pay, naming the field that set its price: <c>reward_id</c>,
    /// or <c>points_to_redeem</c> for a variable reward (a dialect renames it to its own field).
    /// </summary>
    private static OperationException NotEnoughPoints(RewardDto reward, long points) => reward.Variable is null
        ? OperationException.Unprocessable(InsufficientPoints,
            $"The customer does not have the {points} points this reward costs.", "reward_id")
        : OperationException.Unprocessable(InsufficientPoints,
            $"The customer does not have the {points} points this redemption costs.", "points_to_redeem");

    /// <summary><see cref="PriceOrNull"/>, with the refusal that names what is wrong where it has no price.</summary>
    private static (long Points, long? ValueE4) Price(RewardDto reward, long? pointsToRedeem) =>
        PriceOrNull(reward, pointsToRedeem) ?? throw (pointsToRedeem is null
            ? OperationException.Missing("points_to_redeem")
            : OperationException.Invalid("points_to_redeem",
                $"'points_to_redeem' must be from {reward.Variable!.MinPoints} to {reward.Variable.MaxPoints} for this reward."));

    /// <summary>
    /// Redeems the customer's oldest unused, unexpired reward issued by a full stamp card: its code is
    /// marked used (<c>voucher.used</c> and <c>reward.redeemed</c>). Under the customer's lock, and the
    /// use itself is a conditional update, so of concurrent requests for one reward exactly one succeeds;
    /// without such a reward the answer is <c>409 no_reward_to_redeem</c>.
    /// </summary>
    public static async Task<RedemptionDto> RedeemStampRewardAsync(WriteContext context, string programId, string customerReference)
    {
        var sql = context.Sql;
        var customer = await Customers.GetTargetAsync(sql, programId, customerReference);
        CustomerStatus.EnsureNotBlocked(customer.Status, "redeem");
        await Ledger.LockCustomerAsync(context, customer.Id);
        var code = await sql.ScalarAsync(
            """
            SELECT discount_code FROM redemptions
            WHERE program_id = @p AND customer_id = @c AND source = @src AND status = @issued AND (expires_at IS NULL OR expires_at > @now)
            ORDER BY created_at, id LIMIT 1
            """,
            ("p", programId), ("c", customer.Id), ("src", RedemptionSources.Stamps), ("issued", RedemptionStatus.Issued),
            ("now", context.NowMs)) as string
            ?? throw OperationException.Conflict("no_reward_to_redeem", "This customer has no earned stamp reward to redeem.");
        var voucher = await Vouchers.UseAsync(context, programId, code, null);
        return (await FindAsync(sql, programId, voucher.RedemptionId, context.NowMs))!;
    }

    /// <summary>How many rewards issued by full stamp cards each customer has unused and unexpired.</summary>
    public static async Task<Dictionary<string, long>> StampRewardsAvailableAsync(
        Sql sql, string programId, IReadOnlyCollection<string> customerIds, long nowMs)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        if (customerIds.Count == 0)
        {
            return result;
        }
        var args = new List<(string, object?)> { ("p", programId), ("src", RedemptionSources.Stamps), ("now", nowMs) };
        var names = customerIds.Select((id, i) => { args.Add(($"c{i}", id)); return $"@c{i}"; });
        var rows = await sql.ListAsync(
            $"""
            SELECT customer_id, COUNT(*) FROM redemptions
            WHERE program_id = @p AND source = @src AND status = 'issued' AND (expires_at IS NULL OR expires_at > @now)
              AND customer_id IN ({string.Join(", ", names)})
            GROUP BY customer_id
            """,
            r => (r.GetString(0), Convert.ToInt64(r.GetValue(1))), [.. args]);
        foreach (var (id, count) in rows)
        {
            result[id] = count;
        }
        return result;
    }

    private static readonly string[] Created = [Events.RedemptionCreated];
    private static readonly string[] CreatedAndRedeemed = [Events.RedemptionCreated, Events.RewardRedeemed];

    /// <summary>
    /// Takes a code for the reward (pool or generated), records the redemption and its <c>redemption.created</c> event,
    /// followed by <c>reward.redeemed</c> when <paramref name="redeemed"/>.
    /// </summary>
    public static async Task<RedemptionDto> IssueAsync(
        WriteContext context, string programId, string customerId, RewardDto reward, string id, string source, long points,
        long? valueE4, long balanceAfter, string? transactionId, string createdBy, bool redeemed = false)
    {
        var code = reward.CodeSource == RewardTypes.Pool
            ? await Vouchers.ClaimFromPoolAsync(context, programId, reward.Id, id)
            : await Vouchers.GenerateAsync(context, programId, reward.Id, reward.CodePrefix, id);
        long? expiresAt = reward.ExpiresInDays is { } days ? context.Now.AddDays(days).ToUnixTimeMilliseconds() : null;
        var redemption = new RedemptionDto(id, customerId, reward.Id, source, points, balanceAfter, code,
            RewardTypes.ApplyMode(reward.Type), valueE4 is { } v ? Money.FromE4(v) : null, RedemptionStatus.Issued,
            expiresAt is { } e ? Time.FromMs(e) : null, null, null, null, transactionId, context.Now);
        // The row and its events in one statement on PostgreSQL, the events in one INSERT on SQLite (Events.AddAsync).
        await Events.AddAsync(context,
            """
            INSERT INTO redemptions (id, program_id, customer_id, reward_id, source, points_spent, balance_after, discount_code,
                apply_mode, value_e4, status, transaction_id, expires_at, created_by, created_at, updated_at)
            VALUES (@id, @p, @c, @r, @src, @pts, @bal, @code, @mode, @v, @st, @tx, @exp, @by, @now, @now)
            """,
            [
                ("id", id), ("p", programId), ("c", customerId), ("r", reward.Id), ("src", source), ("pts", points),
                ("bal", balanceAfter), ("code", code), ("mode", redemption.ApplyMode), ("v", Sql.Int64(valueE4)), ("st", RedemptionStatus.Issued),
                ("tx", Sql.Text(transactionId)), ("exp", Sql.Int64(expiresAt)), ("by", createdBy), ("now", context.NowMs),
            ],
            programId, redeemed ? CreatedAndRedeemed : Created, redemption);
        return redemption;
    }

    /// <summary>Cancels an unused redemption; its points come back once, as a <c>refunded</c> entry.</summary>
    public static async Task<RedemptionDto> CancelAsync(WriteContext context, string programId, string id, string createdBy)
    {
        var sql = context.Sql;
        var found = await FindAsync(sql, programId, id, context.NowMs) ?? throw OperationException.NotFound("redemption", id);
        await Ledger.LockCustomerAsync(context, found.CustomerId);
        var changed = await sql.ExecuteAsync(
            "UPDATE redemptions SET status = @cancelled, cancelled_at = @now, updated_at = @now WHERE id = @id AND program_id = @p AND status = @issued",
            ("cancelled", RedemptionStatus.Cancelled), ("now", context.NowMs), ("id", id), ("p", programId), ("issued", RedemptionStatus.Issued));
        if (changed == 0)
        {
            var current = await FindAsync(sql, programId, id, context.NowMs);
            throw OperationException.Conflict("redemption_not_cancellable",
                $"Only a redemption whose code is unused can be cancelled; this one is {current?.Status}.");
        }
        if (found.PointsSpent > 0)
        {
            await Ledger.PostAsync(context, new Ledger.Entry(programId, found.CustomerId, found.PointsSpent, PointsTypes.Refunded,
                "Redemption cancelled", Ledger.CancelledRedemptionPrefix + id, createdBy, OwnReference: true));
        }
        var cancelled = (await FindAsync(sql, programId, id, context.NowMs))!;
        await Events.AddAsync(context, programId, Events.RedemptionCancelled, cancelled);
        return cancelled;
    }
}
