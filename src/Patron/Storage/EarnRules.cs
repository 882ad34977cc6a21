using Patron.Domain;

namespace Patron.Storage;

/// <summary>Earn rules as the earning code needs them (SPEC section 3, Earn rules).</summary>
public static class EarnRules
{
    /// <summary>
    /// The product of the multipliers of every enabled campaign (a rule with a multiplier other than 1)
    /// of this type that is running now and applies to the customer's tier. 1 when there is none.
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
                product *= multiplier;
            }
        }
        return product;
    }

    /// <summary>A rule's tier filter: an empty list means every customer.</summary>
    public static bool AppliesToTier(string tierIdsJson, string? tierId)
    {
        var tiers = System.Text.Json.JsonSerializer.Deserialize<string[]>(tierIdsJson) ?? [];
        return tiers.Length == 0 || (tierId is not null && tiers.Contains(tierId));
    }
}
