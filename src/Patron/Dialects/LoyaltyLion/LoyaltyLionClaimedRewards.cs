using Patron.Api;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Dialects.LoyaltyLion;

/// <summary>
/// LoyaltyLion's claimed rewards: a customer (by the merchant's <c>customer_id</c>) spends points on a
/// reward, and a claimed reward can be refunded while its code is unused. Each is the core's redemption
/// (docs/API.md, Redemptions): the same balance check under the customer's lock, the same code, the same
/// events, visible at <c>/api/v1/redemptions</c>.
/// </summary>
internal static class LoyaltyLionClaimedRewards
{
    public sealed class ClaimBody
    {
        /// <summary>The Patron reward id (<c>rwd_...</c>).</summary>
        public string? RewardId { get; set; }

        /// <summary>For a variable-price reward: how many of its steps to claim (points = step cost × multiplier).</summary>
        public long? Multiplier { get; set; }
    }

    public sealed record ClaimAnswer(ClaimedReward ClaimedReward);

    public sealed record ClaimedReward(string Id, DateTimeOffset ClaimedAt, long PointCost, Redeemable Redeemable, ClaimedRewardInfo Reward);

    /// <summary>What was issued: a voucher code (or store credit), whether it was used, and when it expires.</summary>
    public sealed record Redeemable(string RedeemableType, string? Code, bool Fulfilled, DateTimeOffset? FulfilledAt, DateTimeOffset? ExpiresOn, bool Refunded);

    public sealed record ClaimedRewardInfo(string Id, string Title, string? Description, long? PointCost, string DiscountType, decimal? DiscountAmount);

    /// <summary>The most points a multiplier may ask for at once.</summary>
    public const long MaxMultiplier = 1_000;

    public static void MapLoyaltyLionClaimedRewards(this RouteGroupBuilder routes)
    {
        routes.MapPost("/customers/{merchant_id}/claimed_rewards", Claim)
            .WithSummary("Spend a customer's points on a reward (a Patron redemption)")
            .Accepts<ClaimBody>("application/json").Produces<ClaimAnswer>(201);
        routes.MapPost("/customers/{merchant_id}/claimed_rewards/{id}/refund", Refund)
            .WithSummary("Refund a claimed reward whose code is unused: the points come back").Produces<ClaimAnswer>();
    }

    private static async Task<IResult> Claim(string merchant_id, HttpContext http, Caller caller, Writes writes, Database db)
    {
        var body = await http.ReadJsonAsync<ClaimBody>();
        var rewardId = string.IsNullOrWhiteSpace(body.RewardId) ? throw ApiException.Missing("reward_id") : body.RewardId.Trim();
        if (body.Multiplier is < 1 or > MaxMultiplier)
        {
            throw ApiException.Invalid("multiplier", $"'multiplier' must be a whole number from 1 to {MaxMultiplier}.");
        }
        var customerId = await CustomerIdAsync(db, caller, merchant_id);
        return await writes.RunAsync(http, caller, async context =>
        {
            var reward = await Rewards.GetAsync(context.Sql, caller.ProgramId, rewardId);
            long? points = body.Multiplier is { } m && reward.Variable is { } variable ? variable.PointsPerUnit * m : null;
            RedemptionDto redemption;
            try
            {
                redemption = await Redemptions.RedeemAsync(context, caller.ProgramId, customerId, rewardId, points, caller.KeyId);
            }
            catch (OperationException e) when (e is { Code: "insufficient_points", Param: "points_to_redeem" })
            {
                // A variable reward's points are its points per unit times the multiplier.
                throw OperationException.Unprocessable(e.Code,
                    $"The customer does not have the {points} points that {body.Multiplier} of this reward cost.", "multiplier");
            }
            return Reply.Created(new ClaimAnswer(Show(redemption, reward)));
        });
    }

    private static async Task<IResult> Refund(string merchant_id, string id, HttpContext http, Caller caller, Writes writes, Database db)
    {
        var customerId = await CustomerIdAsync(db, caller, merchant_id);
        return await writes.RunAsync(http, caller, async context =>
        {
            var found = await Redemptions.FindAsync(context.Sql, caller.ProgramId, id, context.NowMs);
            if (found is null || found.CustomerId != customerId)
            {
                throw OperationException.NotFound("claimed reward", id);
            }
            var cancelled = await Redemptions.CancelAsync(context, caller.ProgramId, id, caller.KeyId);
            return Reply.Ok(new ClaimAnswer(Show(cancelled, await Rewards.GetAsync(context.Sql, caller.ProgramId, cancelled.RewardId))));
        });
    }

    private static async Task<string> CustomerIdAsync(Database db, Caller caller, string merchantId) =>
        (await db.ReadAsync(sql => Customers.ByColumnAsync(sql, caller.ProgramId, "external_id", merchantId))
            ?? throw OperationException.NotFound("customer", merchantId)).Id;

    private static ClaimedReward Show(RedemptionDto r, RewardDto reward) => new(
        r.Id, r.CreatedAt, r.PointsSpent,
        new Redeemable(r.ApplyMode == "store_credit" ? "store_credit" : "voucher", r.ApplyMode == "code" ? r.DiscountCode : null,
            r.UsedAt is not null, r.UsedAt, r.ExpiresAt, r.CancelledAt is not null),
        new ClaimedRewardInfo(reward.Id, reward.Name, reward.Description, reward.PointsCost,
            reward.Type == RewardTypes.PercentageDiscount ? "percentage" : "flat", reward.Value));
}
