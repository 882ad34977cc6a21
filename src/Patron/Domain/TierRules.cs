namespace Patron.Domain;

/// <summary>What qualifies a customer for a VIP tier (docs/API.md VIP tiers): one of the two.</summary>
/// <param name="PointsRequired">Lifetime points at least this.</param>
/// <param name="SpendRequiredE4">Spend (paid minus refunded) within the last <paramref name="SpendWindowDays"/> days at least this.</param>
public sealed record TierThreshold(string Id, string Name, long? PointsRequired, long? SpendRequiredE4, int? SpendWindowDays)
{
    public bool IsSpendTier => SpendRequiredE4 is not null;
}

/// <summary>Tier evaluation with no I/O: which tier a customer belongs in, and which way a move goes.</summary>
public static class TierRules
{
    public const string Promotion = "promotion";
    public const string Demotion = "demotion";

    /// <summary>Why a customer moved tier (the <c>reason</c> of a <c>tier.changed</c> event).</summary>
    public static class Reasons
    {
        /// <summary>The customer's lifetime points rose.</summary>
        public const string LifetimePoints = "lifetime_points";

        /// <summary>The customer's spend changed (an order was paid, refunded or cancelled).</summary>
        public const string Spend = "spend";

        /// <summary>Spend left a tier's rolling window as time passed (the daily check).</summary>
        public const string SpendWindow = "spend_window";

        /// <summary>A tier was created, changed or deleted.</summary>
        public const string TierSettings = "tier_settings";
    }

    /// <summary>
    /// Why a move happened when spend and lifetime points may both have changed in one operation (an
    /// order paid with points available at once): the kind of requirement of the tier moved into, or
    /// of the tier left when moving out of all tiers.
    /// </summary>
    public static string ReasonFor(TierThreshold? previous, TierThreshold? target, bool spendChanged, bool lifetimeRose) =>
        (spendChanged, lifetimeRose) switch
        {
            (true, false) => Reasons.Spend,
            (false, true) => Reasons.LifetimePoints,
            _ => (target ?? previous)?.IsSpendTier == true ? Reasons.Spend : Reasons.LifetimePoints,
        };

    /// <summary>The spend windows (in days) that must be summed to evaluate these tiers.</summary>
    public static IEnumerable<int> SpendWindows(IEnumerable<TierThreshold> tiers) =>
        tiers.Where(t => t.IsSpendTier).Select(t => t.SpendWindowDays ?? 0).Distinct();

    public static bool Qualifies(TierThreshold tier, long lifetimePoints, IReadOnlyDictionary<int, long> spendE4ByWindow) =>
        tier switch
        {
            { PointsRequired: { } points } => lifetimePoints >= points,
            { SpendRequiredE4: { } spend } => spendE4ByWindow.TryGetValue(tier.SpendWindowDays ?? 0, out var s) && s >= spend,
            _ => false,
        };

    /// <summary>
    /// Tiers rank by their requirement: a program's tiers are all points tiers or all spend tiers (the
    /// API enforces it), so a larger requirement is a higher tier. The id only breaks impossible ties.
    /// </summary>
    public static int Compare(TierThreshold? a, TierThreshold? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }
        var byPoints = (a.PointsRequired ?? 0).CompareTo(b.PointsRequired ?? 0);
        if (byPoints != 0)
        {
            return byPoints;
        }
        var bySpend = (a.SpendRequiredE4 ?? 0).CompareTo(b.SpendRequiredE4 ?? 0);
        return bySpend != 0 ? bySpend : string.CompareOrdinal(a.Id, b.Id);
    }

    /// <summary>The highest tier the customer qualifies for, or null for none.</summary>
    public static TierThreshold? Highest(
        IEnumerable<TierThreshold> tiers, long lifetimePoints, IReadOnlyDictionary<int, long> spendE4ByWindow)
    {
        TierThreshold? best = null;
        foreach (var tier in tiers)
        {
            if (Qualifies(tier, lifetimePoints, spendE4ByWindow) && Compare(tier, best) > 0)
            {
                best = tier;
            }
        }
        return best;
    }

    /// <summary>Whether moving from <paramref name="previous"/> to <paramref name="next"/> is a promotion or a demotion.</summary>
    public static string Direction(TierThreshold? previous, TierThreshold? next) =>
        Compare(next, previous) > 0 ? Promotion : Demotion;
}
