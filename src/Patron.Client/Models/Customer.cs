namespace Patron.Client;

/// <summary>A customer (docs/API.md, Customers).</summary>
public sealed class Customer : IHasId
{
    public string Object { get; set; } = "customer";
    public string Id { get; set; } = "";
    public string? ExternalId { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }

    /// <summary><c>YYYY-MM-DD</c>.</summary>
    public string? Birthday { get; set; }

    /// <summary><c>active</c>, <c>blocked</c> (or <c>deleted</c> in events about an erased customer).</summary>
    public string Status { get; set; } = "";

    public long PointsBalance { get; set; }
    public long PendingPoints { get; set; }
    public long LifetimePoints { get; set; }
    public long PointsSpent { get; set; }
    public long PointsExpired { get; set; }
    public long CurrentStamps { get; set; }

    /// <summary>The name of the customer's VIP tier, or null.</summary>
    public string? VipTier { get; set; }

    public decimal TotalSpent { get; set; }
    public string ReferralCode { get; set; } = "";
    public string QrCode { get; set; } = "";
    public string? Notes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// <c>POST /customers</c>: creates a customer, or updates the one that matches on <c>external_id</c>,
/// else <c>email</c>, else <c>phone</c>. A new customer needs at least one of the three.
/// </summary>
public sealed class CustomerCreateOptions
{
    public string? ExternalId { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    public string? Birthday { get; set; }
    public string? Status { get; set; }
    public string? Notes { get; set; }

    /// <summary>The opening balance of a new customer (never added to an existing one).</summary>
    public long? InitialPoints { get; set; }

    /// <summary>Another customer's <c>referral_code</c>.</summary>
    public string? ReferredBy { get; set; }
}

/// <summary><c>PATCH /customers/{ref}</c>: a null property is left as it is; <c>""</c> clears an optional text field.</summary>
public sealed class CustomerUpdateOptions
{
    public string? ExternalId { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    public string? Birthday { get; set; }

    /// <summary><c>active</c> or <c>blocked</c>.</summary>
    public string? Status { get; set; }

    public string? Notes { get; set; }
}

/// <summary><c>GET /customers</c> filters.</summary>
public sealed class CustomerListOptions : ListOptions
{
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? ExternalId { get; set; }

    /// <summary><c>active</c> or <c>blocked</c>.</summary>
    public string? Status { get; set; }

    /// <summary>A VIP tier id or name.</summary>
    public string? Tier { get; set; }

    /// <summary>Part of a name, email or phone.</summary>
    public string? Search { get; set; }

    protected override IEnumerable<KeyValuePair<string, string?>> Filters() =>
    [
        new("email", Email), new("phone", Phone), new("external_id", ExternalId), new("status", Status),
        new("tier", Tier), new("search", Search),
    ];
}
