namespace Patron.Client;

/// <summary>A referral (docs/API.md, Referrals).</summary>
public sealed class Referral : IHasId
{
    public string Object { get; set; } = "referral";
    public string Id { get; set; } = "";
    public string ReferrerId { get; set; } = "";
    public string RefereeId { get; set; } = "";

    /// <summary><c>pending</c>, <c>completed</c> or <c>ineligible</c>.</summary>
    public string Status { get; set; } = "";

    public string? OrderId { get; set; }
    public long ReferrerPoints { get; set; }
    public long RefereePoints { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary><c>GET /referrals</c> filters.</summary>
public sealed class ReferralListOptions : ListOptions
{
    public string? ReferrerId { get; set; }
    public string? RefereeId { get; set; }
    public string? Status { get; set; }

    protected override IEnumerable<KeyValuePair<string, string?>> Filters() =>
        [new("referrer_id", ReferrerId), new("referee_id", RefereeId), new("status", Status)];
}
