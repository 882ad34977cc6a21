using System.Data.Common;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>Earn rules as the earning code needs them (docs/API.md, Earn rules).</summary>
public static class EarnRules
{
    public const string Columns =
        "id, name, type, points, points_per_unit_e4, multiplier_e4, limit_period, limit_count, tier_ids, starts_at, ends_at, enabled";

    public static EarnRule Map(DbDataReader r) => new(
        Id: r.GetString(0),
        Name: r.StringOrNull(1),
        Type: r.GetString(2),
        Points: r.GetInt64(3),
        PointsPerUnitE4: r.Int64OrNull(4),
        MultiplierE4: r.GetInt64(5),
        LimitPeriod: r.StringOrNull(6),
        LimitCount: r.Int64OrNull(7),
        TierIds: ParseTierIds(r.GetString(8)),
        StartsAt: r.Int64OrNull(9),
        EndsAt: r.Int64OrNull(10),
        // SQLite keeps booleans as integers, PostgreSQL as booleans.
        Enabled: Convert.ToBoolean(r.GetValue(11)));

    /// <summary>
    /// The product of the multipliers of every enabled campaign (a rule with a multiplier other than 1)
    /// of this type that is running now and applies to the customer's tier. 1 when there is none; at most
    /// <see cref="Limits.MaxCombinedMultiplier"/> (stacked multipliers saturate, docs/API.md "Limits").
    /// A campaign multiplies its own type only: a <c>review</c> campaign leaves orders and signups alone.
    /// </summary>
    public static async Task<decimal> CampaignMultiplierAsync(Sql sql, string programId, string type, string? tierId, long nowMs)
    {
        var rules = await sql.ListAsync(
            """
            SELECT multiplier_e4, tier_ids FROM earn_rules
            WHERE program_id = @p AND type = @t AND enabled = @on AND multiplier_e4 <> 10000
              AND (starts_at IS NULL OR starts_at <= @now) AND (ends_at IS NULL OR ends_at > @now)
            """,
            r => (Multiplier: Money.FromE4(r.GetInt64(0)), Tiers: r.GetString(1)),
            ("p", programId), ("t", type), ("on", true), ("now", nowMs));
        var product = 1m;
        foreach (var (multiplier, tiers) in rules)
        {
            if (AppliesToTier(tiers, tierId))
            {
                product = Limits.SaturatingMultiply(product, multiplier, Limits.MaxCombinedMultiplier);
            }
        }
        return product;
    }

    /// <summary>A rule's tier filter: an empty list means every customer.</summary>
    public static bool AppliesToTier(string tierIdsJson, string? tierId)
    {
        var tiers = ParseTierIds(tierIdsJson);
        return tiers.Count == 0 || (tierId is not null && tiers.Contains(tierId));
    }

    public static IReadOnlyList<string> ParseTierIds(string tierIdsJson) =>
        System.Text.Json.JsonSerializer.Deserialize<string[]>(tierIdsJson) ?? [];

    /// <summary>The program's enabled rules of one type, campaigns included.</summary>
    public static Task<List<EarnRule>> EnabledAsync(Sql sql, string programId, string type) =>
        sql.ListAsync($"SELECT {Columns} FROM earn_rules WHERE program_id = @p AND type = @t AND enabled = @on",
            Map, ("p", programId), ("t", type), ("on", true));

    /// <summary>The rule an activity of this type earns from now (see <see cref="EarnRulePolicy.Select"/>), or null.</summary>
    public static async Task<EarnRule?> ApplicableAsync(Sql sql, string programId, string type, string? tierId, long nowMs) =>
        EarnRulePolicy.Select(await EnabledAsync(sql, programId, type), type, tierId, nowMs);

    /// <summary>
    /// For the orders code: the points per 1.00 spent (or per unit, in <c>units</c> mode) that the
    /// <c>place_order</c> rule in effect for this customer's tier gives now, or null when no such rule
    /// applies and the program's <c>points_per_unit</c> stands. Campaign multipliers come on top
    /// (<see cref="CampaignMultiplierAsync"/>).
    /// </summary>
    public static async Task<decimal?> PlaceOrderPointsPerUnitAsync(Sql sql, string programId, string? tierId, long nowMs) =>
        await ApplicableAsync(sql, programId, ActivityTypes.PlaceOrder, tierId, nowMs) is { PointsPerUnitE4: { } e4 }
            ? Money.FromE4(e4)
            : null;

    /// <summary>How many times the rule awarded this customer since <paramref name="sinceMs"/> (all time when null).</summary>
    public static async Task<long> AwardsSinceAsync(Sql sql, string ruleId, string customerId, long? sinceMs) =>
        Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COUNT(*) FROM rule_awards WHERE rule_id = @r AND customer_id = @c AND awarded_at >= @since",
            ("r", ruleId), ("c", customerId), ("since", sinceMs ?? long.MinValue)));

    /// <param name="transactionId">The ledger entry of the award, or the activity's id when it earned no points.</param>
    public static Task RecordAwardAsync(WriteContext context, string ruleId, string customerId, string transactionId) =>
        context.Sql.ExecuteAsync(
            "INSERT INTO rule_awards (rule_id, customer_id, awarded_at, transaction_id) VALUES (@r, @c, @at, @tx)",
            ("r", ruleId), ("c", customerId), ("at", context.NowMs), ("tx", transactionId));
}

/// <summary>An <c>earn_rules</c> row for EF Core (the admin CRUD); the earning path reads <see cref="EarnRule"/> instead.</summary>
public sealed class EarnRuleRow
{
    public required string Id { get; set; }
    public required string ProgramId { get; set; }
    public string? Name { get; set; }
    public required string Type { get; set; }
    public long Points { get; set; }
    public long? PointsPerUnitE4 { get; set; }
    public long MultiplierE4 { get; set; } = EarnRule.NoMultiplierE4;
    public string? LimitPeriod { get; set; }
    public long? LimitCount { get; set; }

    /// <summary>A JSON array of tier ids; empty means every customer.</summary>
    public string TierIds { get; set; } = "[]";
    public long? StartsAt { get; set; }
    public long? EndsAt { get; set; }
    public bool Enabled { get; set; } = true;
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}
