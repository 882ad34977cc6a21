using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>Earn rules as the earning code needs them (docs/API.md, Earn rules).</summary>
public static class EarnRules
{
    public const string Columns =
        "id, name, type, points, points_per_unit_e4, multiplier_e4, limit_period, limit_count, tier_ids, starts_at, ends_at, enabled";

    public static EarnRule Map(DbDataReader r) => Map(r, 0);

    private static EarnRule Map(DbDataReader r, int at) => new(
        Id: r.GetString(at),
        Name: r.StringOrNull(at + 1),
        Type: r.GetString(at + 2),
        Points: r.GetInt64(at + 3),
        PointsPerUnitE4: r.Int64OrNull(at + 4),
        MultiplierE4: r.GetInt64(at + 5),
        LimitPeriod: r.StringOrNull(at + 6),
        LimitCount: r.Int64OrNull(at + 7),
        TierIds: ParseTierIds(r.GetString(at + 8)),
        StartsAt: r.Int64OrNull(at + 9),
        EndsAt: r.Int64OrNull(at + 10),
        // SQLite keeps booleans as integers, PostgreSQL as booleans.
        Enabled: Convert.ToBoolean(r.GetValue(at + 11)));

    public static IReadOnlyList<string> ParseTierIds(string tierIdsJson) =>
        System.Text.Json.JsonSerializer.Deserialize<string[]>(tierIdsJson) ?? [];

    /// <summary>The program's enabled rules of one type, campaigns included.</summary>
    public static Task<List<EarnRule>> EnabledAsync(Sql sql, string programId, string type) =>
        sql.ListAsync($"SELECT {Columns} FROM earn_rules WHERE program_id = @p AND type = @t AND enabled = @on",
            Map, ("p", programId), ("t", type), ("on", true));

    /// <summary>The program's enabled rules by version, one entry per program, each replaced when its version changes.</summary>
    private static readonly ConditionalWeakTable<Database, ConcurrentDictionary<string, (long Version, EarnRule[] Rules)>> EnabledByVersion = new();

    private static readonly string EnabledWithVersionSql =
        $"""
        SELECT p.earn_rules_version, {string.Join(", ", Columns.Split(", ").Select(c => "r." + c))}
        FROM programs p LEFT JOIN earn_rules r ON r.program_id = p.id AND r.enabled = @on
        WHERE p.id = @p
        """;

    /// <summary>
    /// The program's enabled rules of every type, campaigns included, as of <paramref name="version"/>: the
    /// <c>programs.earn_rules_version</c> the caller read in its own transaction, which a trigger changes with every
    /// change to the program's rules (migration 0026). Each instance keeps the rules of the version it last read in
    /// memory, so while they stay as they are an order runs no statement for them. Versions are random 64-bit
    /// values, as the tiers' are (<see cref="Tiers"/>): none comes back after a rollback or a PostgreSQL recovery.
    /// </summary>
    /// <remarks>
    /// On a miss the rules are read with their version in one statement. On PostgreSQL a change may commit between
    /// the caller's read and this one; the rules read are then newer than the caller's version, as those of a
    /// separate statement always were, and are kept under the version read with them.
    /// </remarks>
    public static async Task<IReadOnlyList<EarnRule>> EnabledAsync(WriteContext context, string programId, long version)
    {
        var cache = EnabledByVersion.GetValue(context.Database, _ => new(StringComparer.Ordinal));
        if (cache.TryGetValue(programId, out var kept) && kept.Version == version)
        {
            return kept.Rules;
        }
        var rows = await context.Sql.ListAsync(EnabledWithVersionSql,
            r => (Version: r.GetInt64(0), Rule: r.IsDBNull(1) ? null : Map(r, 1)), ("p", programId), ("on", true));
        if (rows.Count == 0)
        {
            return [];
        }
        EarnRule[] rules = [.. rows.Where(r => r.Rule is not null).Select(r => r.Rule!)];
        cache[programId] = (rows[0].Version, rules);
        return rules;
    }

    /// <summary>The rule an activity of this type earns from now (see <see cref="EarnRulePolicy.Select"/>), or null.</summary>
    public static async Task<EarnRule?> ApplicableAsync(Sql sql, string programId, string type, string? tierId, long nowMs) =>
        EarnRulePolicy.Select(await EnabledAsync(sql, programId, type), type, tierId, nowMs);

    /// <summary>
    /// For the orders code: the points per 1.00 spent (or per unit, in <c>units</c> mode) that the
    /// <c>place_order</c> rule in effect for this customer's tier gives now, or null when no such rule
    /// applies and the program's <c>points_per_unit</c> stands. Campaign multipliers come on top
    /// (<see cref="EarnRulePolicy.CampaignMultipliers"/>).
    /// </summary>
    public static decimal? PlaceOrderPointsPerUnit(IEnumerable<EarnRule> rules, string? tierId, long nowMs) =>
        EarnRulePolicy.Select(rules, ActivityTypes.PlaceOrder, tierId, nowMs) is { PointsPerUnitE4: { } e4 }
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
