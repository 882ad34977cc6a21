using FsCheck;
using FsCheck.Fluent;
using Patron.Domain;
using Shouldly;

namespace Patron.Tests.Domain;

/// <summary>
/// Properties of the order lifecycle as pure rules (<see cref="OrderLifecycle"/>): any sequence of
/// changes, accepted or refused, keeps an order's state within its invariants.
/// </summary>
public sealed class OrderLifecyclePropertyTests
{
    private static readonly string[] Requestable = [OrderStatus.Placed, OrderStatus.Paid, OrderStatus.Cancelled];

    private static Gen<long> Amount => Gen.Frequency(
        (3, Gen.Choose(0, 200).Select(n => n * 10_000L)),
        (1, Gen.Choose(0, 2_000_000).Select(n => (long)n)));

    private static Gen<OrderChange> AnyChange => Gen.Frequency(
        (3, Gen.Elements(Requestable).Select(s => new OrderChange(Status: s))),
        (2, Amount.Select(t => new OrderChange(TotalE4: t))),
        (2, Amount.Select(r => new OrderChange(RefundedTotalE4: r))),
        (3, Amount.Select(a => new OrderChange(RefundAmountE4: Math.Max(a, 1)))),
        (1, Gen.Choose(0, 50).Select(u => new OrderChange(Units: u))),
        (1, Gen.Elements(Requestable).SelectMany(s => Amount.Select(t => new OrderChange(Status: s, TotalE4: t)))));

    private static Arbitrary<OrderChange[]> Changes =>
        Arb.From(Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(AnyChange, n)),
            items => Enumerable.Range(0, items.Length).Select(i => items.Where((_, j) => j != i).ToArray()));

    private static Order NewOrder(long totalE4) =>
        new("O-1", "cus_1", OrderStatus.Placed, "USD", totalE4, 0, 0, "[]", "[]", 0, null, null, 0, 0);

    private static int Rank(string status) => status switch
    {
        OrderStatus.Placed => 0,
        // Refunded is paid and refunded in full: a refunded order whose total is raised is paid again.
        OrderStatus.Paid or OrderStatus.Refunded => 1,
        _ => 2,
    };

    [Fact]
    public void Any_sequence_of_changes_keeps_refunds_within_the_total_and_statuses_moving_forward()
    {
        var property = Prop.ForAll(Changes, changes =>
        {
            var order = NewOrder(100 * 10_000L);
            var now = 1_000L;
            foreach (var change in changes)
            {
                now += 1_000;
                Order after;
                try
                {
                    after = OrderLifecycle.Apply(order, change, now);
                }
                catch (OperationException)
                {
                    continue; // refused: the order stays as it was
                }

                after.RefundedE4.ShouldBeInRange(0, after.TotalE4, change.ToString());
                after.RefundedE4.ShouldBeGreaterThanOrEqualTo(order.RefundedE4, change.ToString());
                // Statuses only move forward, except that cancelling may follow any of them.
                if (after.Status != OrderStatus.Cancelled)
                {
                    Rank(after.Status).ShouldBeGreaterThanOrEqualTo(Rank(order.Status), change.ToString());
                }
                if (order.Status == OrderStatus.Cancelled)
                {
                    after.Status.ShouldBe(OrderStatus.Cancelled);
                    after.TotalE4.ShouldBe(order.TotalE4);
                }
                // A paid order keeps the time it was first paid; a paid-and-fully-refunded one is "refunded".
                if (order.PaidAt is { } paidAt)
                {
                    after.PaidAt.ShouldBe(paidAt);
                }
                if (after.IsPaid)
                {
                    after.PaidAt.ShouldNotBeNull();
                    (after.Status == OrderStatus.Refunded).ShouldBe(after.RefundedE4 == after.TotalE4 && after.TotalE4 > 0);
                }
                // A refund of an amount adds exactly that amount, and only to an order that was paid.
                if (change.RefundAmountE4 is { } amount)
                {
                    order.PaidAt.ShouldNotBeNull();
                    after.RefundedE4.ShouldBe(order.RefundedE4 + amount);
                }
                after.CancelledAt.ShouldBe(after.Status == OrderStatus.Cancelled ? order.CancelledAt ?? now : null);
                order = after;
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Fact]
    public void The_points_an_order_holds_never_exceed_what_it_earned_and_fall_to_zero_when_fully_refunded()
    {
        var property = Prop.ForAll(
            Arb.From(Gen.Choose(1, 1_000_000)), Arb.From(Gen.Choose(0, 100_000)), Arb.From(Gen.Choose(0, 100)),
            (totalCents, earned, refundedPercent) =>
            {
                var total = (long)totalCents * 100;
                var refunded = total * refundedPercent / 100;
                var order = NewOrder(total) with
                {
                    Status = refunded == total ? OrderStatus.Refunded : OrderStatus.Paid,
                    RefundedE4 = refunded,
                    PointsEarned = earned,
                    PaidAt = 1,
                };
                var held = OrderLifecycle.DesiredPoints(order);
                held.ShouldBeInRange(0, earned);
                if (refunded == total)
                {
                    held.ShouldBe(0);
                }
                if (refunded == 0)
                {
                    held.ShouldBe(earned);
                }
                OrderLifecycle.DesiredPoints(order with { Status = OrderStatus.Cancelled }).ShouldBe(0);
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Theory]
    [InlineData(OrderStatus.Placed, OrderStatus.Paid, OrderStatus.Paid)]
    [InlineData(OrderStatus.Paid, OrderStatus.Placed, OrderStatus.Paid)]
    [InlineData(OrderStatus.Refunded, OrderStatus.Paid, OrderStatus.Refunded)]
    [InlineData(OrderStatus.Refunded, OrderStatus.Cancelled, OrderStatus.Cancelled)]
    [InlineData(OrderStatus.Cancelled, OrderStatus.Paid, OrderStatus.Cancelled)]
    [InlineData(OrderStatus.Cancelled, OrderStatus.Placed, OrderStatus.Cancelled)]
    [InlineData(OrderStatus.Paid, null, OrderStatus.Paid)]
    public void A_late_older_status_changes_nothing(string current, string? requested, string expected) =>
        OrderLifecycle.Forward(current, requested).ShouldBe(expected);

    [Fact]
    public void A_refund_of_a_placed_order_is_refused_as_not_paid()
    {
        var e = Should.Throw<OperationException>(() => OrderLifecycle.Apply(NewOrder(100), new OrderChange(RefundAmountE4: 10), 5));
        e.Code.ShouldBe("order_not_paid");
        e.Kind.ShouldBe(ErrorKind.Conflict);
    }
}
