using Patron.Operations.CustomerAccounts;
using Patron.Storage;

namespace Patron.Dialects.LoyaltyLoop;

/// <summary>Body of <c>POST /customers</c>.</summary>
public sealed class LoyaltyLoopCustomerInput
{
    public string? Name { get; set; }
    public string? Phone { get; set; }
    public string? Email { get; set; }
}

/// <summary>Body of the stamp routes; absent or empty means one stamp.</summary>
public sealed class LoyaltyLoopStampsInput
{
    public int? Stamps { get; set; }
}

/// <summary>Body of <c>POST /webhooks</c>.</summary>
public sealed class LoyaltyLoopWebhookInput
{
    public string? Url { get; set; }
    public List<string?>? Events { get; set; }
}

/// <summary>A customer as Loyalty Loop shows one (docs/migrate/loyaltyloop.md, "The customer").</summary>
public sealed record LoyaltyLoopCustomer(
    string Id, string? Name, string? Phone, string? Email, string QrCode, long CurrentStamps, long TotalStamps,
    int StampsRequired, long RewardsAvailable, string Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary><c>GET /customers/{id}</c>: the customer and its latest activity.</summary>
public sealed record LoyaltyLoopCustomerDetail(
    string Id, string? Name, string? Phone, string? Email, string QrCode, long CurrentStamps, long TotalStamps,
    int StampsRequired, long RewardsAvailable, string Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    IReadOnlyList<LoyaltyLoopTransaction> RecentTransactions);

/// <summary>One entry of <c>recent_transactions</c>; fields that do not apply to its type are null.</summary>
public sealed record LoyaltyLoopTransaction(
    string Id, string Type, long? Stamps, long? RewardsEarned, long? Points, string? PointsType, string? Description,
    string? RewardId, string? Status, DateTimeOffset Date);

public sealed record LoyaltyLoopPagination(int Page, int Limit, long Total, long TotalPages);

public sealed record LoyaltyLoopCustomerList(IReadOnlyList<LoyaltyLoopCustomer> Data, LoyaltyLoopPagination Pagination);

/// <summary>The answer to a stamp request.</summary>
public sealed record LoyaltyLoopStampsResult(
    string CustomerId, int StampsAdded, long CurrentStamps, int StampsRequired, bool RewardEarned, int RewardsEarned,
    IReadOnlyList<LoyaltyLoopReward> Rewards, LoyaltyLoopCustomer Customer);

/// <summary>A reward a full card issued: Patron's redemption, with its voucher code.</summary>
public sealed record LoyaltyLoopReward(
    string Id, string RewardId, string Code, string Status, DateTimeOffset? ExpiresAt, DateTimeOffset? RedeemedAt, DateTimeOffset EarnedAt)
{
    public static LoyaltyLoopReward From(RedemptionDto r) =>
        new(r.Id, r.RewardId, r.DiscountCode, r.Status, r.ExpiresAt, r.UsedAt, r.CreatedAt);
}

/// <summary>The answer to a redeem request.</summary>
public sealed record LoyaltyLoopRedeemResult(bool Redeemed, string CustomerId, LoyaltyLoopReward Reward, LoyaltyLoopCustomer Customer);

public sealed record LoyaltyLoopAnalytics(
    int Days, DateTimeOffset From, DateTimeOffset To, long TotalCustomers, long NewCustomers, long ActiveCustomers,
    long StampsAdded, long Visits, long RewardsEarned, long RewardsRedeemed);

/// <summary>A webhook; <c>secret</c> only in the answer that registered it.</summary>
public sealed record LoyaltyLoopWebhook(
    string Id, string Url, IReadOnlyList<string> Events, bool Active, DateTimeOffset CreatedAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? Secret = null);

public sealed record LoyaltyLoopWebhookList(IReadOnlyList<LoyaltyLoopWebhook> Data);

public sealed record LoyaltyLoopDeleted(string Id, bool Deleted);
