using Microsoft.EntityFrameworkCore;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.VipTiers;

/// <summary>A VIP tier as every front door shows it (docs/API.md, VIP tiers) and as the audit trail records it.</summary>
public sealed record VipTierDto(
    string Id, string Name, long? PointsRequired, decimal? SpendRequired, int? SpendWindowDays, decimal Multiplier,
    string? DiscountType, decimal? DiscountValue, bool FreeShipping, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "vip_tier";

    public static VipTierDto From(VipTierRow t) => new(
        t.Id, t.Name, t.PointsRequired, t.SpendRequiredE4 is { } s ? Money.FromE4(s) : null, t.SpendWindowDays,
        Money.FromE4(t.MultiplierE4), t.DiscountType, t.DiscountValueE4 is { } d ? Money.FromE4(d) : null, t.FreeShipping,
        Time.FromMs(t.CreatedAt), Time.FromMs(t.UpdatedAt));
}

/// <summary>
/// A tier's settings as a caller gives them. On a change an absent (null) field is left as it is; giving
/// <c>PointsRequired</c> or <c>SpendRequired</c> makes the tier that kind; <c>DiscountType: ""</c> removes the discount.
/// </summary>
public sealed record VipTierSettings(
    string? Name = null, long? PointsRequired = null, decimal? SpendRequired = null, int? SpendWindowDays = null,
    decimal? Multiplier = null, string? DiscountType = null, decimal? DiscountValue = null, bool? FreeShipping = null);

/// <summary>
/// A program's VIP tiers (docs/API.md, VIP tiers): list, read, create, change and delete, from the native
/// API and the dashboard alike, each change audited here (docs/AUDIT.md) with the front door's actor.
/// Customers move between tiers in <see cref="Storage.Tiers"/> and <see cref="Jobs.VipTierJob"/>; a change
/// here only schedules that check.
/// </summary>
public static class VipTierOperations
{
    public const string Percentage = "percentage";
    public const string Amount = "amount";
    public const int MaxNameLength = 100;
    public const int DefaultWindowDays = 365;
    public const int MaxWindowDays = 3_650;
    private const decimal MaxMultiplier = Limits.MaxMultiplier;
    private const decimal MaxMoney = Limits.MaxSpendThreshold;

    /// <summary>
    /// The ladder from the bottom: lowest requirement first (a program's tiers all require the same kind,
    /// and each its own amount, so the order is total). <c>starting_after</c> continues after a tier.
    /// </summary>
    public static async Task<ListEnvelope<VipTierDto>> ListAsync(Database database, string programId, Paging paging)
    {
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = programId };
        var query = db.VipTiers.AsQueryable();
        if (paging.StartingAfter is { } after)
        {
            var from = await db.VipTiers.Where(t => t.Id == after).Select(t => t.PointsRequired ?? t.SpendRequiredE4).ToListAsync();
            if (from.Count == 0)
            {
                throw OperationException.Invalid("starting_after", $"No such VIP tier: '{after}'.");
            }
            var rank = from[0];
            query = query.Where(t => (t.PointsRequired ?? t.SpendRequiredE4) > rank);
        }
        var rows = await query.OrderBy(t => t.PointsRequired ?? t.SpendRequiredE4).ThenBy(t => t.Id)
            .Skip(paging.Offset).Take(paging.Limit + 1).ToListAsync();
        long? total = paging.StartingAfter is null ? await db.VipTiers.LongCountAsync() : null;
        return paging.Envelope(rows.Select(VipTierDto.From).ToList(), total);
    }

    public static async Task<VipTierDto> GetAsync(Database database, string programId, string id)
    {
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = programId };
        var row = await db.VipTiers.FirstOrDefaultAsync(t => t.Id == id) ?? throw OperationException.NotFound("VIP tier", id);
        return VipTierDto.From(row);
    }

    /// <summary>Checks a new tier on its own, before the write; the checks against the program's other tiers run in it.</summary>
    public static VipTierRow Prepare(string programId, VipTierSettings input)
    {
        if (string.IsNullOrWhiteSpace(input.Name))
        {
            throw OperationException.Missing("name");
        }
        var row = new VipTierRow { Id = Ids.New("tier_"), ProgramId = programId, Name = "" };
        Apply(input, row);
        Validate(row);
        return row;
    }

    /// <summary>Adds a prepared tier in the caller's write and audits it.</summary>
    public static async Task<VipTierDto> CreateAsync(WriteContext context, Actor actor, VipTierRow row)
    {
        await using var db = await PatronDb.ForAsync(context, row.ProgramId);
        await LockProgramAsync(context, row.ProgramId);
        await CheckAgainstOthersAsync(db, row);
        row.CreatedAt = row.UpdatedAt = context.NowMs;
        db.VipTiers.Add(row);
        await db.SaveChangesAsync();
        // Customers who already qualify move up at the job's next pass.
        await Storage.Tiers.ScheduleCheckAsync(context, row.ProgramId, TierRules.Reasons.TierSettings);
        var created = VipTierDto.From(row);
        await AuditTrail.RecordAsync(context, actor, row.ProgramId, AuditActions.VipTierCreated, row.Id, null, created);
        return created;
    }

    /// <summary>Changes a tier in the caller's write; members are checked again when its requirement changes.</summary>
    public static async Task<VipTierDto> UpdateAsync(WriteContext context, Actor actor, string programId, string id, VipTierSettings input)
    {
        await using var db = await PatronDb.ForAsync(context, programId);
        await LockProgramAsync(context, programId);
        var row = await db.VipTiers.AsTracking().FirstOrDefaultAsync(t => t.Id == id)
            ?? throw OperationException.NotFound("VIP tier", id);
        var before = VipTierDto.From(row);
        var requirementBefore = (row.PointsRequired, row.SpendRequiredE4, row.SpendWindowDays);
        Apply(input, row);
        Validate(row);
        await CheckAgainstOthersAsync(db, row);
        row.UpdatedAt = context.NowMs;
        await db.SaveChangesAsync();
        if ((row.PointsRequired, row.SpendRequiredE4, row.SpendWindowDays) != requirementBefore)
        {
            await Storage.Tiers.ScheduleCheckAsync(context, programId, TierRules.Reasons.TierSettings);
        }
        var after = VipTierDto.From(row);
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.VipTierUpdated, id, before, after);
        return after;
    }

    /// <summary>Deletes a tier in the caller's write; its members move to the tier they qualify for.</summary>
    public static async Task DeleteAsync(WriteContext context, Actor actor, string programId, string id)
    {
        await using var db = await PatronDb.ForAsync(context, programId);
        await LockProgramAsync(context, programId);
        var before = await db.VipTiers.FirstOrDefaultAsync(t => t.Id == id);
        // Kept as deleted, so that the tier.changed events of its members can still name it.
        var deleted = await db.VipTiers.Where(t => t.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.DeletedAt, context.NowMs).SetProperty(t => t.UpdatedAt, context.NowMs));
        if (deleted == 0)
        {
            throw OperationException.NotFound("VIP tier", id);
        }
        await Storage.Tiers.ScheduleCheckAsync(context, programId, TierRules.Reasons.TierSettings);
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.VipTierDeleted, id,
            before is null ? null : VipTierDto.From(before), null);
    }

    /// <summary>
    /// Tier changes of one program take turns (PostgreSQL; SQLite has one writer), so that the checks
    /// against the other tiers below cannot race.
    /// </summary>
    private static Task LockProgramAsync(WriteContext context, string programId) =>
        context.Database.IsSqlite
            ? Task.CompletedTask
            : context.Sql.ExecuteAsync("SELECT id FROM programs WHERE id = @p FOR UPDATE", ("p", programId));

    /// <summary>
    /// A program's tiers form one ladder: all on lifetime points or all on spend, each with its own
    /// requirement (the rank), and each with its own name (GET /customers?tier= accepts names).
    /// </summary>
    private static async Task CheckAgainstOthersAsync(PatronDb db, VipTierRow row)
    {
        var others = await db.VipTiers.Where(t => t.Id != row.Id).ToListAsync();
        if (others.Any(t => t.Name == row.Name))
        {
            throw OperationException.Conflict("name_in_use", $"Another VIP tier is already named '{row.Name}'.", "name");
        }
        var param = row.PointsRequired is not null ? "points_required" : "spend_required";
        if (others.FirstOrDefault(t => (t.PointsRequired is not null) != (row.PointsRequired is not null)) is { } other)
        {
            throw OperationException.Invalid(param, other.PointsRequired is not null
                ? "The program's other tiers require lifetime points ('points_required'); all tiers of a program use the same kind of requirement."
                : "The program's other tiers require spend ('spend_required'); all tiers of a program use the same kind of requirement.");
        }
        if (others.Any(t => t.PointsRequired == row.PointsRequired && t.SpendRequiredE4 == row.SpendRequiredE4))
        {
            throw OperationException.Conflict("threshold_in_use", $"Another VIP tier already has this '{param}'; each tier needs its own.", param);
        }
    }

    /// <summary>Copies what the input gives onto the row (absent = unchanged).</summary>
    private static void Apply(VipTierSettings i, VipTierRow r)
    {
        if (i.Name is { } name)
        {
            var trimmed = name.Trim();
            r.Name = trimmed.Length is > 0 and <= MaxNameLength ? trimmed
                : throw OperationException.Invalid("name", $"'name' must be 1 to {MaxNameLength} characters.");
        }
        if (i.PointsRequired is not null && i.SpendRequired is not null)
        {
            throw OperationException.Invalid("spend_required", "A tier requires either 'points_required' or 'spend_required', not both.");
        }
        if (i.PointsRequired is { } points)
        {
            r.PointsRequired = points is >= 1 and <= LedgerRules.MaxPointsPerEntry ? points
                : throw OperationException.Invalid("points_required", $"'points_required' must be a whole number from 1 to {Limits.MaxPoints}.");
            r.SpendRequiredE4 = null;
            r.SpendWindowDays = null;
        }
        if (i.SpendRequired is { } spend)
        {
            r.SpendRequiredE4 = spend is > 0 and <= MaxMoney ? Money.ExactE4(spend, "spend_required")
                : throw OperationException.Invalid("spend_required", $"'spend_required' must be greater than 0 and at most {MaxMoney}.");
            r.PointsRequired = null;
            r.SpendWindowDays ??= DefaultWindowDays;
        }
        if (i.SpendWindowDays is { } days)
        {
            if (r.SpendRequiredE4 is null)
            {
                throw OperationException.Invalid("spend_window_days", "'spend_window_days' applies only to a tier with 'spend_required'.");
            }
            r.SpendWindowDays = days is >= 1 and <= MaxWindowDays ? days
                : throw OperationException.Invalid("spend_window_days", $"'spend_window_days' must be from 1 to {MaxWindowDays}.");
        }
        if (i.Multiplier is { } multiplier)
        {
            r.MultiplierE4 = multiplier is > 0 and <= MaxMultiplier ? Money.ExactE4(multiplier, "multiplier")
                : throw OperationException.Invalid("multiplier", $"'multiplier' must be greater than 0 and at most {MaxMultiplier}.");
        }
        if (i.DiscountType is { } type)
        {
            if (type.Length == 0)
            {
                r.DiscountType = null;
                r.DiscountValueE4 = null;
            }
            else
            {
                r.DiscountType = type is Percentage or Amount ? type
                    : throw OperationException.Invalid("discount_type", "'discount_type' must be 'percentage' or 'amount' (\"\" removes the discount).");
            }
        }
        if (i.DiscountValue is { } value)
        {
            r.DiscountValueE4 = value is > 0 and <= MaxMoney ? Money.ExactE4(value, "discount_value")
                : throw OperationException.Invalid("discount_value", "'discount_value' must be greater than 0.");
        }
        if (i.FreeShipping is { } freeShipping)
        {
            r.FreeShipping = freeShipping;
        }
    }

    /// <summary>The tier as a whole must make sense.</summary>
    private static void Validate(VipTierRow r)
    {
        if (r.PointsRequired is null && r.SpendRequiredE4 is null)
        {
            throw OperationException.Unprocessable("parameter_missing",
                "A tier needs a requirement: 'points_required' (lifetime points) or 'spend_required' (spend within 'spend_window_days').",
                "points_required");
        }
        switch (r.DiscountType, r.DiscountValueE4)
        {
            case (null, not null):
                throw OperationException.Invalid("discount_value", "'discount_value' needs a 'discount_type' ('percentage' or 'amount').");
            case (not null, null):
                throw OperationException.Missing("discount_value");
            case (Percentage, { } percent) when percent > Money.ToE4(100m):
                throw OperationException.Invalid("discount_value", "A 'percentage' discount is at most 100.");
        }
    }
}
