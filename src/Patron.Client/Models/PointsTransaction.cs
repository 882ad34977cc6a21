namespace Patron.Client;

/// <summary>One immutable ledger entry (docs/API.md, The points ledger).</summary>
public sealed class PointsTransaction : IHasId
{
    public string Object { get; set; } = "points_transaction";
    public string Id { get; set; } = "";
    public string CustomerId { get; set; } = "";

    /// <summary>Positive credits, negative debits.</summary>
    public long Points { get; set; }

    /// <summary>What the caller called the entry: a kind, or its own label.</summary>
    public string Type { get; set; } = "";

    /// <summary><c>earned</c>, <c>redeemed</c>, <c>adjusted</c>, <c>expired</c>, <c>reversed</c> or <c>refunded</c>.</summary>
    public string Kind { get; set; } = "";

    public string? Description { get; set; }
    public string? Reference { get; set; }
    public long BalanceAfter { get; set; }

    /// <summary>The API key id that wrote the entry, or <c>import</c>, <c>system</c>.</summary>
    public string CreatedBy { get; set; } = "";

    /// <summary><c>available</c> or <c>pending</c>.</summary>
    public string Status { get; set; } = "";

    public DateTimeOffset? AvailableAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public string? OrderId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// Awards or deducts points. <see cref="Reference"/> makes the entry unique per customer: sent again,
/// it answers the original entry and credits nothing.
/// </summary>
public sealed class PointsTransactionCreateOptions
{
    /// <summary>A non-zero whole number: positive awards, negative deducts.</summary>
    public long Points { get; set; }

    /// <summary><c>earned</c>, <c>redeemed</c>, <c>adjusted</c> or a label of your own; without it the sign decides.</summary>
    public string? Type { get; set; }

    public string? Description { get; set; }
    public string? Reference { get; set; }
}

/// <summary><c>GET /points_transactions</c> filters.</summary>
public sealed class PointsTransactionListOptions : ListOptions
{
    /// <summary>Any customer reference.</summary>
    public string? CustomerId { get; set; }

    /// <summary>The <c>type</c> shown on the entry, exactly.</summary>
    public string? Type { get; set; }

    protected override IEnumerable<KeyValuePair<string, string?>> Filters() => [new("customer_id", CustomerId), new("type", Type)];
}
