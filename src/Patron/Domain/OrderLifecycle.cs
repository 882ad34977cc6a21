namespace Patron.Domain;

public static class OrderStatus
{
    public const string Placed = "placed";
    public const string Paid = "paid";
    public const string Refunded = "refunded";
    public const string Cancelled = "cancelled";

    /// <summary>The statuses a caller may ask for; <c>refunded</c> is only ever reached by refunding.</summary>
    public static bool Requestable(string status) => status is Placed or Paid or Cancelled;
}

/// <summary>
/// An order's stored state. Money in ten-thousandths; times in Unix milliseconds. <see cref="EarnRate"/>
/// is the points per unit of spend (or per unit bought) with every multiplier, fixed when the order
/// first earned, so a later edit re-prices at the rate the order earned at. <see cref="PointsPlaced"/> is
/// what a placed order would earn at today's rate, shown as pending until it is paid or cancelled (0 then).
/// </summary>
public sealed record Order(
    string Id, string CustomerId, string Status, string Currency, long TotalE4, long RefundedE4, long Units,
    string DiscountCodes, string Items, long PointsEarned, long? PaidAt, long? CancelledAt, long CreatedAt, long UpdatedAt,
    string? EarnMode = null, decimal? EarnRate = null, long PointsPlaced = 0)
{
    /// <summary>What the order adds to the customer's total_spent: paid minus refunded.</summary>
    public long SpentE4 => Status is OrderStatus.Paid or OrderStatus.Refunded ? TotalE4 - RefundedE4 : 0;

    public bool IsPaid => Status is OrderStatus.Paid or OrderStatus.Refunded;
}

/// <summary>
/// A change asked of an order: each field that is null is left as it is. <see cref="RefundAmount"/> adds
/// a refund to what was already refunded (POST /orders/{id}/refunds); <see cref="RefundedTotal"/> states
/// the refunded total outright (the full state a shop sends).
/// </summary>
public sealed record OrderChange(
    string? Status = null, long? TotalE4 = null, long? RefundedTotalE4 = null, long? RefundAmountE4 = null, long? Units = null,
    string? DiscountCodes = null, string? Items = null);

/// <summary>
/// The order lifecycle as pure rules. Statuses only move forward (placed → paid → refunded, or
/// cancelled), so a late, older state changes nothing; money refunded never goes down and never passes
/// the total; a cancelled order may only record a refund of money it was paid.
/// </summary>
public static class OrderLifecycle
{
    /// <summary>The status after <paramref name="requested"/> arrives at an order in <paramref name="current"/>.</summary>
    public static string Forward(string current, string? requested) => (current, requested) switch
    {
        (_, null) => current,
        (OrderStatus.Cancelled, _) => OrderStatus.Cancelled,
        (OrderStatus.Refunded, _) when requested != OrderStatus.Cancelled => OrderStatus.Refunded,
        (OrderStatus.Paid, OrderStatus.Placed) => OrderStatus.Paid,
        _ => requested,
    };

    /// <summary>
    /// The order after <paramref name="change"/>, at <paramref name="nowMs"/>; points are not priced here
    /// (see <see cref="NeedsPricing"/>). Throws <see cref="OperationException"/> for a change the rules refuse.
    /// </summary>
    public static Order Apply(Order order, OrderChange change, long nowMs)
    {
        if (change.RefundAmountE4 is { } amount)
        {
            if (order.Status is OrderStatus.Placed || order.PaidAt is null)
            {
                throw OperationException.Conflict("order_not_paid", "Only a paid order can be refunded.");
            }
            var left = order.TotalE4 - order.RefundedE4;
            if (amount > left)
            {
                throw OperationException.Unprocessable("refund_exceeds_total",
                    $"Only {Money.FromE4(left)} of this order is left to refund.", "amount");
            }
        }
        // A cancelled order cannot change, except that money paid for it may still be refunded (it has
        // no points left to take back). Its own state sent again (a retried webhook) is no change.
        if (order.Status == OrderStatus.Cancelled && (change.Status is OrderStatus.Paid
            || (change.TotalE4 is { } newTotal && newTotal != order.TotalE4)
            || (change.RefundedTotalE4 is { } newRefunded && newRefunded != order.RefundedE4 && order.PaidAt is null)))
        {
            throw OperationException.Conflict("order_cancelled", "This order is cancelled and cannot change.");
        }

        var totalE4 = change.TotalE4 ?? order.TotalE4;
        var refundedE4 = change.RefundedTotalE4 ?? order.RefundedE4 + (change.RefundAmountE4 ?? 0);
        if (refundedE4 < order.RefundedE4)
        {
            throw OperationException.Invalid("refunded_total", "A refund cannot be undone: 'refunded_total' cannot go down.");
        }
        if (refundedE4 > totalE4)
        {
            throw change.RefundAmountE4 is not null
                ? OperationException.Unprocessable("refund_exceeds_total", "The refunded total cannot exceed the order total.", "amount")
                : OperationException.Invalid(change.RefundedTotalE4 is null ? "total" : "refunded_total",
                    "The refunded total cannot exceed the order total.");
        }

        var after = order with
        {
            TotalE4 = totalE4,
            RefundedE4 = refundedE4,
            Units = change.Units ?? order.Units,
            DiscountCodes = change.DiscountCodes ?? order.DiscountCodes,
            Items = change.Items ?? order.Items,
            Status = Forward(order.Status, change.Status),
        };
        // "refunded" means paid and refunded in full: a refunded order whose total is raised is paid again.
        var fullyRefunded = after.RefundedE4 == after.TotalE4 && after.TotalE4 > 0;
        if (after.Status is OrderStatus.Paid or OrderStatus.Refunded)
        {
            after = after with { Status = fullyRefunded ? OrderStatus.Refunded : OrderStatus.Paid };
        }
        if (after.IsPaid && after.PaidAt is null)
        {
            after = after with { PaidAt = nowMs };
        }
        if (after.Status == OrderStatus.Cancelled && after.CancelledAt is null)
        {
            after = after with { CancelledAt = nowMs };
        }
        // An open order never paid gains no refund, whichever route says so (a refund, or a refunded_total). A state
        // that is already so (stored before this rule) may still change otherwise, and an order that arrives cancelled
        // with a refund (a shop's paid, refunded and cancelled order, seen for the first time) keeps what it says.
        if (after.RefundedE4 > order.RefundedE4 && after.PaidAt is null && after.Status != OrderStatus.Cancelled)
        {
            throw OperationException.Conflict("order_not_paid",
                "Only a paid order can be refunded: 'refunded_total' stays 0 until the order is paid.", "refunded_total");
        }
        return after;
    }

    /// <summary>
    /// Whether the order's points must be (re)computed: when it is first paid, and when a paid order's
    /// total or units change.
    /// </summary>
    public static bool NeedsPricing(Order? before, Order after) =>
        after.IsPaid && (before?.PaidAt is null || after.TotalE4 != before.TotalE4 || after.Units != before.Units);

    /// <summary>The points the order earns at its fixed rate: spend or units times the rate, rounded as the program says.</summary>
    public static long PointsAtRate(Order order, string mode, decimal rate, string rounding)
    {
        var quantity = mode switch
        {
            EarnModes.Spend => Money.FromE4(order.TotalE4),
            EarnModes.Units => order.Units,
            _ => 0m,
        };
        return Earning.Points(quantity, rate, rounding);
    }

    /// <summary>The net points the order should hold in the ledger now: what it earned less the refunded share.</summary>
    public static long DesiredPoints(Order o) => o.IsPaid
        ? o.PointsEarned - Earning.Reversal(o.PointsEarned, 0, Money.FromE4(o.TotalE4), 0, Money.FromE4(o.RefundedE4))
        : 0;
}
