using Microsoft.EntityFrameworkCore;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Programs;

/// <summary>
/// A program's settings (docs/API.md, Program): what <c>PATCH /program</c> and the dashboard's settings page
/// change, checked and written in one place and audited with the caller's actor.
/// </summary>
public static class ProgramSettings
{
    public sealed record ReferralSettings(
        long ReferrerPoints, long RefereePoints, string? ReferrerRewardId, string? RefereeRewardId, decimal MinOrderTotal);

    public sealed record ProgramDto(
        string Id, string Name, string Currency, decimal PointsPerUnit, string EarnMode, string Rounding,
        int PointsDelayDays, int? PointsExpiryDays, int StampsRequired, string? StampRewardId,
        ReferralSettings Referral, decimal? PointValue, bool Live, string? ShopDomain, string Plan,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "program";

        public static ProgramDto From(ProgramRow p) => new(
            p.Id, p.Name, p.Currency, Money.FromE4(p.PointsPerUnitE4), p.EarnMode, p.Rounding, p.PointsDelayDays,
            p.PointsExpiryDays, p.StampsRequired, p.StampRewardId,
            new ReferralSettings(p.ReferralReferrerPoints, p.ReferralRefereePoints, p.ReferralReferrerRewardId,
                p.ReferralRefereeRewardId, Money.FromE4(p.ReferralMinOrderE4)),
            p.PointValueE4 is { } pv ? Money.FromE4(pv) : null,
            p.Live, p.ShopDomain, p.Plan, Time.FromMs(p.CreatedAt), Time.FromMs(p.UpdatedAt));
    }

    public sealed class ReferralInput
    {
        public long? ReferrerPoints { get; set; }
        public long? RefereePoints { get; set; }
        public string? ReferrerRewardId { get; set; }
        public string? RefereeRewardId { get; set; }
        public decimal? MinOrderTotal { get; set; }
    }

    /// <summary>PATCH /program: absent or null leaves a setting as it is; <c>points_expiry_days: 0</c> means never.</summary>
    public sealed class ProgramInput
    {
        public string? Name { get; set; }
        public string? Currency { get; set; }
        public decimal? PointsPerUnit { get; set; }
        public string? EarnMode { get; set; }
        public string? Rounding { get; set; }
        public int? PointsDelayDays { get; set; }
        public int? PointsExpiryDays { get; set; }
        public int? StampsRequired { get; set; }
        public string? StampRewardId { get; set; }
        public ReferralInput? Referral { get; set; }

        /// <summary>The money value of one point, for the liability in analytics; 0 clears it.</summary>
        public decimal? PointValue { get; set; }

        public bool? Live { get; set; }

        /// <summary>The shop's domain name; "" clears it.</summary>
        public string? ShopDomain { get; set; }

        /// <summary>A label for the program's plan (Patron has no plans; an integration may expect one).</summary>
        public string? Plan { get; set; }
    }

    public const int MaxPlanLength = 50;
    public const int MaxDomainLength = 253;

    /// <summary>The program as it is.</summary>
    public static async Task<ProgramDto> GetAsync(Database database, string programId)
    {
        await using var db = new PatronDb(PatronDb.Options(database));
        var program = await db.Programs.FirstOrDefaultAsync(p => p.Id == programId)
            ?? throw OperationException.NotFound("program", programId);
        return ProgramDto.From(program);
    }

    /// <summary>Changes the settings the input names (absent or null leaves one as it is), in the caller's write.</summary>
    /// <remarks>
    /// With <paramref name="expectedUpdatedAt"/> (the program's <c>updated_at</c> when a form was shown), a program
    /// changed since then is refused with a conflict, so that a form sent late does not undo another's change.
    /// </remarks>
    public static async Task<ProgramDto> UpdateAsync(
        WriteContext context, Actor actor, string programId, ProgramInput input, DateTimeOffset? expectedUpdatedAt = null)
    {
        Validate(input);
        await using var db = await PatronDb.ForAsync(context, programId);
        var p = await db.Programs.AsTracking().FirstOrDefaultAsync(x => x.Id == programId)
            ?? throw OperationException.NotFound("program", programId);
        if (expectedUpdatedAt is { } expected && expected.ToUnixTimeMilliseconds() != p.UpdatedAt)
        {
            throw OperationException.Conflict("program_changed",
                "The settings were changed by someone else since this form was shown; look at them again and resend.");
        }
        var before = ProgramDto.From(p);
        p.Name = input.Name?.Trim() ?? p.Name;
        p.Currency = input.Currency?.Trim().ToUpperInvariant() ?? p.Currency;
        p.PointsPerUnitE4 = input.PointsPerUnit is { } ppu ? Money.ToE4(ppu) : p.PointsPerUnitE4;
        p.EarnMode = input.EarnMode ?? p.EarnMode;
        p.Rounding = input.Rounding ?? p.Rounding;
        p.PointsDelayDays = input.PointsDelayDays ?? p.PointsDelayDays;
        p.PointsExpiryDays = input.PointsExpiryDays is { } days ? (days == 0 ? null : days) : p.PointsExpiryDays;
        p.StampsRequired = input.StampsRequired ?? p.StampsRequired;
        p.StampRewardId = input.StampRewardId is { } sr ? (sr.Length == 0 ? null : sr) : p.StampRewardId;
        if (input.Referral is { } r)
        {
            p.ReferralReferrerPoints = r.ReferrerPoints ?? p.ReferralReferrerPoints;
            p.ReferralRefereePoints = r.RefereePoints ?? p.ReferralRefereePoints;
            p.ReferralReferrerRewardId = r.ReferrerRewardId is { } a ? (a.Length == 0 ? null : a) : p.ReferralReferrerRewardId;
            p.ReferralRefereeRewardId = r.RefereeRewardId is { } b ? (b.Length == 0 ? null : b) : p.ReferralRefereeRewardId;
            p.ReferralMinOrderE4 = r.MinOrderTotal is { } m ? Money.ToE4(m) : p.ReferralMinOrderE4;
        }
        p.PointValueE4 = input.PointValue is { } value ? (value == 0 ? null : Money.ToE4(value)) : p.PointValueE4;
        p.Live = input.Live ?? p.Live;
        p.ShopDomain = input.ShopDomain is { } domain ? (domain.Trim().Length == 0 ? null : domain.Trim().ToLowerInvariant()) : p.ShopDomain;
        p.Plan = input.Plan?.Trim() ?? p.Plan;
        p.UpdatedAt = context.NowMs;
        await db.SaveChangesAsync();
        var after = ProgramDto.From(p);
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.ProgramUpdated, p.Id, before, after);
        return after;
    }

    public static void Validate(ProgramInput i)
    {
        if (i.Name is { } n && (n.Trim().Length == 0 || n.Length > 200))
        {
            throw OperationException.Invalid("name", "'name' must be 1 to 200 characters.");
        }
        if (i.Currency is { } c && (c.Trim().Length != 3 || !c.Trim().All(char.IsAsciiLetter)))
        {
            throw OperationException.Invalid("currency", "'currency' must be a three-letter ISO 4217 code such as EUR.");
        }
        if (i.PointsPerUnit is < 0 or > Limits.MaxPointsPerUnit)
        {
            throw OperationException.Invalid("points_per_unit", $"'points_per_unit' must be from 0 to {Limits.MaxPointsPerUnit}.");
        }
        if (i.PointsPerUnit is { } rate)
        {
            Money.ExactE4(rate, "points_per_unit");
        }
        if (i.EarnMode is { } mode && mode is not (EarnModes.Spend or EarnModes.Units or EarnModes.Stamps))
        {
            throw OperationException.Invalid("earn_mode", "'earn_mode' must be 'spend', 'units' or 'stamps'.");
        }
        if (i.Rounding is { } rounding && rounding is not (EarnModes.Floor or EarnModes.Nearest))
        {
            throw OperationException.Invalid("rounding", "'rounding' must be 'floor' or 'nearest'.");
        }
        if (i.PointsDelayDays is < 0 or > 365)
        {
            throw OperationException.Invalid("points_delay_days", "'points_delay_days' must be from 0 to 365.");
        }
        if (i.PointsExpiryDays is < 0 or > 36_500)
        {
            throw OperationException.Invalid("points_expiry_days", "'points_expiry_days' must be from 0 (never) to 36500.");
        }
        if (i.PointValue is < 0 or > Limits.MaxPointValue || (i.PointValue is { } pv && pv != 0 && Money.ToE4(pv) == 0))
        {
            throw OperationException.Invalid("point_value", "'point_value' must be from 0.0001 to 1000000 (0 clears it).");
        }
        if (i.PointValue is { } pointValue)
        {
            Money.ExactE4(pointValue, "point_value");
        }
        if (i.ShopDomain?.Trim() is { Length: > 0 } d && (d.Length > MaxDomainLength || d.StartsWith('.') || d.EndsWith('.')
            || d.Contains("..", StringComparison.Ordinal) || !d.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-')))
        {
            throw OperationException.Invalid("shop_domain", $"'shop_domain' must be a domain name of up to {MaxDomainLength} letters, digits, '.' and '-' (\"\" clears it).");
        }
        if (i.Plan is { } plan && (plan.Trim().Length is 0 or > MaxPlanLength
            || !plan.Trim().All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
        {
            throw OperationException.Invalid("plan", $"'plan' must be 1 to {MaxPlanLength} letters, digits, '_', '-' or '.'.");
        }
        if (i.StampsRequired is < 1 or > Limits.MaxStampsRequired)
        {
            throw OperationException.Invalid("stamps_required", $"'stamps_required' must be from 1 to {Limits.MaxStampsRequired}.");
        }
        if (i.Referral is { } r)
        {
            ValidateReferral(r);
        }
    }

    private static void ValidateReferral(ReferralInput r)
    {
        foreach (var (name, points) in new[] { ("referrer_points", r.ReferrerPoints), ("referee_points", r.RefereePoints) })
        {
            if (points is { } p && !Limits.IsPoints(p))
            {
                throw OperationException.Invalid($"referral.{name}", $"'referral.{name}' must be a whole number from 0 to {Limits.MaxPoints}.");
            }
        }
        if (r.MinOrderTotal is { } min && !Limits.IsAmount(min))
        {
            throw OperationException.Invalid("referral.min_order_total",
                $"'referral.min_order_total' must be an amount from 0 to {Limits.MaxAmount}, with at most {Limits.AmountDecimals} decimals.");
        }
    }
}
