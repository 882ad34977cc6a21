using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.EarnRulesAndCampaigns;

/// <summary>An earn rule or campaign as every front door shows it (docs/API.md, Earn rules) and as the audit trail records it.</summary>
public sealed record EarnRuleDto(
    string Id, string? Name, string Type, long Points, decimal? PointsPerUnit, decimal Multiplier, bool Campaign,
    string? LimitPeriod, long? LimitCount, IReadOnlyList<string> TierIds, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt,
    bool Enabled, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "earn_rule";

    public static EarnRuleDto From(EarnRuleRow r) => new(
        r.Id, r.Name, r.Type, r.Points, r.PointsPerUnitE4 is { } ppu ? Money.FromE4(ppu) : null, Money.FromE4(r.MultiplierE4),
        r.MultiplierE4 != EarnRule.NoMultiplierE4, r.LimitPeriod, r.LimitCount, EarnRules.ParseTierIds(r.TierIds),
        r.StartsAt is { } s ? Time.FromMs(s) : null, r.EndsAt is { } e ? Time.FromMs(e) : null,
        r.Enabled, Time.FromMs(r.CreatedAt), Time.FromMs(r.UpdatedAt));
}

/// <summary>
/// An earn rule's settings as a caller gives them. On a change an absent (null) field is left as it is;
/// <c>""</c> clears <c>Name</c>, <c>LimitPeriod</c>, <c>StartsAt</c> and <c>EndsAt</c>; an empty list clears <c>TierIds</c>.
/// Times are ISO-8601 text, as every front door receives them.
/// </summary>
public sealed record EarnRuleSettings(
    string? Name = null, string? Type = null, long? Points = null, decimal? PointsPerUnit = null, decimal? Multiplier = null,
    string? LimitPeriod = null, long? LimitCount = null, IReadOnlyList<string>? TierIds = null, string? StartsAt = null,
    string? EndsAt = null, bool? Enabled = null);

/// <summary>
/// A program's earn rules and campaigns (docs/API.md, Earn rules; a campaign is a rule with a multiplier other
/// than 1): list, read, create, change and delete, from the native API and the dashboard alike, each change
/// audited here (docs/AUDIT.md) with the front door's actor. Earning itself reads the rules in
/// <see cref="EarnRules"/>.
/// </summary>
public static class EarnRuleOperations
{
    public const int MaxTiers = 50;
    public const long MaxLimitCount = 1_000;
    private const decimal MaxMultiplier = Limits.MaxMultiplier;
    private const decimal MaxPointsPerUnit = Limits.MaxPointsPerUnit;

    /// <summary>Newest first; <paramref name="enabled"/> and <paramref name="type"/> filter when given.</summary>
    public static async Task<ListEnvelope<EarnRuleDto>> ListAsync(Database database, string programId, Paging paging, bool? enabled = null, string? type = null)
    {
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = programId };
        var filtered = db.EarnRules.AsQueryable();
        if (enabled is { } on)
        {
            filtered = filtered.Where(r => r.Enabled == on);
        }
        if (!string.IsNullOrEmpty(type))
        {
            var canonical = ActivityTypes.Canonical(type);
            filtered = filtered.Where(r => r.Type == canonical);
        }
        var page = filtered;
        if (paging.StartingAfter is { } after)
        {
            page = page.Where(r => string.Compare(r.Id, after) < 0);
        }
        var rows = await page.OrderByDescending(r => r.Id).Skip(paging.Offset).Take(paging.Limit + 1).ToListAsync();
        long? total = paging.StartingAfter is null ? await filtered.LongCountAsync() : null;
        return paging.Envelope(rows.Select(EarnRuleDto.From).ToList(), total);
    }

    public static async Task<EarnRuleDto> GetAsync(Database database, string programId, string id)
    {
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = programId };
        var row = await db.EarnRules.FirstOrDefaultAsync(r => r.Id == id) ?? throw OperationException.NotFound("earn rule", id);
        return EarnRuleDto.From(row);
    }

    /// <summary>Checks a new rule on its own, before the write; its tier filter is checked in it.</summary>
    public static EarnRuleRow Prepare(string programId, EarnRuleSettings input)
    {
        var type = input.Type?.Trim() ?? throw OperationException.Missing("type");
        if (!ActivityTypes.IsValid(type))
        {
            throw OperationException.Invalid("type",
                $"'type' must be 1 to {ActivityTypes.MaxLength} letters, digits, '_', '-', '.' or ':' (an optional leading '$' is allowed).");
        }
        var row = new EarnRuleRow { Id = Ids.New("rule_"), ProgramId = programId, Type = ActivityTypes.Canonical(type) };
        var campaign = input.Multiplier is { } m && m != 1m;
        Apply(input, row);
        Validate(row, campaign);
        return row;
    }

    /// <summary>Adds a prepared rule in the caller's write and audits it.</summary>
    public static async Task<EarnRuleDto> CreateAsync(WriteContext context, Actor actor, EarnRuleRow row)
    {
        await RequireTiersAsync(context.Sql, row.ProgramId, EarnRules.ParseTierIds(row.TierIds));
        await using var db = await PatronDb.ForAsync(context, row.ProgramId);
        row.CreatedAt = row.UpdatedAt = context.NowMs;
        db.EarnRules.Add(row);
        await db.SaveChangesAsync();
        var created = EarnRuleDto.From(row);
        await AuditTrail.RecordAsync(context, actor, row.ProgramId, AuditActions.EarnRuleCreated, row.Id, null, created);
        return created;
    }

    /// <summary>Changes a rule in the caller's write; its type, and whether it is a campaign, stay as created.</summary>
    public static async Task<EarnRuleDto> UpdateAsync(WriteContext context, Actor actor, string programId, string id, EarnRuleSettings input)
    {
        await using var db = await PatronDb.ForAsync(context, programId);
        var row = await db.EarnRules.AsTracking().FirstOrDefaultAsync(r => r.Id == id)
            ?? throw OperationException.NotFound("earn rule", id);
        var before = EarnRuleDto.From(row);
        if (input.Type is { } type && ActivityTypes.Canonical(type.Trim()) != row.Type)
        {
            throw OperationException.Invalid("type", "An earn rule's 'type' cannot change; create a new rule instead.");
        }
        // Whether a rule is a campaign is fixed too: a campaign has no points or limit to fall back on.
        var campaign = row.MultiplierE4 != EarnRule.NoMultiplierE4;
        if (input.Multiplier is { } m && (m != 1m) != campaign)
        {
            throw OperationException.Invalid("multiplier", campaign
                ? "A campaign's 'multiplier' cannot become 1; disable or delete the campaign instead."
                : "A rule without a multiplier cannot become a campaign; create the campaign as its own rule.");
        }
        Apply(input, row);
        Validate(row, campaign);
        await RequireTiersAsync(context.Sql, programId, input.TierIds);
        row.UpdatedAt = context.NowMs;
        await db.SaveChangesAsync();
        var after = EarnRuleDto.From(row);
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.EarnRuleUpdated, id, before, after);
        return after;
    }

    /// <summary>Deletes a rule in the caller's write and audits it.</summary>
    public static async Task DeleteAsync(WriteContext context, Actor actor, string programId, string id)
    {
        await using var db = await PatronDb.ForAsync(context, programId);
        var before = await db.EarnRules.FirstOrDefaultAsync(r => r.Id == id);
        if (before is null || await db.EarnRules.Where(r => r.Id == id).ExecuteDeleteAsync() == 0)
        {
            throw OperationException.NotFound("earn rule", id);
        }
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.EarnRuleDeleted, id, EarnRuleDto.From(before), null);
    }

    /// <summary>Copies what the input gives onto the row (absent = unchanged, "" = cleared).</summary>
    private static void Apply(EarnRuleSettings i, EarnRuleRow r)
    {
        if (i.Name is { } name)
        {
            var trimmed = name.Trim();
            r.Name = trimmed.Length == 0 ? null
                : trimmed.Length <= 200 ? trimmed : throw OperationException.Invalid("name", "'name' is limited to 200 characters.");
        }
        if (i.Points is { } points)
        {
            r.Points = points;
        }
        if (i.PointsPerUnit is { } ppu)
        {
            r.PointsPerUnitE4 = ppu is > 0 and <= MaxPointsPerUnit
                ? Money.ExactE4(ppu, "points_per_unit")
                : throw OperationException.Invalid("points_per_unit", $"'points_per_unit' must be greater than 0 and at most {MaxPointsPerUnit}.");
        }
        if (i.Multiplier is { } multiplier)
        {
            r.MultiplierE4 = multiplier is > 0 and <= MaxMultiplier
                ? Money.ExactE4(multiplier, "multiplier")
                : throw OperationException.Invalid("multiplier", $"'multiplier' must be greater than 0 and at most {MaxMultiplier}.");
        }
        if (i.LimitPeriod is { } period)
        {
            if (period.Length == 0)
            {
                r.LimitPeriod = null;
                r.LimitCount = null;
            }
            else
            {
                r.LimitPeriod = LimitPeriods.IsValid(period) ? period
                    : throw OperationException.Invalid("limit_period", "'limit_period' must be 'once', 'day', 'week' or 'month' (\"\" removes the limit).");
            }
        }
        if (i.LimitCount is { } count)
        {
            r.LimitCount = count;
        }
        if (i.TierIds is { } tiers)
        {
            if (tiers.Count > MaxTiers || tiers.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > 100))
            {
                throw OperationException.Invalid("tier_ids", $"'tier_ids' must be a list of at most {MaxTiers} tier ids.");
            }
            r.TierIds = JsonSerializer.Serialize(tiers.Distinct(StringComparer.Ordinal).ToArray());
        }
        if (i.StartsAt is { } starts)
        {
            r.StartsAt = Time(starts, "starts_at");
        }
        if (i.EndsAt is { } ends)
        {
            r.EndsAt = Time(ends, "ends_at");
        }
        if (i.Enabled is { } enabled)
        {
            r.Enabled = enabled;
        }
    }

    /// <summary>The rule as a whole must make sense (docs/API.md, Earn rules).</summary>
    private static void Validate(EarnRuleRow r, bool campaign)
    {
        if (campaign)
        {
            // A campaign multiplies the points its type earns from other rules; it earns nothing itself.
            if (r.Points != 0 || r.PointsPerUnitE4 is not null)
            {
                throw OperationException.Invalid(r.Points != 0 ? "points" : "points_per_unit",
                    "A campaign (a rule with a multiplier) awards no points of its own: it multiplies the points of its type.");
            }
            if (r.LimitPeriod is not null || r.LimitCount is not null)
            {
                throw OperationException.Invalid("limit_period", "A campaign has no limit of its own: the limits of the rules it multiplies apply.");
            }
        }
        else if (r.Type == ActivityTypes.PlaceOrder)
        {
            if (r.PointsPerUnitE4 is null)
            {
                throw OperationException.Missing("points_per_unit");
            }
            if (r.Points != 0)
            {
                throw OperationException.Invalid("points", "A 'place_order' rule earns 'points_per_unit' of the order; it has no fixed 'points'.");
            }
            if (r.LimitPeriod is not null || r.LimitCount is not null)
            {
                throw OperationException.Invalid("limit_period", "A 'place_order' rule earns on every paid order; it cannot have a limit.");
            }
        }
        else
        {
            if (r.Points is < 1 or > LedgerRules.MaxPointsPerEntry)
            {
                throw r.Points == 0 ? OperationException.Missing("points") : OperationException.Invalid("points", $"'points' must be a whole number from 1 to {Limits.MaxPoints}.");
            }
            if (r.PointsPerUnitE4 is not null)
            {
                throw OperationException.Invalid("points_per_unit", "Only 'place_order' rules earn 'points_per_unit'.");
            }
            if (r.Type == ActivityTypes.Birthday && (r.LimitPeriod is not null || r.LimitCount is not null))
            {
                throw OperationException.Invalid("limit_period", "A 'birthday' rule awards once a year by itself; it cannot have another limit.");
            }
        }

        switch (r.LimitPeriod, r.LimitCount)
        {
            case (null, not null):
                throw OperationException.Invalid("limit_count", "'limit_count' needs a 'limit_period'.");
            case (LimitPeriods.Once, { } once) when once != 1:
                throw OperationException.Invalid("limit_count", "A 'once' limit allows exactly one award; use 'day', 'week' or 'month' for more.");
            case (LimitPeriods.Once, null):
                r.LimitCount = 1;
                break;
            case (not null, null):
                r.LimitCount = 1;
                break;
            case (not null, { } count) when count is < 1 or > MaxLimitCount:
                throw OperationException.Invalid("limit_count", $"'limit_count' must be from 1 to {MaxLimitCount}.");
        }

        if (r is { StartsAt: { } s, EndsAt: { } e } && e <= s)
        {
            throw OperationException.Invalid("ends_at", "'ends_at' must be after 'starts_at'.");
        }
    }

    /// <summary>Every tier in the filter must be one of the program's tiers (another program's is as unknown as a missing one).</summary>
    private static async Task RequireTiersAsync(Sql sql, string programId, IReadOnlyList<string>? tierIds)
    {
        foreach (var tierId in tierIds?.Distinct(StringComparer.Ordinal) ?? [])
        {
            if (await sql.ScalarAsync("SELECT 1 FROM vip_tiers WHERE id = @id AND program_id = @p AND deleted_at IS NULL", ("id", tierId), ("p", programId)) is null)
            {
                throw OperationException.Invalid("tier_ids", $"No such VIP tier: '{tierId}'.");
            }
        }
    }

    private static long? Time(string value, string param)
    {
        if (value.Length == 0)
        {
            return null;
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToUnixTimeMilliseconds()
            : throw OperationException.Invalid(param, $"'{param}' must be an ISO-8601 timestamp such as 2026-12-01T00:00:00Z.");
    }
}
