namespace Patron.Client;

/// <summary>An earn rule, or a campaign (a rule with a multiplier) (docs/API.md, Earn rules).</summary>
public sealed class EarnRule : IHasId
{
    public string Object { get; set; } = "earn_rule";
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public string Type { get; set; } = "";
    public long Points { get; set; }
    public decimal? PointsPerUnit { get; set; }
    public decimal Multiplier { get; set; }
    public bool Campaign { get; set; }
    public string? LimitPeriod { get; set; }
    public long? LimitCount { get; set; }
    public List<string> TierIds { get; set; } = [];
    public DateTimeOffset? StartsAt { get; set; }
    public DateTimeOffset? EndsAt { get; set; }
    public bool Enabled { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// <c>POST /earn_rules</c> and <c>PATCH /earn_rules/{id}</c> (admin). In an update a null property is
/// left as it is; <c>""</c> clears <c>name</c>, <c>limit_period</c>, <c>starts_at</c> and <c>ends_at</c>.
/// </summary>
public sealed class EarnRuleOptions
{
    public string? Name { get; set; }

    /// <summary>Fixed once created.</summary>
    public string? Type { get; set; }

    public long? Points { get; set; }
    public decimal? PointsPerUnit { get; set; }
    public decimal? Multiplier { get; set; }

    /// <summary><c>once</c>, <c>day</c>, <c>week</c> or <c>month</c>.</summary>
    public string? LimitPeriod { get; set; }

    public long? LimitCount { get; set; }
    public List<string>? TierIds { get; set; }

    /// <summary>An ISO-8601 time, or <c>""</c> to clear.</summary>
    public string? StartsAt { get; set; }

    public string? EndsAt { get; set; }
    public bool? Enabled { get; set; }
}

/// <summary><c>GET /earn_rules</c> filters.</summary>
public sealed class EarnRuleListOptions : ListOptions
{
    public bool? Enabled { get; set; }
    public string? Type { get; set; }

    protected override IEnumerable<KeyValuePair<string, string?>> Filters() => [new("enabled", Bool(Enabled)), new("type", Type)];
}
