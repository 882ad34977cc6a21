using Microsoft.EntityFrameworkCore;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// VIP tiers (docs/API.md VIP tiers): any key may read them (a storefront shows the tiers and
/// their benefits); creating, changing and deleting them needs the admin scope. Customers move
/// between tiers in <see cref="Tiers.EvaluateAsync(WriteContext, string, string, string)"/> and
/// <see cref="Jobs.VipTierJob"/>.
/// </summary>
public static class VipTiersEndpoints
{
    public const string Percentage = "percentage";
    public const string Amount = "amount";
    private const int MaxNameLength = 100;
    private const int DefaultWindowDays = 365;
    private const int MaxWindowDays = 3_650;
    private const decimal MaxMultiplier = Limits.MaxMultiplier;
    private const decimal MaxMoney = Limits.MaxSpendThreshold;

    public sealed record VipTierDto(
        string Id, string Name, long? PointsRequired, decimal? SpendRequired, int? SpendWindowDays, decimal Multiplier,
        string? DiscountType, decimal? DiscountValue, bool FreeShipping, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "vip_tier";

        public static VipTierDto From(VipTierRow t) => new(
            t.Id, t.Name, t.PointsRequired, t.SpendRequiredE4 is { } s ? Money.FromE4(s) : null, t.SpendWindowDays,
            Money.FromE4(t.MultiplierE4), t.DiscountType, t.DiscountValueE4 is { } d ? Money.FromE4(d) : null, t.FreeShipping,
            PatronJson.FromMs(t.CreatedAt), PatronJson.FromMs(t.UpdatedAt));
    }

    /// <summary>
    /// POST and PATCH body. In PATCH an absent or null field is left as it is; giving
    /// <c>points_required</c> or <c>spend_required</c> makes the tier that kind; <c>discount_type: ""</c>
    /// removes the discount.
    /// </summary>
    public sealed class VipTierInput
    {
        public string? Name { get; set; }
        public long? PointsRequired { get; set; }
        public decimal? SpendRequired { get; set; }
        public int? SpendWindowDays { get; set; }
        public decimal? Multiplier { get; set; }
        public string? DiscountType { get; set; }
        public decimal? DiscountValue { get; set; }
        public bool? FreeShipping { get; set; }
    }

    public static RouteGroupBuilder MapVipTiersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/vip_tiers").WithTags("VIP tiers");
        group.MapGet("/", List).WithSummary("List the program's VIP tiers, lowest requirement first").Produces<ListEnvelope<VipTierDto>>();
        group.MapPost("/", Create).WithSummary("Create a VIP tier (admin)")
            .Accepts<VipTierInput>("application/json").Produces<VipTierDto>(201);
        group.MapGet("/{id}", Get).WithSummary("One VIP tier").Produces<VipTierDto>();
        group.MapPatch("/{id}", Update).WithSummary("Change a VIP tier (admin); members are checked again when its requirement changes")
            .Accepts<VipTierInput>("application/json").Produces<VipTierDto>();
        group.MapDelete("/{id}", Delete).WithSummary("Delete a VIP tier (admin); its members move to the tier they qualify for")
            .Produces<DeletedObject>();
        return group;
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database database)
    {
        var paging = Paging.From(request);
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = caller.ProgramId };
        // The ladder from the bottom: lowest requirement first (a program's tiers all require the same
        // kind, and each its own amount, so the order is total). starting_after continues after a tier.
        var query = db.VipTiers.AsQueryable();
        if (paging.StartingAfter is { } after)
        {
            var from = await db.VipTiers.Where(t => t.Id == after).Select(t => t.PointsRequired ?? t.SpendRequiredE4).ToListAsync();
            if (from.Count == 0)
            {
                throw ApiException.Invalid("starting_after", $"No such VIP tier: '{after}'.");
            }
            var rank = from[0];
            query = query.Where(t => (t.PointsRequired ?? t.SpendRequiredE4) > rank);
        }
        var rows = await query.OrderBy(t => t.PointsRequired ?? t.SpendRequiredE4).ThenBy(t => t.Id)
            .Skip(paging.Offset).Take(paging.Limit + 1).ToListAsync();
        long? total = paging.StartingAfter is null ? await db.VipTiers.LongCountAsync() : null;
        return TypedResults.Ok(paging.Envelope(rows.Select(VipTierDto.From).ToList(), total));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database database)
    {
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = caller.ProgramId };
        var row = await db.VipTiers.FirstOrDefaultAsync(t => t.Id == id) ?? throw ApiException.NotFound("VIP tier", id);
        return TypedResults.Ok(VipTierDto.From(row));
    }

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<VipTierInput>();
        if (string.IsNullOrWhiteSpace(input.Name))
        {
            throw ApiException.Missing("name");
        }
        var row = new VipTierRow { Id = Ids.New("tier_"), ProgramId = caller.ProgramId, Name = "" };
        Apply(input, row);
        Validate(row);
        return await writes.RunAsync(http, caller, async context =>
        {
            await using var db = PatronDb.For(context, caller.ProgramId);
            await LockProgramAsync(context, caller.ProgramId);
            await CheckAgainstOthersAsync(db, row);
            row.CreatedAt = row.UpdatedAt = context.NowMs;
            db.VipTiers.Add(row);
            await db.SaveChangesAsync();
            // Customers who already qualify move up at the job's next pass.
            await Tiers.ScheduleCheckAsync(context, caller.ProgramId, TierRules.Reasons.TierSettings);
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.VipTierCreated, row.Id, null, VipTierDto.From(row));
            return Reply.Created(VipTierDto.From(row));
        });
    }

    private static async Task<IResult> Update(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<VipTierInput>();
        return await writes.RunAsync(http, caller, async context =>
        {
            await using var db = PatronDb.For(context, caller.ProgramId);
            await LockProgramAsync(context, caller.ProgramId);
            var row = await db.VipTiers.AsTracking().FirstOrDefaultAsync(t => t.Id == id)
                ?? throw ApiException.NotFound("VIP tier", id);
            var before = VipTierDto.From(row);
            var requirementBefore = (row.PointsRequired, row.SpendRequiredE4, row.SpendWindowDays);
            Apply(input, row);
            Validate(row);
            await CheckAgainstOthersAsync(db, row);
            row.UpdatedAt = context.NowMs;
            await db.SaveChangesAsync();
            if ((row.PointsRequired, row.SpendRequiredE4, row.SpendWindowDays) != requirementBefore)
            {
                await Tiers.ScheduleCheckAsync(context, caller.ProgramId, TierRules.Reasons.TierSettings);
            }
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.VipTierUpdated, id, before, VipTierDto.From(row));
            return Reply.Ok(VipTierDto.From(row));
        });
    }

    private static async Task<IResult> Delete(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        return await writes.RunAsync(http, caller, async context =>
        {
            await using var db = PatronDb.For(context, caller.ProgramId);
            await LockProgramAsync(context, caller.ProgramId);
            var before = await db.VipTiers.FirstOrDefaultAsync(t => t.Id == id);
            // Kept as deleted, so that the tier.changed events of its members can still name it.
            var deleted = await db.VipTiers.Where(t => t.Id == id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.DeletedAt, context.NowMs).SetProperty(t => t.UpdatedAt, context.NowMs));
            if (deleted == 0)
            {
                throw ApiException.NotFound("VIP tier", id);
            }
            await Tiers.ScheduleCheckAsync(context, caller.ProgramId, TierRules.Reasons.TierSettings);
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.VipTierDeleted, id,
                before is null ? null : VipTierDto.From(before), null);
            return Reply.Ok(new DeletedObject(id, "vip_tier"));
        });
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
            throw ApiException.Conflict("name_in_use", $"Another VIP tier is already named '{row.Name}'.", "name");
        }
        var param = row.PointsRequired is not null ? "points_required" : "spend_required";
        if (others.FirstOrDefault(t => (t.PointsRequired is not null) != (row.PointsRequired is not null)) is { } other)
        {
            throw ApiException.Invalid(param, other.PointsRequired is not null
                ? "The program's other tiers require lifetime points ('points_required'); all tiers of a program use the same kind of requirement."
                : "The program's other tiers require spend ('spend_required'); all tiers of a program use the same kind of requirement.");
        }
        if (others.Any(t => t.PointsRequired == row.PointsRequired && t.SpendRequiredE4 == row.SpendRequiredE4))
        {
            throw ApiException.Conflict("threshold_in_use", $"Another VIP tier already has this '{param}'; each tier needs its own.", param);
        }
    }

    /// <summary>Copies what the input gives onto the row (absent = unchanged).</summary>
    private static void Apply(VipTierInput i, VipTierRow r)
    {
        if (i.Name is { } name)
        {
            var trimmed = name.Trim();
            r.Name = trimmed.Length is > 0 and <= MaxNameLength ? trimmed
                : throw ApiException.Invalid("name", $"'name' must be 1 to {MaxNameLength} characters.");
        }
        if (i.PointsRequired is not null && i.SpendRequired is not null)
        {
            throw ApiException.Invalid("spend_required", "A tier requires either 'points_required' or 'spend_required', not both.");
        }
        if (i.PointsRequired is { } points)
        {
            r.PointsRequired = points is >= 1 and <= LedgerRules.MaxPointsPerEntry ? points
                : throw ApiException.Invalid("points_required", $"'points_required' must be a whole number from 1 to {Limits.MaxPoints}.");
            r.SpendRequiredE4 = null;
            r.SpendWindowDays = null;
        }
        if (i.SpendRequired is { } spend)
        {
            r.SpendRequiredE4 = spend is > 0 and <= MaxMoney ? ExactE4(spend, "spend_required")
                : throw ApiException.Invalid("spend_required", $"'spend_required' must be greater than 0 and at most {MaxMoney}.");
            r.PointsRequired = null;
            r.SpendWindowDays ??= DefaultWindowDays;
        }
        if (i.SpendWindowDays is { } days)
        {
            if (r.SpendRequiredE4 is null)
            {
                throw ApiException.Invalid("spend_window_days", "'spend_window_days' applies only to a tier with 'spend_required'.");
            }
            r.SpendWindowDays = days is >= 1 and <= MaxWindowDays ? days
                : throw ApiException.Invalid("spend_window_days", $"'spend_window_days' must be from 1 to {MaxWindowDays}.");
        }
        if (i.Multiplier is { } multiplier)
        {
            r.MultiplierE4 = multiplier is > 0 and <= MaxMultiplier ? ExactE4(multiplier, "multiplier")
                : throw ApiException.Invalid("multiplier", $"'multiplier' must be greater than 0 and at most {MaxMultiplier}.");
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
                    : throw ApiException.Invalid("discount_type", "'discount_type' must be 'percentage' or 'amount' (\"\" removes the discount).");
            }
        }
        if (i.DiscountValue is { } value)
        {
            r.DiscountValueE4 = value is > 0 and <= MaxMoney ? ExactE4(value, "discount_value")
                : throw ApiException.Invalid("discount_value", "'discount_value' must be greater than 0.");
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
            throw ApiException.Unprocessable("parameter_missing",
                "A tier needs a requirement: 'points_required' (lifetime points) or 'spend_required' (spend within 'spend_window_days').",
                "points_required");
        }
        switch (r.DiscountType, r.DiscountValueE4)
        {
            case (null, not null):
                throw ApiException.Invalid("discount_value", "'discount_value' needs a 'discount_type' ('percentage' or 'amount').");
            case (not null, null):
                throw ApiException.Missing("discount_value");
            case (Percentage, { } percent) when percent > Money.ToE4(100m):
                throw ApiException.Invalid("discount_value", "A 'percentage' discount is at most 100.");
        }
    }

    private static long ExactE4(decimal value, string param)
    {
        var e4 = Money.ToE4(value);
        return Money.FromE4(e4) == value ? e4
            : throw ApiException.Invalid(param, $"'{param}' has at most four decimal places.");
    }
}
