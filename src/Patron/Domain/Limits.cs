namespace Patron.Domain;

/// <summary>
/// The bounds of every number and text a caller may send, in one place (the table in docs/API.md,
/// "Limits", lists the same). A value outside its bound is refused with a 422 naming the field.
/// </summary>
public static class Limits
{
    /// <summary>Ids chosen by the merchant (order ids, references): characters.</summary>
    public const int IdLength = 200;

    /// <summary>
    /// The largest amount of money in one field (an order total, a refund): one trillion in the major
    /// unit. In ten-thousandths that is 10^16, so sums of many such amounts stay far from the 64-bit limit.
    /// </summary>
    public const decimal MaxAmount = 1_000_000_000_000m;

    /// <summary>Money has at most this many decimals (it is stored as integer ten-thousandths).</summary>
    public const int AmountDecimals = 4;

    /// <summary>Units bought in one order (<c>units</c>, or the sum of its items' quantities).</summary>
    public const long MaxUnits = 1_000_000_000_000;

    /// <summary>Discount codes on one order, and the length of each.</summary>
    public const int DiscountCodesPerOrder = 50;

    public const int DiscountCodeLength = 100;

    /// <summary>Whether <paramref name="amount"/> is money Patron accepts: 0 to <see cref="MaxAmount"/>, at most 4 decimals.</summary>
    public static bool IsAmount(decimal amount) =>
        amount is >= 0 and <= MaxAmount && decimal.Round(amount, AmountDecimals) == amount;
}
