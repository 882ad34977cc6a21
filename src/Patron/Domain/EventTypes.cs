namespace Patron.Domain;

/// <summary>
/// The one list of event types: what the modules emit, what a webhook endpoint may subscribe to, what
/// <c>GET /events?type=</c> accepts and what the API description lists. docs/WEBHOOKS.md documents
/// each; a test keeps that table and <see cref="All"/> equal.
/// </summary>
public static class EventTypes
{
    public const string CustomerCreated = "customer.created";
    public const string CustomerUpdated = "customer.updated";
    public const string CustomerDeleted = "customer.deleted";

    /// <summary>A ledger entry other than an expiry was written.</summary>
    public const string PointsCreated = "points.created";

    /// <summary>What was left of a lot expired: its <c>expired</c> ledger entry.</summary>
    public const string PointsExpired = "points.expired";

    public const string OrderUpdated = "order.updated";
    public const string RedemptionCreated = "redemption.created";
    public const string RedemptionCancelled = "redemption.cancelled";
    public const string VoucherUsed = "voucher.used";
    public const string TierChanged = "tier.changed";
    public const string StampAdded = "stamp.added";
    public const string RewardEarned = "reward.earned";

    /// <summary>
    /// A customer got a reward, once per redemption: when points are spent on it (at the same time as
    /// <c>redemption.created</c>), or, for a reward a full stamp card issued, when it is used (with <c>voucher.used</c>).
    /// </summary>
    public const string RewardRedeemed = "reward.redeemed";
    public const string ReferralCompleted = "referral.completed";
    public const string GiftCardUpdated = "gift_card.updated";

    /// <summary>Every event type, in the order docs/WEBHOOKS.md lists them.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        CustomerCreated, CustomerUpdated, CustomerDeleted, PointsCreated, PointsExpired, OrderUpdated,
        RedemptionCreated, RedemptionCancelled, VoucherUsed, TierChanged, StampAdded, RewardEarned,
        RewardRedeemed, ReferralCompleted, GiftCardUpdated,
    ];

    private static readonly HashSet<string> Known = new(All, StringComparer.Ordinal);

    public static bool IsKnown(string type) => Known.Contains(type);

    /// <summary>The event a new ledger entry emits: <c>points.expired</c> for an expiry, else <c>points.created</c>.</summary>
    public static string OfLedgerEntry(string entryType) => entryType == PointsTypes.Expired ? PointsExpired : PointsCreated;
}
