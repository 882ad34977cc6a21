namespace Patron.Client;

/// <summary>A VIP tier (docs/API.md, VIP tiers): one requirement, points or spend, and its benefits.</summary>
public sealed class VipTier : IHasId
{
    public string Object { get; set; } = "vip_tier";
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public long? PointsRequired { get; set; }
    public decimal? SpendRequired { get; set; }
    public int? SpendWindowDays { get; set; }
    public decimal Multiplier { get; set; }

    /// <summary><c>percentage</c> or <c>amount</c>, or null.</summary>
    public string? DiscountType { get; set; }

    public decimal? DiscountValue { get; set; }
    public bool FreeShipping { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary><c>POST /vip_tiers</c> and <c>PATCH /vip_tiers/{id}</c> (admin): a null property is left as it is.</summary>
public sealed class VipTierOptions
{
    public string? Name { get; set; }
    public long? PointsRequired { get; set; }
    public decimal? SpendRequired { get; set; }
    public int? SpendWindowDays { get; set; }
    public decimal? Multiplier { get; set; }
    public string? DiscountType { get; set; }
    public decimal? DiscountValue { get; set; }
    public bool? FreeShipping { get; set; }
}
