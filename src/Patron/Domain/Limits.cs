namespace Patron.Domain;

/// <summary>
/// The bounds of every number and text a caller may send, in one place (the table in docs/API.md,
/// "Limits", lists the same). A value outside its bound is refused with a 422 naming the field.
/// </summary>
/// <remarks>
/// The bounds are chosen so that no arithmetic on points or money can leave 64 bits (or a decimal):
/// one amount is at most 10^16 ten-thousandths, one entry at most 10^12 points, a balance at most
/// 10^13. What can grow by repetition (a balance, lifetime points, a customer's total spent) has its
/// own bound, and the write that would pass it is refused (422 <c>balance_limit</c>,
/// <c>spend_limit</c>). The one saturating rule: stacked multipliers (a tier's times every campaign's)
/// count as at most <see cref="MaxCombinedMultiplier"/>, and the points of one purchase or activity
/// are at most <see cref="MaxPoints"/>.
/// </remarks>
public static class Limits
{
    /// <summary>Ids chosen by the merchant (order ids, references): characters.</summary>
    public const int IdLength = 200;

    /// <summary>A reference that makes a write safe to send again (a ledger entry's <c>reference</c>): characters.</summary>
    public const int ReferenceLength = IdLength;

    /// <summary>A name (of a key, a reward, a tier ...): characters.</summary>
    public const int NameLength = 200;

    /// <summary>A description or reason: characters.</summary>
    public const int DescriptionLength = 500;

    /// <summary>
    /// The largest amount of money in one field (an order total, a refund, <c>refunded_total</c>, a gift
    /// card's balance or movement, a referral's <c>min_order_total</c>): one trillion in the major unit.
    /// </summary>
    public const decimal MaxAmount = 1_000_000_000_000m;

    /// <summary>Money has at most this many decimals (it is stored as integer ten-thousandths).</summary>
    public const int AmountDecimals = 4;

    /// <summary>
    /// The most points in one field or one ledger entry: an award or deduction, <c>initial_points</c>,
    /// an earn rule's or activity's <c>points</c>, referral points, a tier's <c>points_required</c>,
    /// and what one purchase or activity earns (saturating).
    /// </summary>
    public const long MaxPoints = 1_000_000_000_000;

    /// <summary>The most points a customer may hold, available and pending together.</summary>
    public const long MaxBalance = 10_000_000_000_000;

    /// <summary>The most points a customer may earn in a lifetime (<c>lifetime_points</c>, <c>points_spent</c>, <c>points_expired</c>).</summary>
    public const long MaxLifetimePoints = 1_000_000_000_000_000_000;

    /// <summary>The most a customer's <c>total_spent</c> may reach: 10^14 in the major unit (10^18 ten-thousandths).</summary>
    public const decimal MaxTotalSpent = 100_000_000_000_000m;

    /// <summary>A reward's <c>points_cost</c> and a variable reward's points bounds.</summary>
    public const long MaxRewardCost = 1_000_000_000;

    /// <summary>Points per unit of spend or per unit bought (program, <c>place_order</c> rule).</summary>
    public const decimal MaxPointsPerUnit = 1_000_000m;

    /// <summary>One multiplier: a tier's, or an earn rule's (a campaign).</summary>
    public const decimal MaxMultiplier = 100m;

    /// <summary>Stacked multipliers (the tier's times every running campaign's) saturate at this.</summary>
    public const decimal MaxCombinedMultiplier = 10_000m;

    /// <summary>A spend tier's <c>spend_required</c>.</summary>
    public const decimal MaxSpendThreshold = 1_000_000_000m;

    /// <summary>The money value of one point (<c>point_value</c>).</summary>
    public const decimal MaxPointValue = 1_000_000m;

    /// <summary>Stamps added in one request, and stamps a card needs (<c>stamps_required</c>).</summary>
    public const int MaxStampsPerRequest = 10;

    public const int MaxStampsRequired = 100;

    /// <summary>Units bought in one order (<c>units</c>, or the sum of its items' quantities).</summary>
    public const long MaxUnits = 1_000_000_000_000;

    /// <summary>Discount codes on one order, and the length of each.</summary>
    public const int DiscountCodesPerOrder = 50;

    public const int DiscountCodeLength = 100;

    /// <summary>Whether <paramref name="amount"/> is money Patron accepts: 0 to <see cref="MaxAmount"/>, at most 4 decimals.</summary>
    public static bool IsAmount(decimal amount) =>
        amount is >= 0 and <= MaxAmount && Money.IsExactE4(amount);

    /// <summary>Whether <paramref name="points"/> is a count of points Patron accepts in one field: 0 to <see cref="MaxPoints"/>.</summary>
    public static bool IsPoints(long points) => points is >= 0 and <= MaxPoints;

    /// <summary>
    /// The product of non-negative multipliers, saturating at <see cref="MaxCombinedMultiplier"/> (never overflows).
    /// The smallest are taken first, so the answer is the product or the cap, whichever is lower, in whatever order the
    /// multipliers come: a tier of 0.5 halves stacked campaigns that pass the cap alone, and two instances that read
    /// the same rules in different orders give the same points.
    /// </summary>
    public static decimal CombineMultipliers(params decimal[] multipliers)
    {
        var product = 1m;
        foreach (var m in multipliers.Order())
        {
            product = SaturatingMultiply(product, m, MaxCombinedMultiplier);
        }
        return product;
    }

    /// <summary><paramref name="a"/> times <paramref name="b"/> (both non-negative), or <paramref name="cap"/> when the product would pass it.</summary>
    public static decimal SaturatingMultiply(decimal a, decimal b, decimal cap)
    {
        if (a <= 0 || b <= 0)
        {
            return 0m;
        }
        // A factor of at most 1 cannot overflow the product; dividing the cap by it could (stacked
        // multipliers of 0.0001 make factors as small as 1e-24, and cap / b would pass decimal's range).
        if (b <= 1m)
        {
            return Math.Min(a * b, cap);
        }
        return a > cap / b ? cap : Math.Min(a * b, cap);
    }
}
