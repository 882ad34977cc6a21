using System.Globalization;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Earning;

/// <summary>
/// Random order lifecycles through the API against one SQLite server with a fake clock (docs/API.md,
/// Orders, Customers and Points ledger; section 5, guarantee 1): orders created placed or paid, payments,
/// partial, full and excessive refunds, cancellations, resent full states, point spends, manual awards and
/// clock moves with the jobs run, under a points delay and an expiry. After every step the customer's
/// counters, the ledger and every order are checked against each other and against a model of the orders.
/// </summary>
/// <remarks>
/// The identities checked, with A = the customer's available entries and P = the pending ones:
/// <list type="bullet">
/// <item><c>points_balance = Σ A</c> and <c>pending_points = Σ P</c>.</item>
/// <item>The whole ledger, by type: <c>Σ(A ∪ P) = earned − spent − expired − reversed + adjusted</c>, where earned is the
/// sum of <c>earned</c> entries (always positive), spent = −Σ <c>redeemed</c>, expired = −Σ <c>expired</c>, reversed =
/// −Σ <c>reversed</c> (always negative entries) and adjusted is signed. Pending entries are only ever <c>earned</c> or
/// <c>reversed</c> (order points waiting for paid + delay); <c>redeemed</c>, <c>expired</c> and <c>adjusted</c>
/// entries are always available.</item>
/// <item>The counters against the available entries: <c>lifetime_points</c> = Σ positive available <c>earned</c> and
/// <c>adjusted</c>; <c>points_spent</c> = −Σ <c>redeemed</c>; <c>points_expired</c> = −Σ <c>expired</c>; hence
/// <c>points_balance = lifetime − spent − expired − reversed(available) + negative adjustments</c>.</item>
/// <item>No deduction or expiry ever left the balance below zero (their <c>balance_after</c> ≥ 0); a negative balance
/// exists only after an available reversal when points had left the balance (spent, expired or adjusted down).</item>
/// <item>No expired lot still counts: max(balance, 0) ≤ the positive available entries whose <c>expires_at</c> is in
/// the future; no entry is still pending past its <c>available_at</c> after the jobs ran.</item>
/// <item>Each order: its ledger entries (pending and available) add up to the points it should hold per the model:
/// earned = floor(total × 1.25) once paid, less ceil(earned × refunded / total), and 0 when placed or cancelled.</item>
/// <item><c>total_spent</c> = Σ (total − refunded) over paid and refunded orders.</item>
/// </list>
/// </remarks>
public sealed class OrdersPropertyTests
{
    private const decimal PointsPerUnit = 1.25m;
    private const int DelayDays = 7;
    private const int ExpiryDays = 30;

    public enum Kind
    {
        CreatePlaced,
        CreatePaid,
        Pay,
        RefundPart,
        RefundFull,
        RefundTooMuch,
        Cancel,
        Resend,
        Spend,
        AdjustDown,
        Award,
        Advance,
    }

    /// <summary>One step; <c>A</c> picks an order or a number of days, <c>B</c> an amount.</summary>
    public sealed record Step(Kind Kind, int A, int B)
    {
        public override string ToString() => $"{Kind}({A},{B})";
    }

    private static Gen<Step> AnyStep =>
        from kind in Gen.Frequency(
            (3, Gen.Constant(Kind.CreatePlaced)),
            (4, Gen.Constant(Kind.CreatePaid)),
            (3, Gen.Constant(Kind.Pay)),
            (3, Gen.Constant(Kind.RefundPart)),
            (2, Gen.Constant(Kind.RefundFull)),
            (1, Gen.Constant(Kind.RefundTooMuch)),
            (2, Gen.Constant(Kind.Cancel)),
            (2, Gen.Constant(Kind.Resend)),
            (3, Gen.Constant(Kind.Spend)),
            (1, Gen.Constant(Kind.AdjustDown)),
            (2, Gen.Constant(Kind.Award)),
            (3, Gen.Constant(Kind.Advance)))
        from a in Gen.Choose(0, 1000)
        from b in Gen.Choose(1, 20_000)
        select new Step(kind, a, b);

    private static Gen<Step[]> Sequence => Gen.Choose(8, 14).SelectMany(n => Gen.ArrayOf(AnyStep, n));

    [Fact, Trait(TestDatabases.Trait, TestDatabases.Sqlite)]
    public async Task Any_order_lifecycle_keeps_counters_ledger_and_orders_in_agreement()
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite, clock);
        await SetProgramAsync(server.Client, new
        {
            points_per_unit = PointsPerUnit,
            earn_mode = "spend",
            rounding = "floor",
            points_delay_days = DelayDays,
            points_expiry_days = ExpiryDays,
        });
        var sequences = 0;
        // No shrinking: every run is a fresh customer on a server whose clock only moves forward, so a
        // failure is reported as the whole sequence (and FsCheck's replay seed).
        var property = Prop.ForAll(Arb.From(Sequence, _ => []), steps =>
            // FsCheck runs properties synchronously; the HTTP work runs on the thread pool meanwhile.
            Task.Run(() => RunSequenceAsync(server, clock, steps, Interlocked.Increment(ref sequences))).GetAwaiter().GetResult());
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), property), TestContext.Current.CancellationToken);
        sequences.ShouldBe(25);
    }

    private sealed class ModelOrder(string id, long totalCents)
    {
        public string Id { get; } = id;
        public long TotalCents { get; } = totalCents;
        public long RefundedCents { get; set; }
        public string Status { get; set; } = "placed";
        public long Earned { get; set; }
        /// <summary>Paid at some point (a cancelled order that was paid can still be refunded).</summary>
        public bool WasPaid { get; set; }

        public long Desired => Status is "paid" or "refunded"
            ? Earned - (long)decimal.Ceiling(Earned * (decimal)RefundedCents / TotalCents)
            : 0;

        public long SpentCents => Status is "paid" or "refunded" ? TotalCents - RefundedCents : 0;

        /// <summary>What a placed order shows as pending (not in the ledger): what it would earn if paid now.</summary>
        public long Placed => Status == "placed" ? EarnedFor(TotalCents) : 0;
    }

    private static decimal Money(long cents) => cents / 100m;

    private static long EarnedFor(long cents) => (long)decimal.Floor(Money(cents) * PointsPerUnit);

    private static async Task RunSequenceAsync(PatronServer server, ManualClock clock, Step[] steps, int run)
    {
        var client = server.Client;
        var customer = await NewCustomerAsync(client);
        var orders = new List<ModelOrder>();
        var trace = new List<string>();
        var award = $"/api/v1/customers/{customer}/points_transactions";

        for (var i = 0; i < steps.Length; i++)
        {
            var step = steps[i];
            var order = orders.Count == 0 ? null : orders[step.A % orders.Count];
            var kind = order is null && step.Kind is Kind.Pay or Kind.RefundPart or Kind.RefundFull or Kind.RefundTooMuch or Kind.Cancel or Kind.Resend
                ? Kind.CreatePaid
                : step.Kind;
            string what;
            switch (kind)
            {
                case Kind.CreatePlaced or Kind.CreatePaid:
                    {
                        var paid = kind == Kind.CreatePaid;
                        var created = new ModelOrder($"run{run}-o{orders.Count}", 100 + step.B);
                        what = $"create {created.Id} {(paid ? "paid" : "placed")} total {Money(created.TotalCents)}";
                        var r = await client.PostJsonAsync("/api/v1/orders", new
                        {
                            id = created.Id,
                            customer_id = customer,
                            total = Money(created.TotalCents),
                            currency = "USD",
                            status = paid ? "paid" : "placed",
                        });
                        r.Status.ShouldBe(HttpStatusCode.Created, $"{what}: {r.Raw}");
                        if (paid)
                        {
                            created.Status = "paid";
                            created.WasPaid = true;
                            created.Earned = EarnedFor(created.TotalCents);
                        }
                        orders.Add(created);
                        break;
                    }
                case Kind.Pay:
                    {
                        what = $"pay {order!.Id} ({order.Status})";
                        var r = await client.PostJsonAsync($"/api/v1/orders/{order.Id}/paid");
                        if (order.Status == "cancelled")
                        {
                            r.Code.ShouldBe(409, $"{what}: {r.Raw}");
                            r.ErrorCode.ShouldBe("order_cancelled");
                        }
                        else
                        {
                            r.Status.ShouldBe(HttpStatusCode.OK, $"{what}: {r.Raw}");
                            if (order.Status == "placed")
                            {
                                order.Status = "paid";
                                order.WasPaid = true;
                                order.Earned = EarnedFor(order.TotalCents);
                            }
                        }
                        break;
                    }
                case Kind.RefundPart or Kind.RefundFull or Kind.RefundTooMuch:
                    {
                        var left = order!.TotalCents - order.RefundedCents;
                        var cents = kind switch
                        {
                            Kind.RefundPart => Math.Max(1, left * (step.B % 99 + 1) / 100),
                            Kind.RefundFull => Math.Max(1, left),
                            _ => left + 1,
                        };
                        what = $"refund {Money(cents)} of {order.Id} ({order.Status}, {Money(left)} left)";
                        var r = await client.PostJsonAsync($"/api/v1/orders/{order.Id}/refunds", new { amount = Money(cents) });
                        if (!order.WasPaid)
                        {
                            r.Code.ShouldBe(409, $"{what}: {r.Raw}");
                            r.ErrorCode.ShouldBe("order_not_paid");
                        }
                        else if (cents > left)
                        {
                            r.Code.ShouldBe(422, $"{what}: {r.Raw}");
                            r.ErrorCode.ShouldBe("refund_exceeds_total");
                        }
                        else
                        {
                            r.Status.ShouldBe(HttpStatusCode.OK, $"{what}: {r.Raw}");
                            order.RefundedCents += cents;
                            if (order.Status == "paid" && order.RefundedCents == order.TotalCents)
                            {
                                order.Status = "refunded";
                            }
                        }
                        break;
                    }
                case Kind.Cancel:
                    {
                        what = $"cancel {order!.Id} ({order.Status})";
                        var r = await client.PostJsonAsync($"/api/v1/orders/{order.Id}/cancel");
                        r.Status.ShouldBe(HttpStatusCode.OK, $"{what}: {r.Raw}");
                        order.Status = "cancelled";
                        break;
                    }
                case Kind.Resend:
                    {
                        // The shop sends the order's current full state again (a retried webhook).
                        what = $"resend {order!.Id} ({order.Status}, refunded {Money(order.RefundedCents)})";
                        var r = await client.PostJsonAsync("/api/v1/orders", new
                        {
                            id = order.Id,
                            customer_id = customer,
                            total = Money(order.TotalCents),
                            currency = "USD",
                            status = order.Status == "refunded" ? "paid" : order.Status,
                            refunded_total = Money(order.RefundedCents),
                        });
                        r.Status.ShouldBe(HttpStatusCode.OK, $"{what}: {r.Raw}");
                        r.Str("status").ShouldBe(order.Status, what);
                        break;
                    }
                case Kind.Spend or Kind.AdjustDown:
                    {
                        var before = (await CustomerAsync(client, customer)).Long("points_balance");
                        var points = step.B % 3 == 0 ? Math.Max(1, before) : 1 + step.B % 150;
                        what = $"{kind} {points} on a balance of {before}";
                        var r = await client.PostJsonAsync(award, new { points = -points, type = kind == Kind.Spend ? "redeemed" : "adjusted" });
                        if (before >= points)
                        {
                            r.Status.ShouldBe(HttpStatusCode.Created, $"{what}: {r.Raw}");
                        }
                        else
                        {
                            r.Code.ShouldBe(422, $"{what}: {r.Raw}");
                            r.ErrorCode.ShouldBe("insufficient_points");
                        }
                        break;
                    }
                case Kind.Award:
                    {
                        var points = 1 + step.B % 100;
                        what = $"award {points}";
                        var r = await client.PostJsonAsync(award, new { points, type = step.A % 2 == 0 ? "earned" : "adjusted" });
                        r.Status.ShouldBe(HttpStatusCode.Created, $"{what}: {r.Raw}");
                        break;
                    }
                default:
                    {
                        var days = 1 + step.A % 20;
                        what = $"advance {days} days and run the jobs";
                        clock.Advance(TimeSpan.FromDays(days));
                        await server.RunJobsAsync();
                        break;
                    }
            }
            trace.Add(what);
            await CheckAsync(client, clock, customer, orders, $"run {run}, after: {string.Join(" → ", trace)}");
        }
    }

    private static async Task CheckAsync(HttpClient client, ManualClock clock, string customerId, List<ModelOrder> orders, string context)
    {
        var customer = await CustomerAsync(client, customerId);
        var entries = await LedgerAsync(client, customerId);
        var available = entries.Where(e => e.Status == "available").ToList();
        var pending = entries.Where(e => e.Status == "pending").ToList();
        (available.Count + pending.Count).ShouldBe(entries.Count, context);
        long Sum(IEnumerable<LedgerEntry> es, string type) => es.Where(e => e.Type == type).Sum(e => e.Points);

        var balance = customer.Long("points_balance");
        var lifetime = customer.Long("lifetime_points");
        var spent = customer.Long("points_spent");
        var expired = customer.Long("points_expired");

        // The balance and the pending points are the sums of their entries (pending ones with what
        // placed orders would earn, which is not in the ledger).
        var placed = orders.Sum(o => o.Placed);
        balance.ShouldBe(available.Sum(e => e.Points), context);
        customer.Long("pending_points").ShouldBe(pending.Sum(e => e.Points) + placed, context);

        // Types and signs: what may be pending, and which way each type moves.
        pending.ShouldAllBe(e => e.Type == "earned" || e.Type == "reversed", context);
        entries.Where(e => e.Type == "earned").ShouldAllBe(e => e.Points > 0, context);
        entries.Where(e => e.Type is "redeemed" or "expired" or "reversed").ShouldAllBe(e => e.Points < 0, context);
        entries.ShouldAllBe(e => e.Type == "earned" || e.Type == "adjusted" || e.Type == "redeemed" || e.Type == "expired" || e.Type == "reversed", context);

        // The whole ledger: earned − spent − expired − reversed + adjusted (pending entries included).
        var earnedAll = Sum(entries, "earned");
        var spentAll = -Sum(entries, "redeemed");
        var expiredAll = -Sum(entries, "expired");
        var reversedAll = -Sum(entries, "reversed");
        var adjustedAll = Sum(entries, "adjusted");
        entries.Sum(e => e.Points).ShouldBe(earnedAll - spentAll - expiredAll - reversedAll + adjustedAll, context);
        (balance + customer.Long("pending_points")).ShouldBe(entries.Sum(e => e.Points) + placed, context);

        // The counters against the available entries.
        lifetime.ShouldBe(available.Where(e => e.Type is "earned" or "adjusted" && e.Points > 0).Sum(e => e.Points), context);
        spent.ShouldBe(spentAll, context);
        expired.ShouldBe(expiredAll, context);
        var reversedAvailable = -Sum(available, "reversed");
        var adjustedDown = available.Where(e => e.Type == "adjusted" && e.Points < 0).Sum(e => e.Points);
        balance.ShouldBe(lifetime - spent - expired - reversedAvailable + adjustedDown, context);

        // Never below zero except as recorded debt after a reversal.
        entries.Where(e => e.Points < 0 && e.Type != "reversed").ShouldAllBe(e => e.BalanceAfter >= 0, context);
        if (balance < 0)
        {
            reversedAvailable.ShouldBeGreaterThan(0, context);
            (spent + expired - adjustedDown).ShouldBeGreaterThan(0, context);
            balance.ShouldBeGreaterThanOrEqualTo(-reversedAvailable, context);
        }

        // The jobs leave nothing due behind: no overdue pending entry, no expired lot still in the balance.
        var now = clock.GetUtcNow();
        pending.ShouldAllBe(e => Parse(e.AvailableAt!) > now, context);
        var liveLots = available.Where(e => e.Points > 0 && (e.ExpiresAt == null || Parse(e.ExpiresAt) > now)).Sum(e => e.Points);
        Math.Max(balance, 0).ShouldBeLessThanOrEqualTo(liveLots, context);
        available.Where(e => e.Points > 0).ShouldAllBe(e => e.ExpiresAt != null, context);

        // Every order holds exactly its desired points, and total_spent follows paid minus refunded.
        foreach (var o in orders)
        {
            var order = await client.GetJsonAsync($"/api/v1/orders/{o.Id}");
            order.Status.ShouldBe(HttpStatusCode.OK, context);
            var where = $"{context}; order {o.Id}";
            order.Str("status").ShouldBe(o.Status, where);
            order["refunded_total"].GetDecimal().ShouldBe(Money(o.RefundedCents), where);
            if (o.Earned > 0 || o.Status is "paid" or "refunded")
            {
                order.Long("points_earned").ShouldBe(o.Earned, where);
            }
            (order.Long("points_credited") + order.Long("points_pending")).ShouldBe(o.Desired + o.Placed, where);
            entries.Where(e => e.OrderId == o.Id).Sum(e => e.Points).ShouldBe(o.Desired, where);
        }
        entries.Where(e => e.OrderId != null).ShouldAllBe(e => orders.Any(o => o.Id == e.OrderId), context);
        customer["total_spent"].GetDecimal().ShouldBe(Money(orders.Sum(o => o.SpentCents)), context);
    }

    private static DateTimeOffset Parse(string at) => DateTimeOffset.Parse(at, CultureInfo.InvariantCulture);
}
