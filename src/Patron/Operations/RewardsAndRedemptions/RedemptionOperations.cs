using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.RewardsAndRedemptions;

/// <summary>A redemption asked for: the reward, and for a variable reward the points to spend on it.</summary>
public sealed record RedemptionRequest(string? RewardId, long? PointsToRedeem = null);

/// <summary>Which redemptions a list shows: a customer (any identifier), a reward, a state; null is any.</summary>
public sealed record RedemptionFilter(string? CustomerReference = null, string? RewardId = null, string? Status = null);

/// <summary>
/// Spending points on rewards (docs/API.md, Redemptions), from the native API,
/// the dashboard, MCP and the dialects. The balance changes through the one write path and the ledger
/// (<see cref="Redemptions"/>, <see cref="Ledger"/>); the entry's author is the actor's id.
/// </summary>
public static class RedemptionOperations
{
    /// <summary>The reward id of a well-formed request, or the refusal of a malformed one (before the write).</summary>
    public static string Validate(RedemptionRequest input)
    {
        var rewardId = string.IsNullOrWhiteSpace(input.RewardId) ? throw OperationException.Missing("reward_id") : input.RewardId.Trim();
        if (input.PointsToRedeem is < 1 or > Limits.MaxRewardCost)
        {
            throw OperationException.Invalid("points_to_redeem", $"'points_to_redeem' must be a whole number from 1 to {Limits.MaxRewardCost}.");
        }
        return rewardId;
    }

    /// <summary>Deducts the points and issues the code in one step, in the caller's write.</summary>
    public static Task<RedemptionDto> RedeemAsync(
        WriteContext context, Actor actor, string programId, string customerReference, RedemptionRequest input) =>
        Redemptions.RedeemAsync(context, programId, customerReference, Validate(input), input.PointsToRedeem, actor.Id);

    /// <summary>Cancels a redemption whose code is unused: the points come back.</summary>
    public static Task<RedemptionDto> CancelAsync(WriteContext context, Actor actor, string programId, string id) =>
        Redemptions.CancelAsync(context, programId, id, actor.Id);

    /// <summary>One redemption, with its state now.</summary>
    public static async Task<RedemptionDto> GetAsync(Sql sql, string programId, string id, long nowMs) =>
        await Redemptions.FindAsync(sql, programId, id, nowMs) ?? throw OperationException.NotFound("redemption", id);

    /// <summary>Refuses an unknown state filter; checked before the read.</summary>
    public static void ValidateFilter(RedemptionFilter filter)
    {
        if (filter.Status is { Length: > 0 } status && status is not (RedemptionStatus.Issued or RedemptionStatus.Expired
                or RedemptionStatus.Used or RedemptionStatus.Cancelled))
        {
            throw OperationException.Invalid("status", "'status' must be 'issued', 'used', 'expired' or 'cancelled'.");
        }
    }

    /// <summary>A customer's redemptions by Patron id, newest first (the member API's list).</summary>
    public static Task<ListEnvelope<RedemptionDto>> ListForCustomerIdAsync(Database db, string programId, string customerId, Paging paging, long nowMs) =>
        db.ReadAsync(sql => new ListFilter(programId).Require("customer_id = @c", ("c", customerId))
            .PageAsync(sql, Redemptions.Columns, "redemptions", Redemptions.Mapper(nowMs), paging));

    /// <summary>A window of the program's redemptions, newest first, filtered; 'expired' is an issued code past its time.</summary>
    public static async Task<ListEnvelope<RedemptionDto>> ListAsync(Sql sql, string programId, Paging paging, RedemptionFilter filter, long nowMs)
    {
        ValidateFilter(filter);
        var where = new ListFilter(programId).Add("reward_id = @r", "r", filter.RewardId);
        if (filter.Status is { Length: > 0 } status)
        {
            where.Require(status switch
            {
                RedemptionStatus.Issued => "status = 'issued' AND (expires_at IS NULL OR expires_at > @now)",
                RedemptionStatus.Expired => "status = 'issued' AND expires_at <= @now",
                _ => "status = @status",
            }, ("now", nowMs), ("status", status));
        }
        if (filter.CustomerReference is { Length: > 0 } customerRef)
        {
            var customer = await Customers.GetAsync(sql, programId, customerRef);
            where.Require("customer_id = @c", ("c", customer.Id));
        }
        return await where.PageAsync(sql, Redemptions.Columns, "redemptions", Redemptions.Mapper(nowMs), paging);
    }
}
