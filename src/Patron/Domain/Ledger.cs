namespace Patron.Domain;

/// <summary>
/// Ledger arithmetic with no I/O: how one entry moves a customer's counters. The write path
/// applies exactly these deltas in the same statement that moves the balance.
/// </summary>
public static class LedgerRules
{
    public readonly record struct CounterDeltas(long Balance, long Lifetime, long Spent, long Expired);

    /// <summary>The largest amount one entry may move: keeps balances and counters far from the 64-bit limit.</summary>
    public const long MaxPointsPerEntry = Limits.MaxPoints;

    /// <summary>
    /// <c>lifetime_points</c> counts every point ever earned (positive earned and adjusted entries);
    /// <c>points_spent</c> counts redemptions; <c>points_expired</c> counts expiry. Every entry moves the balance.
    /// </summary>
    public static CounterDeltas Deltas(string type, long points) => type switch
    {
        PointsTypes.Earned => new(points, Math.Max(points, 0), 0, 0),
        PointsTypes.Adjusted => new(points, Math.Max(points, 0), 0, 0),
        PointsTypes.Redeemed => new(points, 0, -points, 0),
        PointsTypes.Refunded => new(points, 0, -points, 0),
        PointsTypes.Expired => new(points, 0, 0, -points),
        _ => new(points, 0, 0, 0),
    };

    /// <summary>A deduction may not take the balance below zero (docs/ARCHITECTURE.md).</summary>
    public static bool Allowed(long balance, long points) => points >= 0 || balance + points >= 0;

    /// <summary>
    /// Only a reversal (an order refunded or cancelled after its points were spent) may take the
    /// balance below zero, and then only as recorded debt that later earnings pay first.
    /// </summary>
    public static bool MayCreateDebt(string type) => type == PointsTypes.Reversed;

    /// <summary>
    /// What is left of a new positive entry as a spendable lot: earnings pay any debt first.
    /// The lots of a customer always add up to <c>max(balance, 0)</c>.
    /// </summary>
    public static long LotRemaining(long balanceBefore, long points) =>
        Math.Clamp(balanceBefore + points, 0, points);

    /// <summary>How much a negative entry takes from the lots (oldest first): never more than they hold.</summary>
    public static long TakenFromLots(long balanceBefore, long points) =>
        Math.Min(-points, Math.Max(balanceBefore, 0));

    /// <summary>Whether a client may post this type with this sign.</summary>
    public static string? SignError(string type, long points) => type switch
    {
        PointsTypes.Earned when points < 0 => "Points of type 'earned' must be positive.",
        PointsTypes.Redeemed when points > 0 => "Points of type 'redeemed' must be negative.",
        _ => null,
    };
}
