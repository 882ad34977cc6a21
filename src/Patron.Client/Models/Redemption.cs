namespace Patron.Client;

/// <summary>A reward redeemed by a customer, with its code (docs/API.md, Redemptions).</summary>
public sealed class Redemption : IHasId
{
    public string Object { get; set; } = "redemption";
    public string Id { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public string RewardId { get; set; } = "";

    /// <summary><c>points</c>, <c>stamps</c> or <c>referral</c>.</summary>
    public string Source { get; set; } = "";

    public long PointsSpent { get; set; }
    public long RemainingBalance { get; set; }
    public string DiscountCode { get; set; } = "";

    /// <summary><c>code</c> or <c>store_credit</c>.</summary>
    public string ApplyMode { get; set; } = "";

    public decimal? Value { get; set; }

    /// <summary><c>issued</c>, <c>used</c>, <c>expired</c> or <c>cancelled</c>.</summary>
    public string Status { get; set; } = "";

    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
    public string? OrderId { get; set; }
    public DateTimeOffset? CancelledAt { get; set; }
    public string? TransactionId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary><c>POST /customers/{ref}/redemptions</c>.</summary>
public sealed class RedemptionCreateOptions
{
    public string? RewardId { get; set; }

    /// <summary>For variable rewards only: how many points the customer spends.</summary>
    public long? PointsToRedeem { get; set; }
}

/// <summary><c>GET /redemptions</c> filters.</summary>
public sealed class RedemptionListOptions : ListOptions
{
    public string? CustomerId { get; set; }
    public string? RewardId { get; set; }

    /// <summary><c>issued</c>, <c>used</c>, <c>expired</c> or <c>cancelled</c>.</summary>
    public string? Status { get; set; }

    protected override IEnumerable<KeyValuePair<string, string?>> Filters() =>
        [new("customer_id", CustomerId), new("reward_id", RewardId), new("status", Status)];
}

/// <summary>A voucher code's state.</summary>
public sealed class Voucher
{
    public string Object { get; set; } = "voucher";
    public string Code { get; set; } = "";
    public string Status { get; set; } = "";
    public string RedemptionId { get; set; } = "";
    public string RewardId { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public string ApplyMode { get; set; } = "";
    public decimal? Value { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
    public string? OrderId { get; set; }
    public DateTimeOffset IssuedAt { get; set; }
}

/// <summary><c>POST /vouchers/{code}/use</c>.</summary>
public sealed class VoucherUseOptions
{
    public string? OrderId { get; set; }
}
