namespace Patron.Domain;

public static class EarnModes
{
    public const string Spend = "spend";
    public const string Units = "units";
    public const string Stamps = "stamps";
    public const string Floor = "floor";
    public const string Nearest = "nearest";
}

/// <summary>How many points a purchase earns (docs/API.md, Program and Orders). Pure arithmetic.</summary>
public static class Earning
{
    /// <summary>
    /// <paramref name="quantity"/> (money spent, or units bought) times points per unit times every
    /// multiplier (tier, campaign), rounded once at the end as the program says. Saturating (docs/API.md,
    /// Limits): the multipliers together count as at most <see cref="Limits.MaxCombinedMultiplier"/>, and
    /// the result is at most <see cref="Limits.MaxPoints"/>, so no input overflows.
    /// </summary>
    public static long Points(decimal quantity, decimal pointsPerUnit, string rounding, params decimal[] multipliers)
    {
        if (quantity <= 0 || pointsPerUnit <= 0)
        {
            return 0;
        }
        // One more than the bound, so that rounding cannot bring a saturated value back under it.
        const decimal cap = Limits.MaxPoints + 1m;
        var exact = Limits.SaturatingMultiply(
            Limits.SaturatingMultiply(quantity, pointsPerUnit, cap), Limits.CombineMultipliers(multipliers), cap);
        var rounded = rounding == EarnModes.Nearest
            ? decimal.Round(exact, 0, MidpointRounding.AwayFromZero)
            : decimal.Floor(exact);
        return (long)Math.Min(rounded, Limits.MaxPoints);
    }

    /// <summary>
    /// The points to take back when <paramref name="refunded"/> of <paramref name="total"/> is refunded:
    /// proportional, never more than was earned and not yet reversed.
    /// </summary>
    public static long Reversal(long earned, long alreadyReversed, decimal total, decimal refundedBefore, decimal refundedNow)
    {
        if (earned <= 0 || total <= 0)
        {
            return 0;
        }
        var refundedAfter = Math.Min(total, refundedBefore + refundedNow);
        // Reverse up to the proportional share of everything refunded so far, minus what was already taken back.
        var due = (long)decimal.Ceiling(earned * refundedAfter / total);
        return Math.Clamp(due - alreadyReversed, 0, earned - alreadyReversed);
    }
}
