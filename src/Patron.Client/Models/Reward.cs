namespace Patron.Client;

/// <summary>A reward customers spend points on (docs/API.md, Rewards).</summary>
public sealed class Reward : IHasId
{
    public string Object { get; set; } = "reward";
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Description { get; set; }

    /// <summary><c>amount_discount</c>, <c>percentage_discount</c>, <c>free_shipping</c>, <c>free_product</c>, <c>store_credit</c> or <c>custom</c>.</summary>
    public string Type { get; set; } = "";

    public decimal? Value { get; set; }

    /// <summary><see cref="Value"/> under Loyalino's name.</summary>
    public decimal? DiscountValue { get; set; }

    public string? ProductId { get; set; }
    public long? PointsCost { get; set; }
    public VariablePricing? Variable { get; set; }
    public string? MinTier { get; set; }
    public int? LimitPerCustomer { get; set; }
    public int? ExpiresInDays { get; set; }

    /// <summary><c>generated</c> or <c>pool</c>.</summary>
    public string CodeSource { get; set; } = "";

    public string? CodePrefix { get; set; }
    public bool Enabled { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Pay-what-you-want pricing: <see cref="PointsPerUnit"/> points buy 1.00 of value, between the bounds.</summary>
public sealed class VariablePricing
{
    public long PointsPerUnit { get; set; }
    public long MinPoints { get; set; }
    public long MaxPoints { get; set; }
}

/// <summary><c>POST /rewards</c> (admin).</summary>
public sealed class RewardCreateOptions
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public string? Type { get; set; }
    public decimal? Value { get; set; }
    public string? ProductId { get; set; }
    public long? PointsCost { get; set; }
    public VariablePricing? Variable { get; set; }
    public string? MinTier { get; set; }
    public int? LimitPerCustomer { get; set; }
    public int? ExpiresInDays { get; set; }
    public string? CodeSource { get; set; }
    public string? CodePrefix { get; set; }
    public bool? Enabled { get; set; }
}

/// <summary><c>PATCH /rewards/{id}</c> (admin): a null property is left as it is.</summary>
public sealed class RewardUpdateOptions
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public decimal? Value { get; set; }
    public string? ProductId { get; set; }
    public long? PointsCost { get; set; }
    public VariablePricing? Variable { get; set; }
    public string? MinTier { get; set; }
    public int? LimitPerCustomer { get; set; }
    public int? ExpiresInDays { get; set; }
    public string? CodePrefix { get; set; }
    public bool? Enabled { get; set; }
}

/// <summary><c>GET /rewards</c> filters.</summary>
public sealed class RewardListOptions : ListOptions
{
    public bool? Enabled { get; set; }

    protected override IEnumerable<KeyValuePair<string, string?>> Filters() => [new("enabled", Bool(Enabled))];
}

/// <summary>A pool reward's codes: how many, available, issued and used.</summary>
public sealed class VoucherPoolStats
{
    public string Object { get; set; } = "";
    public string RewardId { get; set; } = "";
    public string CodeSource { get; set; } = "";
    public long Total { get; set; }
    public long Available { get; set; }
    public long Issued { get; set; }
    public long Used { get; set; }
}

/// <summary>The outcome of adding codes to a pool reward.</summary>
public sealed class VoucherCodeImport
{
    public string Object { get; set; } = "";
    public string RewardId { get; set; } = "";
    public long Received { get; set; }
    public long Imported { get; set; }
    public long DuplicateCount { get; set; }
    public List<string> Duplicates { get; set; } = [];
}
