using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Earning;

/// <summary>
/// The order lifecycle over HTTP (docs/API.md, Orders and Customers; section 5, guarantees 1 and 3):
/// earning on payment, proportional reversal on refunds, full reversal on cancellation, debt, idempotent
/// full-state updates and the races a shop's retries produce.
/// </summary>
public sealed class OrdersApiTests
{
    private const string Orders = "/api/v1/orders";

    // ---- Earning on payment ----

    [Theory, DatabaseData]
    public async Task A_paid_order_sent_as_one_POST_is_created_paid_and_credits_its_points(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);

        var order = await server.Client.PostJsonAsync(Orders, new { id = "A-1", customer_id = c, total = 120.50m, currency = "USD", status = "paid" });

        order.Status.ShouldBe(HttpStatusCode.Created);
        order.Str("object").ShouldBe("order");
        order.Str("id").ShouldBe("A-1");
        order.Str("status").ShouldBe("paid");
        order.Long("points_earned").ShouldBe(120);
        order.Long("points_credited").ShouldBe(120);
        order.Long("points_pending").ShouldBe(0);
        order["paid_at"].ValueKind.ShouldBe(JsonValueKind.String);
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(120);
        customer.Long("lifetime_points").ShouldBe(120);
        customer["total_spent"].GetDecimal().ShouldBe(120.50m);
        var entries = await LedgerAsync(server.Client, c);
        entries.Count.ShouldBe(1);
        entries[0].Type.ShouldBe("earned");
        entries[0].Points.ShouldBe(120);
        entries[0].OrderId.ShouldBe("A-1");
        entries[0].Status.ShouldBe("available");
    }

    [Theory, DatabaseData]
    public async Task A_placed_order_earns_nothing_until_paid(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);

        var placed = await server.Client.PostJsonAsync(Orders, new { id = "P-1", customer_id = c, total = 40m });
        placed.Status.ShouldBe(HttpStatusCode.Created);
        placed.Str("status").ShouldBe("placed");
        placed.Long("points_credited").ShouldBe(0);
        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(0);
        (await CustomerAsync(server.Client, c))["total_spent"].GetDecimal().ShouldBe(0m);

        var paid = await server.Client.PostJsonAsync($"{Orders}/P-1/paid");
        paid.Status.ShouldBe(HttpStatusCode.OK);
        paid.Str("status").ShouldBe("paid");
        paid.Long("points_credited").ShouldBe(40);
        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(40);

        var fetched = await server.Client.GetJsonAsync($"{Orders}/P-1");
        fetched.Status.ShouldBe(HttpStatusCode.OK);
        fetched.Long("points_credited").ShouldBe(40);
        var list = await server.Client.GetJsonAsync($"{Orders}?customer_id={c}&status=paid");
        list.Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task The_same_full_state_sent_twice_has_no_double_effect_and_a_late_placed_state_does_not_unpay(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        var state = new { id = "D-1", customer_id = c, total = 75m, currency = "USD", status = "paid" };

        var first = await server.Client.PostJsonAsync(Orders, state);
        var second = await server.Client.PostJsonAsync(Orders, state);

        first.Status.ShouldBe(HttpStatusCode.Created);
        second.Status.ShouldBe(HttpStatusCode.OK);
        second.Long("points_credited").ShouldBe(75);
        second.Str("paid_at").ShouldBe(first.Str("paid_at"));

        // An older state (placed) arriving late does not move the order back.
        var late = await server.Client.PostJsonAsync(Orders, new { id = "D-1", customer_id = c, total = 75m, currency = "USD", status = "placed" });
        late.Status.ShouldBe(HttpStatusCode.OK);
        late.Str("status").ShouldBe("paid");
        late.Str("paid_at").ShouldBe(first.Str("paid_at"));
        late.Long("points_credited").ShouldBe(75);

        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(75);
        customer.Long("lifetime_points").ShouldBe(75);
        customer["total_spent"].GetDecimal().ShouldBe(75m);
        (await LedgerAsync(server.Client, c)).Count.ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Total_spent_follows_paid_minus_refunded(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        async Task<decimal> Spent() => (await CustomerAsync(server.Client, c))["total_spent"].GetDecimal();

        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "S-1", customer_id = c, total = 100m, status = "paid" }));
        (await Spent()).ShouldBe(100m);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "S-2", customer_id = c, total = 50.25m }));
        (await Spent()).ShouldBe(100m);
        await OkAsync(server.Client.PostJsonAsync($"{Orders}/S-2/paid"));
        (await Spent()).ShouldBe(150.25m);
        await OkAsync(server.Client.PostJsonAsync($"{Orders}/S-1/refunds", new { amount = 20.10m }));
        (await Spent()).ShouldBe(130.15m);
        // Full state with a higher refunded_total.
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "S-1", customer_id = c, total = 100m, status = "paid", refunded_total = 30m }));
        (await Spent()).ShouldBe(120.25m);
        await OkAsync(server.Client.PostJsonAsync($"{Orders}/S-1/refunds", new { amount = 70m }));
        (await Spent()).ShouldBe(50.25m);
        // A cancelled order counts for nothing.
        await OkAsync(server.Client.PostJsonAsync($"{Orders}/S-2/cancel"));
        (await Spent()).ShouldBe(0m);
    }

    // ---- Refunds: the cases loyalty systems got wrong ----

    [Theory, DatabaseData]
    public async Task A_full_refund_takes_all_the_order_points_back_and_resending_the_paid_state_does_not_restore_them(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "R-1", customer_id = c, total = 120m, status = "paid" }));

        var refunded = await server.Client.PostJsonAsync($"{Orders}/R-1/refunds", new { amount = 120m });

        refunded.Status.ShouldBe(HttpStatusCode.OK);
        refunded.Str("status").ShouldBe("refunded");
        refunded["refunded_total"].GetDecimal().ShouldBe(120m);
        refunded.Long("points_credited").ShouldBe(0);
        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(0);

        // Buy, earn, refund, keep the points: a shop resending the order's earlier paid state changes nothing.
        var resent = await server.Client.PostJsonAsync(Orders, new { id = "R-1", customer_id = c, total = 120m, status = "paid" });
        resent.Status.ShouldBe(HttpStatusCode.OK);
        resent.Str("status").ShouldBe("refunded");
        resent.Long("points_credited").ShouldBe(0);
        (await server.Client.PostJsonAsync($"{Orders}/R-1/paid")).Str("status").ShouldBe("refunded");
        // Nor can a refund be undone by a lower refunded_total.
        var undo = await server.Client.PostJsonAsync(Orders, new { id = "R-1", customer_id = c, total = 120m, status = "paid", refunded_total = 0m });
        undo.Code.ShouldBe(422);

        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(0);
        customer.Long("lifetime_points").ShouldBe(120);
        customer["total_spent"].GetDecimal().ShouldBe(0m);
        var entries = await LedgerAsync(server.Client, c);
        entries.Select(e => (e.Type, e.Points)).OrderBy(e => e.Points).ShouldBe([("reversed", -120L), ("earned", 120L)]);
    }

    [Theory, DatabaseData]
    public async Task A_full_refund_in_the_full_state_takes_all_the_points_back(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "F-1", customer_id = c, total = 80m, status = "paid" }));

        var refunded = await server.Client.PostJsonAsync(Orders, new { id = "F-1", customer_id = c, total = 80m, status = "paid", refunded_total = 80m });

        refunded.Status.ShouldBe(HttpStatusCode.OK);
        refunded.Str("status").ShouldBe("refunded");
        refunded.Long("points_credited").ShouldBe(0);
        // A new order created already fully refunded nets nothing either.
        var born = await server.Client.PostJsonAsync(Orders, new { id = "F-2", customer_id = c, total = 50m, status = "paid", refunded_total = 50m });
        born.Status.ShouldBe(HttpStatusCode.Created);
        born.Str("status").ShouldBe("refunded");
        born.Long("points_credited").ShouldBe(0);
        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(0);
        (await LedgerAsync(server.Client, c)).Sum(e => e.Points).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Cancel_then_refund_reverses_the_points_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "C-1", customer_id = c, total = 100m, status = "paid" }));

        var cancelled = await server.Client.PostJsonAsync($"{Orders}/C-1/cancel");
        cancelled.Status.ShouldBe(HttpStatusCode.OK);
        cancelled.Str("status").ShouldBe("cancelled");
        cancelled["cancelled_at"].ValueKind.ShouldBe(JsonValueKind.String);
        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(0);

        var refund = await server.Client.PostJsonAsync($"{Orders}/C-1/refunds", new { amount = 100m });
        refund.Status.ShouldBe(HttpStatusCode.OK);
        refund.Str("status").ShouldBe("cancelled");
        (await server.Client.PostJsonAsync($"{Orders}/C-1/cancel")).Status.ShouldBe(HttpStatusCode.OK);

        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(0);
        customer["total_spent"].GetDecimal().ShouldBe(0m);
        var entries = await LedgerAsync(server.Client, c);
        entries.Count(e => e.Type == "reversed").ShouldBe(1);
        entries.Sum(e => e.Points).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Refund_then_cancel_takes_back_only_what_is_left(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "RC-1", customer_id = c, total = 100m, status = "paid" }));

        (await server.Client.PostJsonAsync($"{Orders}/RC-1/refunds", new { amount = 40m })).Long("points_credited").ShouldBe(60);
        (await server.Client.PostJsonAsync($"{Orders}/RC-1/cancel")).Long("points_credited").ShouldBe(0);

        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(0);
        var reversed = (await LedgerAsync(server.Client, c)).Where(e => e.Type == "reversed").Select(e => e.Points).ToList();
        reversed.OrderBy(p => p).ShouldBe([-60L, -40L]);
    }

    [Theory, DatabaseData]
    public async Task Two_partial_refunds_adding_up_to_the_total_take_back_exactly_all_points(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await SetProgramAsync(server.Client, new { points_per_unit = 7 });
        var c = await NewCustomerAsync(server.Client);
        (await server.Client.PostJsonAsync(Orders, new { id = "T-1", customer_id = c, total = 10m, status = "paid" })).Long("points_credited").ShouldBe(70);

        // 70 × 3.33 / 10 = 23.31: the proportional share rounds up to 24.
        var first = await server.Client.PostJsonAsync($"{Orders}/T-1/refunds", new { amount = 3.33m });
        first.Long("points_credited").ShouldBe(46);
        first.Str("status").ShouldBe("paid");
        var second = await server.Client.PostJsonAsync($"{Orders}/T-1/refunds", new { amount = 6.67m });
        second.Long("points_credited").ShouldBe(0);
        second.Str("status").ShouldBe("refunded");

        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(0);
        var entries = await LedgerAsync(server.Client, c);
        entries.Where(e => e.Type == "reversed").Sum(e => e.Points).ShouldBe(-70);
        entries.Sum(e => e.Points).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_refund_after_the_points_were_spent_records_debt_that_later_earnings_pay_first(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        await SetProgramAsync(server.Client, new { points_expiry_days = 30 });
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "DEBT-1", customer_id = c, total = 100m, status = "paid" }));
        (await SpendAsync(server.Client, c, 80)).Status.ShouldBe(HttpStatusCode.Created);

        var refund = await server.Client.PostJsonAsync($"{Orders}/DEBT-1/refunds", new { amount = 100m });

        refund.Status.ShouldBe(HttpStatusCode.OK);
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(-80);
        customer.Long("points_spent").ShouldBe(80);
        var reversal = (await LedgerAsync(server.Client, c)).Single(e => e.Type == "reversed");
        reversal.Points.ShouldBe(-100);
        reversal.BalanceAfter.ShouldBe(-80);

        // No deduction of any kind while in debt.
        var spend = await SpendAsync(server.Client, c, 1);
        spend.Code.ShouldBe(422);
        spend.ErrorCode.ShouldBe("insufficient_points");
        (await server.Client.PostJsonAsync($"/api/v1/customers/{c}/points_transactions", new { points = -1, type = "adjusted" })).ErrorCode
            .ShouldBe("insufficient_points");

        // Later earnings pay the debt first.
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "DEBT-2", customer_id = c, total = 50m, status = "paid" }));
        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(-30);
        (await SpendAsync(server.Client, c, 1)).Code.ShouldBe(422);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "DEBT-3", customer_id = c, total = 100m, status = "paid" }));
        customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(70);
        customer.Long("lifetime_points").ShouldBe(250);
        (await SpendAsync(server.Client, c, 71)).Code.ShouldBe(422);

        // Only what is left after paying the debt is a spendable, expiring lot: 70, not 150.
        clock.Advance(TimeSpan.FromDays(31));
        await server.RunJobsAsync();
        customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(0);
        customer.Long("points_expired").ShouldBe(70);
        (await LedgerAsync(server.Client, c)).Where(e => e.Type == "expired").Select(e => e.Points).ShouldBe([-70L]);
    }

    [Theory, DatabaseData]
    public async Task A_refund_while_the_points_are_pending_takes_them_from_pending_and_leaves_the_balance(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        await SetProgramAsync(server.Client, new { points_delay_days = 14 });
        var c = await NewCustomerAsync(server.Client);
        await server.Client.PostJsonAsync($"/api/v1/customers/{c}/points_transactions", new { points = 10 });
        (await server.Client.PostJsonAsync(Orders, new { id = "PR-1", customer_id = c, total = 100m, status = "paid" })).Long("points_pending").ShouldBe(100);

        var refund = await server.Client.PostJsonAsync($"{Orders}/PR-1/refunds", new { amount = 25m });

        refund.Status.ShouldBe(HttpStatusCode.OK);
        refund.Long("points_pending").ShouldBe(75);
        refund.Long("points_credited").ShouldBe(0);
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("pending_points").ShouldBe(75);
        customer.Long("points_balance").ShouldBe(10);
        var reversal = (await LedgerAsync(server.Client, c)).Single(e => e.Type == "reversed");
        reversal.Points.ShouldBe(-25);
        reversal.Status.ShouldBe("pending");

        clock.Advance(TimeSpan.FromDays(14) + TimeSpan.FromMinutes(1));
        await server.RunJobsAsync();
        customer = await CustomerAsync(server.Client, c);
        customer.Long("pending_points").ShouldBe(0);
        customer.Long("points_balance").ShouldBe(85);
        (await server.Client.GetJsonAsync($"{Orders}/PR-1")).Long("points_credited").ShouldBe(75);
    }

    [Theory, DatabaseData]
    public async Task A_full_refund_or_cancel_while_pending_leaves_nothing_pending_and_nothing_to_mature(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        await SetProgramAsync(server.Client, new { points_delay_days = 14 });
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "PF-1", customer_id = c, total = 60m, status = "paid" }));
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "PF-2", customer_id = c, total = 40m, status = "paid" }));

        await OkAsync(server.Client.PostJsonAsync($"{Orders}/PF-1/refunds", new { amount = 60m }));
        await OkAsync(server.Client.PostJsonAsync($"{Orders}/PF-2/cancel"));

        var customer = await CustomerAsync(server.Client, c);
        customer.Long("pending_points").ShouldBe(0);
        customer.Long("points_balance").ShouldBe(0);
        clock.Advance(TimeSpan.FromDays(15));
        await server.RunJobsAsync();
        customer = await CustomerAsync(server.Client, c);
        customer.Long("pending_points").ShouldBe(0);
        customer.Long("points_balance").ShouldBe(0);
        (await LedgerAsync(server.Client, c)).ShouldAllBe(e => e.Status == "available");
    }

    // ---- Earn modes and rounding ----

    [Theory, DatabaseData]
    public async Task Units_mode_earns_per_unit_from_the_items_quantities_or_units(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        (await SetProgramAsync(server.Client, new { earn_mode = "units", points_per_unit = 5 })).Str("earn_mode").ShouldBe("units");
        var c = await NewCustomerAsync(server.Client);

        var byItems = await server.Client.PostJsonAsync(Orders, new
        {
            id = "U-1",
            customer_id = c,
            total = 999m,
            status = "paid",
            items = new object[] { new { sku = "tea", quantity = 2 }, new { sku = "cup", quantity = 3 } },
        });
        byItems.Long("units").ShouldBe(5);
        byItems.Long("points_earned").ShouldBe(25);
        var byUnits = await server.Client.PostJsonAsync(Orders, new { id = "U-2", customer_id = c, total = 1m, status = "paid", units = 4 });
        byUnits.Long("points_earned").ShouldBe(20);

        // Refunds still take points back in proportion to the money refunded.
        (await server.Client.PostJsonAsync($"{Orders}/U-1/refunds", new { amount = 499.5m })).Long("points_credited").ShouldBe(12);
        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(32);
    }

    [Theory, DatabaseData]
    public async Task Rounding_floor_and_nearest(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await SetProgramAsync(server.Client, new { points_per_unit = 1.5m, rounding = "floor" });
        var c = await NewCustomerAsync(server.Client);

        // 9.99 × 1.5 = 14.985; 1.00 × 2.5 = 2.5 (a midpoint); 10.30 × 1.5 = 15.45.
        (await server.Client.PostJsonAsync(Orders, new { id = "RF-1", customer_id = c, total = 9.99m, status = "paid" })).Long("points_earned").ShouldBe(14);
        (await server.Client.PostJsonAsync(Orders, new { id = "RF-2", customer_id = c, total = 10.30m, status = "paid" })).Long("points_earned").ShouldBe(15);

        await SetProgramAsync(server.Client, new { rounding = "nearest" });
        (await server.Client.PostJsonAsync(Orders, new { id = "RN-1", customer_id = c, total = 9.99m, status = "paid" })).Long("points_earned").ShouldBe(15);
        (await server.Client.PostJsonAsync(Orders, new { id = "RN-2", customer_id = c, total = 10.30m, status = "paid" })).Long("points_earned").ShouldBe(15);
        await SetProgramAsync(server.Client, new { points_per_unit = 2.5m });
        (await server.Client.PostJsonAsync(Orders, new { id = "RN-3", customer_id = c, total = 1m, status = "paid" })).Long("points_earned").ShouldBe(3);

        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(14 + 15 + 15 + 15 + 3);
    }

    // ---- Refusals ----

    [Theory, DatabaseData]
    public async Task A_currency_other_than_the_programs_is_422_and_writes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        var currency = (await server.Client.GetJsonAsync("/api/v1/program")).Str("currency");
        var other = currency == "EUR" ? "USD" : "EUR";

        var refused = await server.Client.PostJsonAsync(Orders, new { id = "X-1", customer_id = c, total = 10m, currency = other, status = "paid" });

        refused.Code.ShouldBe(422);
        refused.ErrorCode.ShouldBe("currency_mismatch");
        (await server.Client.GetJsonAsync($"{Orders}/X-1")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(0);
        (await server.Client.PostJsonAsync(Orders, new { id = "X-1", customer_id = c, total = 10m, currency = currency.ToLowerInvariant(), status = "paid" }))
            .Status.ShouldBe(HttpStatusCode.Created);
    }

    [Theory, DatabaseData]
    public async Task A_refund_above_what_is_left_is_422_and_writes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "L-1", customer_id = c, total = 50m, status = "paid" }));
        await OkAsync(server.Client.PostJsonAsync($"{Orders}/L-1/refunds", new { amount = 30m }));

        var refused = await server.Client.PostJsonAsync($"{Orders}/L-1/refunds", new { amount = 20.01m });

        refused.Code.ShouldBe(422);
        refused.ErrorCode.ShouldBe("refund_exceeds_total");
        var order = await server.Client.GetJsonAsync($"{Orders}/L-1");
        order["refunded_total"].GetDecimal().ShouldBe(30m);
        order.Long("points_credited").ShouldBe(20);
        (await server.Client.PostJsonAsync($"{Orders}/L-1/refunds", new { amount = 0m })).Code.ShouldBe(422);
        (await server.Client.PostJsonAsync($"{Orders}/L-1/refunds", new { amount = -5m })).Code.ShouldBe(422);
        (await server.Client.PostJsonAsync($"{Orders}/L-1/refunds", new { amount = 20m })).Str("status").ShouldBe("refunded");
        (await server.Client.PostJsonAsync($"{Orders}/L-1/refunds", new { amount = 0.01m })).ErrorCode.ShouldBe("refund_exceeds_total");
        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_refund_of_an_unpaid_order_is_409(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "UP-1", customer_id = c, total = 50m }));

        var refused = await server.Client.PostJsonAsync($"{Orders}/UP-1/refunds", new { amount = 10m });

        refused.Code.ShouldBe(409);
        refused.ErrorCode.ShouldBe("order_not_paid");
        (await server.Client.GetJsonAsync($"{Orders}/UP-1"))["refunded_total"].GetDecimal().ShouldBe(0m);
        (await server.Client.PostJsonAsync($"{Orders}/missing/refunds", new { amount = 10m })).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory, DatabaseData]
    public async Task A_refunded_total_on_an_unpaid_order_is_409_by_either_route_and_writes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "UP-2", customer_id = c, total = 100m }));

        var created = await server.Client.PostJsonAsync(Orders, new { id = "UP-3", customer_id = c, total = 100m, status = "placed", refunded_total = 40m });
        var patched = await server.Client.PatchJsonAsync($"{Orders}/UP-2", new { refunded_total = 60m });

        foreach (var refused in new[] { created, patched })
        {
            refused.Code.ShouldBe(409, refused.Raw);
            refused.ErrorCode.ShouldBe("order_not_paid");
        }
        (await server.Client.GetJsonAsync($"{Orders}/UP-3")).Code.ShouldBe(404);
        var placed = await server.Client.GetJsonAsync($"{Orders}/UP-2");
        placed["refunded_total"].GetDecimal().ShouldBe(0m);
        placed.Long("points_pending").ShouldBe(100);
        // Paid and refunded in one state is a paid order's refund.
        var paidAndRefunded = await server.Client.PostJsonAsync(Orders, new { id = "UP-5", customer_id = c, total = 100m, status = "paid", refunded_total = 40m });
        paidAndRefunded.Code.ShouldBe(201, paidAndRefunded.Raw);
        paidAndRefunded["refunded_total"].GetDecimal().ShouldBe(40m);
        paidAndRefunded.Long("points_credited").ShouldBe(60);
    }

    [Theory, DatabaseData]
    public async Task An_unpaid_order_stored_with_a_refund_can_still_change_and_be_cancelled(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "OLD-1", customer_id = c, total = 100m }));
        // Data from before a placed order's refunded_total was refused.
        var db = server.App.Services.GetRequiredService<Database>();
        await using (var connection = await db.OpenAsync(TestContext.Current.CancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken))
        {
            await new Sql(connection, transaction).ExecuteAsync("UPDATE orders SET refunded_e4 = 400000 WHERE id = 'OLD-1'");
            await transaction.CommitAsync(TestContext.Current.CancellationToken);
        }

        var patched = await server.Client.PatchJsonAsync($"{Orders}/OLD-1", new { items = new[] { new { name = "Tea", quantity = 1 } } });
        var cancelled = await server.Client.PostJsonAsync($"{Orders}/OLD-1/cancel");

        patched.Code.ShouldBe(200, patched.Raw);
        cancelled.Code.ShouldBe(200, cancelled.Raw);
        cancelled.Str("status").ShouldBe("cancelled");
        cancelled["refunded_total"].GetDecimal().ShouldBe(40m);
    }

    [Theory, DatabaseData]
    public async Task A_cancelled_order_cannot_be_paid_again(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "K-1", customer_id = c, total = 50m }));
        await OkAsync(server.Client.PostJsonAsync($"{Orders}/K-1/cancel"));

        var paid = await server.Client.PostJsonAsync($"{Orders}/K-1/paid");
        paid.Code.ShouldBe(409);
        paid.ErrorCode.ShouldBe("order_cancelled");
        var fullState = await server.Client.PostJsonAsync(Orders, new { id = "K-1", customer_id = c, total = 50m, status = "paid" });
        fullState.Code.ShouldBe(409);
        var patched = await server.Client.PatchJsonAsync($"{Orders}/K-1", new { status = "paid" });
        patched.Code.ShouldBe(409);

        (await server.Client.GetJsonAsync($"{Orders}/K-1")).Str("status").ShouldBe("cancelled");
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(0);
        customer["total_spent"].GetDecimal().ShouldBe(0m);
        (await LedgerAsync(server.Client, c)).ShouldBeEmpty();
    }

    [Theory, DatabaseData]
    public async Task Resending_a_cancelled_orders_own_state_is_a_no_op_but_a_change_is_409(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "KR-1", customer_id = c, total = 50m, status = "paid" }));
        var cancelled = await server.Client.PostJsonAsync(Orders, new { id = "KR-1", customer_id = c, total = 50m, status = "cancelled" });
        cancelled.Status.ShouldBe(HttpStatusCode.OK, cancelled.Raw);
        cancelled.Str("status").ShouldBe("cancelled");

        // The shop's webhook for the cancellation, retried: the same state again changes nothing.
        var resent = await server.Client.PostJsonAsync(Orders, new { id = "KR-1", customer_id = c, total = 50m, status = "cancelled", refunded_total = 0m });
        resent.Status.ShouldBe(HttpStatusCode.OK, resent.Raw);
        resent.Str("status").ShouldBe("cancelled");
        resent.Str("updated_at").ShouldBe(cancelled.Str("updated_at"));

        var changed = await server.Client.PostJsonAsync(Orders, new { id = "KR-1", customer_id = c, total = 60m, status = "cancelled" });
        changed.Code.ShouldBe(409);
        changed.ErrorCode.ShouldBe("order_cancelled");
        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(0);
        (await LedgerAsync(server.Client, c)).Sum(e => e.Points).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_refund_of_a_cancelled_paid_order_is_recorded_the_same_way_by_either_route_and_takes_no_points(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "CR-1", customer_id = c, total = 80m, status = "paid" }));
        await OkAsync(server.Client.PostJsonAsync($"{Orders}/CR-1/cancel"));
        var afterCancel = (await LedgerAsync(server.Client, c)).Sum(e => e.Points);

        var byRoute = await server.Client.PostJsonAsync($"{Orders}/CR-1/refunds", new { amount = 30m });
        byRoute.Status.ShouldBe(HttpStatusCode.OK, byRoute.Raw);
        var byState = await server.Client.PostJsonAsync(Orders, new { id = "CR-1", customer_id = c, total = 80m, status = "cancelled", refunded_total = 50m });
        byState.Status.ShouldBe(HttpStatusCode.OK, byState.Raw);

        byState.Str("status").ShouldBe("cancelled");
        byState["refunded_total"].GetDecimal().ShouldBe(50m);
        (await LedgerAsync(server.Client, c)).Sum(e => e.Points).ShouldBe(afterCancel);
        (await CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(afterCancel);
        var tooMuch = await server.Client.PostJsonAsync(Orders, new { id = "CR-1", customer_id = c, total = 80m, status = "cancelled", refunded_total = 90m });
        tooMuch.Code.ShouldBe(422, tooMuch.Raw);

        // An order cancelled before it was paid took no money: neither route records a refund.
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "CR-2", customer_id = c, total = 40m }));
        await OkAsync(server.Client.PostJsonAsync($"{Orders}/CR-2/cancel"));
        var unpaid = await server.Client.PostJsonAsync($"{Orders}/CR-2/refunds", new { amount = 10m });
        unpaid.Code.ShouldBe(409, unpaid.Raw);
        unpaid.ErrorCode.ShouldBe("order_not_paid");
        var unpaidState = await server.Client.PostJsonAsync(Orders, new { id = "CR-2", customer_id = c, total = 40m, status = "cancelled", refunded_total = 10m });
        unpaidState.Code.ShouldBe(409, unpaidState.Raw);
        (await server.Client.GetJsonAsync($"{Orders}/CR-2"))["refunded_total"].GetDecimal().ShouldBe(0m);
    }

    [Theory, DatabaseData]
    public async Task Editing_the_total_of_a_paid_order_reprices_its_points(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "E-1", customer_id = c, total = 100m, status = "paid" }));

        (await server.Client.PatchJsonAsync($"{Orders}/E-1", new { total = 60m })).Long("points_credited").ShouldBe(60);
        (await server.Client.PatchJsonAsync($"{Orders}/E-1", new { total = 90m })).Long("points_credited").ShouldBe(90);

        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(90);
        customer["total_spent"].GetDecimal().ShouldBe(90m);
    }

    // ---- Concurrency ----

    [Theory, DatabaseData]
    public async Task Twenty_parallel_identical_full_state_updates_credit_the_order_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "CC-1", customer_id = c, total = 130m }));
        var state = new { id = "CC-1", customer_id = c, total = 130m, currency = "USD", status = "paid" };

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => server.Client.PostJsonAsync(Orders, state)));

        answers.ShouldAllBe(a => a.Status == HttpStatusCode.OK);
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(130);
        customer.Long("lifetime_points").ShouldBe(130);
        customer["total_spent"].GetDecimal().ShouldBe(130m);
        (await LedgerAsync(server.Client, c)).Where(e => e.Type == "earned").Select(e => e.Points).ShouldBe([130L]);
    }

    [Theory, DatabaseData]
    public async Task Twenty_parallel_creations_of_one_paid_order_create_it_and_credit_it_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        var state = new { id = "CC-2", customer_id = c, total = 55m, currency = "USD", status = "paid" };

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => server.Client.PostJsonAsync(Orders, state)));

        answers.Count(a => a.Status == HttpStatusCode.Created).ShouldBe(1);
        answers.Count(a => a.Status == HttpStatusCode.OK).ShouldBe(19);
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(55);
        customer["total_spent"].GetDecimal().ShouldBe(55m);
        (await LedgerAsync(server.Client, c)).Select(e => e.Points).ShouldBe([55L]);
    }

    [Theory, DatabaseData]
    public async Task Ten_parallel_refunds_of_ten_percent_take_back_exactly_all_points(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await SetProgramAsync(server.Client, new { points_per_unit = 0.73m });
        var c = await NewCustomerAsync(server.Client);
        (await server.Client.PostJsonAsync(Orders, new { id = "PR-10", customer_id = c, total = 100m, status = "paid" })).Long("points_credited").ShouldBe(73);

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            server.Client.PostJsonAsync($"{Orders}/PR-10/refunds", new { amount = 10m })));

        answers.ShouldAllBe(a => a.Status == HttpStatusCode.OK);
        var order = await server.Client.GetJsonAsync($"{Orders}/PR-10");
        order.Str("status").ShouldBe("refunded");
        order["refunded_total"].GetDecimal().ShouldBe(100m);
        order.Long("points_credited").ShouldBe(0);
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(0);
        customer["total_spent"].GetDecimal().ShouldBe(0m);
        var entries = await LedgerAsync(server.Client, c);
        entries.Where(e => e.Type == "reversed").Sum(e => e.Points).ShouldBe(-73);
        entries.Sum(e => e.Points).ShouldBe(0);
        // An eleventh refund finds nothing left.
        (await server.Client.PostJsonAsync($"{Orders}/PR-10/refunds", new { amount = 10m })).ErrorCode.ShouldBe("refund_exceeds_total");
    }
}
