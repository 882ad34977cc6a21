using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// Earn rules and campaigns (docs/API.md, Earn rules): any key may read them (a storefront shows
/// "ways to earn"); creating, changing and deleting them needs the admin scope.
/// </summary>
public static class EarnRulesEndpoints
{
    private const int MaxTiers = 50;
    private const long MaxLimitCount = 1_000;
    private const decimal MaxMultiplier = Limits.MaxMultiplier;
    private const decimal MaxPointsPerUnit = Limits.MaxPointsPerUnit;

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
            r.StartsAt is { } s ? PatronJson.FromMs(s) : null, r.EndsAt is { } e ? PatronJson.FromMs(e) : null,
            r.Enabled, PatronJson.FromMs(r.CreatedAt), PatronJson.FromMs(r.UpdatedAt));
    }

    /// <summary>
    /// POST and PATCH body. In PATCH an absent or null field is left as it is; <c>""</c> clears
    /// <c>name</c>, <c>limit_period</c>, <c>starts_at</c> and <c>ends_at</c>; <c>[]</c> clears <c>tier_ids</c>.
    /// </summary>
    public sealed class EarnRuleInput
    {
        public string? Name { get; set; }
        public string? Type { get; set; }
        public long? Points { get; set; }
        public decimal? PointsPerUnit { get; set; }
        public decimal? Multiplier { get; set; }
        public string? LimitPeriod { get; set; }
        public long? LimitCount { get; set; }
        public List<string>? TierIds { get; set; }
        public string? StartsAt { get; set; }
        public string? EndsAt { get; set; }
        public bool? Enabled { get; set; }
    }

    public static RouteGroupBuilder MapEarnRulesApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/earn_rules").WithTags("Earn rules");
        group.MapGet("/", List).WithSummary("List earn rules and campaigns; ?enabled=true|false and ?type= filter")
            .Produces<ListEnvelope<EarnRuleDto>>()
            .WithQuery(QueryParameter.Boolean("enabled", "Only enabled (`true`) or disabled (`false`) rules."),
                QueryParameter.Text("type", "An activity type the rule earns on, such as `purchase` or `signup`."));
        group.MapPost("/", Create).WithSummary("Create an earn rule, or a campaign (a rule with a multiplier) (admin)")
            .Accepts<EarnRuleInput>("application/json").Produces<EarnRuleDto>(201);
        group.MapGet("/{id}", Get).WithSummary("One earn rule").Produces<EarnRuleDto>();
        group.MapPatch("/{id}", Update).WithSummary("Change an earn rule (admin)")
            .Accepts<EarnRuleInput>("application/json").Produces<EarnRuleDto>();
        group.MapDelete("/{id}", Delete).WithSummary("Delete an earn rule (admin)").Produces<DeletedObject>();
        return group;
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database database)
    {
        var paging = Paging.From(request, "enabled", "type");
        var enabled = request.Query["enabled"].ToString() switch
        {
            "" => (bool?)null,
            "true" => true,
            "false" => false,
            _ => throw ApiException.Invalid("enabled", "'enabled' must be 'true' or 'false'."),
        };
        var type = request.Query["type"].ToString();
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = caller.ProgramId };
        var filtered = db.EarnRules.AsQueryable();
        if (enabled is { } on)
        {
            filtered = filtered.Where(r => r.Enabled == on);
        }
        if (type.Length > 0)
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
        return TypedResults.Ok(paging.Envelope(rows.Select(EarnRuleDto.From).ToList(), total));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database database)
    {
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = caller.ProgramId };
        var row = await db.EarnRules.FirstOrDefaultAsync(r => r.Id == id) ?? throw ApiException.NotFound("earn rule", id);
        return TypedResults.Ok(EarnRuleDto.From(row));
    }

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<EarnRuleInput>();
        var type = input.Type?.Trim() ?? throw ApiException.Missing("type");
        if (!ActivityTypes.IsValid(type))
        {
            throw ApiException.Invalid("type",
                $"'type' must be 1 to {ActivityTypes.MaxLength} letters, digits, '_', '-', '.' or ':' (an optional leading '$' is allowed).");
        }
        var row = new EarnRuleRow { Id = Ids.New("rule_"), ProgramId = caller.ProgramId, Type = ActivityTypes.Canonical(type) };
        var campaign = input.Multiplier is { } m && m != 1m;
        Apply(input, row);
        Validate(row, campaign);
        return await writes.RunAsync(http, caller, async context =>
        {
            await RequireTiersAsync(context.Sql, caller.ProgramId, input.TierIds);
            await using var db = PatronDb.For(context, caller.ProgramId);
            row.CreatedAt = row.UpdatedAt = context.NowMs;
            db.EarnRules.Add(row);
            await db.SaveChangesAsync();
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.EarnRuleCreated, row.Id, null, EarnRuleDto.From(row));
            return Reply.Created(EarnRuleDto.From(row));
        });
    }

    private static async Task<IResult> Update(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<EarnRuleInput>();
        return await writes.RunAsync(http, caller, async context =>
        {
            await using var db = PatronDb.For(context, caller.ProgramId);
            var row = await db.EarnRules.AsTracking().FirstOrDefaultAsync(r => r.Id == id)
                ?? throw ApiException.NotFound("earn rule", id);
            var before = EarnRuleDto.From(row);
            if (input.Type is { } type && ActivityTypes.Canonical(type.Trim()) != row.Type)
            {
                throw ApiException.Invalid("type", "An earn rule's 'type' cannot change; create a new rule instead.");
            }
            // Whether a rule is a campaign is fixed too: a campaign has no points or limit to fall back on.
            var campaign = row.MultiplierE4 != EarnRule.NoMultiplierE4;
            if (input.Multiplier is { } m && (m != 1m) != campaign)
            {
                throw ApiException.Invalid("multiplier", campaign
                    ? "A campaign's 'multiplier' cannot become 1; disable or delete the campaign instead."
                    : "A rule without a multiplier cannot become a campaign; create the campaign as its own rule.");
            }
            Apply(input, row);
            Validate(row, campaign);
            await RequireTiersAsync(context.Sql, caller.ProgramId, input.TierIds);
            row.UpdatedAt = context.NowMs;
            await db.SaveChangesAsync();
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.EarnRuleUpdated, id, before, EarnRuleDto.From(row));
            return Reply.Ok(EarnRuleDto.From(row));
        });
    }

    private static async Task<IResult> Delete(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        return await writes.RunAsync(http, caller, async context =>
        {
            await using var db = PatronDb.For(context, caller.ProgramId);
            var before = await db.EarnRules.FirstOrDefaultAsync(r => r.Id == id);
            if (before is null || await db.EarnRules.Where(r => r.Id == id).ExecuteDeleteAsync() == 0)
            {
                throw ApiException.NotFound("earn rule", id);
            }
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.EarnRuleDeleted, id, EarnRuleDto.From(before), null);
            return Reply.Ok(new DeletedObject(id, "earn_rule"));
        });
    }

    /// <summary>Copies what the input gives onto the row (absent = unchanged, "" = cleared).</summary>
    private static void Apply(EarnRuleInput i, EarnRuleRow r)
    {
        if (i.Name is { } name)
        {
            var trimmed = name.Trim();
            r.Name = trimmed.Length == 0 ? null
                : trimmed.Length <= 200 ? trimmed : throw ApiException.Invalid("name", "'name' is limited to 200 characters.");
        }
        if (i.Points is { } points)
        {
            r.Points = points;
        }
        if (i.PointsPerUnit is { } ppu)
        {
            r.PointsPerUnitE4 = ppu is > 0 and <= MaxPointsPerUnit
                ? ExactE4(ppu, "points_per_unit")
                : throw ApiException.Invalid("points_per_unit", $"'points_per_unit' must be greater than 0 and at most {MaxPointsPerUnit}.");
        }
        if (i.Multiplier is { } multiplier)
        {
            r.MultiplierE4 = multiplier is > 0 and <= MaxMultiplier
                ? ExactE4(multiplier, "multiplier")
                : throw ApiException.Invalid("multiplier", $"'multiplier' must be greater than 0 and at most {MaxMultiplier}.");
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
                    : throw ApiException.Invalid("limit_period", "'limit_period' must be 'once', 'day', 'week' or 'month' (\"\" removes the limit).");
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
                throw ApiException.Invalid("tier_ids", $"'tier_ids' must be a list of at most {MaxTiers} tier ids.");
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
                throw ApiException.Invalid(r.Points != 0 ? "points" : "points_per_unit",
                    "A campaign (a rule with a multiplier) awards no points of its own: it multiplies the points of its type.");
            }
            if (r.LimitPeriod is not null || r.LimitCount is not null)
            {
                throw ApiException.Invalid("limit_period", "A campaign has no limit of its own: the limits of the rules it multiplies apply.");
            }
        }
        else if (r.Type == ActivityTypes.PlaceOrder)
        {
            if (r.PointsPerUnitE4 is null)
            {
                throw ApiException.Missing("points_per_unit");
            }
            if (r.Points != 0)
            {
                throw ApiException.Invalid("points", "A 'place_order' rule earns 'points_per_unit' of the order; it has no fixed 'points'.");
            }
            if (r.LimitPeriod is not null || r.LimitCount is not null)
            {
                throw ApiException.Invalid("limit_period", "A 'place_order' rule earns on every paid order; it cannot have a limit.");
            }
        }
        else
        {
            if (r.Points is < 1 or > LedgerRules.MaxPointsPerEntry)
            {
                throw r.Points == 0 ? ApiException.Missing("points") : ApiException.Invalid("points", $"'points' must be a whole number from 1 to {Limits.MaxPoints}.");
            }
            if (r.PointsPerUnitE4 is not null)
            {
                throw ApiException.Invalid("points_per_unit", "Only 'place_order' rules earn 'points_per_unit'.");
            }
            if (r.Type == ActivityTypes.Birthday && (r.LimitPeriod is not null || r.LimitCount is not null))
            {
                throw ApiException.Invalid("limit_period", "A 'birthday' rule awards once a year by itself; it cannot have another limit.");
            }
        }

        switch (r.LimitPeriod, r.LimitCount)
        {
            case (null, not null):
                throw ApiException.Invalid("limit_count", "'limit_count' needs a 'limit_period'.");
            case (LimitPeriods.Once, { } once) when once != 1:
                throw ApiException.Invalid("limit_count", "A 'once' limit allows exactly one award; use 'day', 'week' or 'month' for more.");
            case (LimitPeriods.Once, null):
                r.LimitCount = 1;
                break;
            case (not null, null):
                r.LimitCount = 1;
                break;
            case (not null, { } count) when count is < 1 or > MaxLimitCount:
                throw ApiException.Invalid("limit_count", $"'limit_count' must be from 1 to {MaxLimitCount}.");
        }

        if (r is { StartsAt: { } s, EndsAt: { } e } && e <= s)
        {
            throw ApiException.Invalid("ends_at", "'ends_at' must be after 'starts_at'.");
        }
    }

    /// <summary>Every tier in the filter must be one of the program's tiers (another program's is as unknown as a missing one).</summary>
    private static async Task RequireTiersAsync(Sql sql, string programId, List<string>? tierIds)
    {
        foreach (var tierId in tierIds?.Distinct(StringComparer.Ordinal) ?? [])
        {
            if (await sql.ScalarAsync("SELECT 1 FROM vip_tiers WHERE id = @id AND program_id = @p AND deleted_at IS NULL", ("id", tierId), ("p", programId)) is null)
            {
                throw ApiException.Invalid("tier_ids", $"No such VIP tier: '{tierId}'.");
            }
        }
    }

    private static long ExactE4(decimal value, string param)
    {
        var e4 = Money.ToE4(value);
        return Money.FromE4(e4) == value ? e4 : throw ApiException.Invalid(param, $"'{param}' has at most four decimal places.");
    }

    private static long? Time(string value, string param)
    {
        if (value.Length == 0)
        {
            return null;
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToUnixTimeMilliseconds()
            : throw ApiException.Invalid(param, $"'{param}' must be an ISO-8601 timestamp such as 2026-12-01T00:00:00Z.");
    }
}
