using System.Net;
using Patron.Tests.Earning;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Rewards.RewardsTestKit;

namespace Patron.Tests.Api;

/// <summary>
/// Every check that depends on an amount already consumed (what is left to refund, a gift card's
/// balance, a reward's uses per customer, a referral's one completion, an earn rule's limit) runs in the
/// same serialised write as the change it guards: real parallel requests, on both databases, never get
/// past it together.
/// </summary>
public sealed class ConsumedAmountRaceTests
{
    private const string Orders = "/api/v1/orders";

    [Theory, DatabaseData]
    public async Task Thirty_parallel_refunds_of_ten_on_an_order_of_a_hundred_refund_exactly_a_hundred(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        (await server.Client.PostJsonAsync(Orders, new { id = "RR-30", customer_id = c, total = 100m, status = "paid" })).Code.ShouldBe(201);

        var answers = await ParallelAsync(30, _ => server.Client.PostJsonAsync($"{Orders}/RR-30/refunds", new { amount = 10m }));

        answers.Count(a => a.Status == HttpStatusCode.OK).ShouldBe(10);
        answers.Where(a => a.Status != HttpStatusCode.OK).ShouldAllBe(a => a.ErrorCode == "refund_exceeds_total");
        var order = await server.Client.GetJsonAsync($"{Orders}/RR-30");
        order["refunded_total"].GetDecimal().ShouldBe(100m);
        order.Str("status").ShouldBe("refunded");
        var customer = await CustomerAsync(server.Client, c);
        customer["total_spent"].GetDecimal().ShouldBe(0m);
        customer.Long("points_balance").ShouldBe(0);
        (await LedgerAsync(server.Client, c)).Sum(e => e.Points).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Ten_parallel_full_refunds_of_one_order_refund_it_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        (await server.Client.PostJsonAsync(Orders, new { id = "RR-1", customer_id = c, total = 100m, status = "paid" })).Code.ShouldBe(201);

        var answers = await ParallelAsync(10, _ => server.Client.PostJsonAsync($"{Orders}/RR-1/refunds", new { amount = 100m }));

        answers.Count(a => a.Status == HttpStatusCode.OK).ShouldBe(1);
        answers.Count(a => a.ErrorCode == "refund_exceeds_total").ShouldBe(9);
        (await server.Client.GetJsonAsync($"{Orders}/RR-1"))["refunded_total"].GetDecimal().ShouldBe(100m);
        (await CustomerAsync(server.Client, c))["total_spent"].GetDecimal().ShouldBe(0m);
    }

    [Theory, DatabaseData]
    public async Task Parallel_refunds_by_both_routes_never_refund_more_than_the_total(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client);
        (await server.Client.PostJsonAsync(Orders, new { id = "RR-2", customer_id = c, total = 100m, status = "paid" })).Code.ShouldBe(201);

        // Half the requests refund 30 more; the other half send the full state with 90 refunded.
        var answers = await ParallelAsync(20, i => i % 2 == 0
            ? server.Client.PostJsonAsync($"{Orders}/RR-2/refunds", new { amount = 30m })
            : server.Client.PostJsonAsync(Orders, new { id = "RR-2", customer_id = c, total = 100m, refunded_total = 90m, status = "paid" }));

        answers.ShouldAllBe(a => a.Code < 500);
        var order = await server.Client.GetJsonAsync($"{Orders}/RR-2");
        var refunded = order["refunded_total"].GetDecimal();
        refunded.ShouldBeLessThanOrEqualTo(100m);
        var customer = await CustomerAsync(server.Client, c);
        customer["total_spent"].GetDecimal().ShouldBe(100m - refunded);
        customer["total_spent"].GetDecimal().ShouldBeGreaterThanOrEqualTo(0m);
        (await LedgerAsync(server.Client, c)).Sum(e => e.Points).ShouldBe(customer.Long("points_balance"));
    }

    [Theory, DatabaseData]
    public async Task Thirty_parallel_gift_card_spends_of_ten_from_a_hundred_succeed_exactly_ten_times(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var issued = await server.Client.PostJsonAsync("/api/v1/gift_cards", new { initial_balance = 100m });
        issued.Code.ShouldBe(201, issued.Raw);
        var code = issued.Str("code");

        var answers = await ParallelAsync(30, _ =>
            server.Client.PostJsonAsync($"/api/v1/gift_cards/{code}/transactions", new { amount = -10m }));

        answers.Count(a => a.Code is 200 or 201).ShouldBe(10);
        answers.Where(a => a.Code is not (200 or 201)).ShouldAllBe(a => a.Code == 422);
        (await server.Client.GetJsonAsync($"/api/v1/gift_cards/{code}"))["balance"].GetDecimal().ShouldBe(0m);
    }

    [Theory, DatabaseData]
    public async Task Thirty_parallel_redemptions_of_a_reward_limited_to_two_per_customer_redeem_twice(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await NewCustomerAsync(server.Client, points: 1000);
        var reward = await NewRewardAsync(server.Client, new { name = "Twice", type = "custom", points_cost = 10, limit_per_customer = 2 });

        var answers = await ParallelAsync(30, _ => RedeemAsync(server.Client, customer, new { reward_id = reward }));

        answers.Count(a => a.Status == HttpStatusCode.Created).ShouldBe(2);
        answers.Where(a => a.Status != HttpStatusCode.Created).ShouldAllBe(a => a.ErrorCode == "redemption_limit_reached");
        (await BalanceAsync(server.Client, customer)).ShouldBe(980);
    }

    [Theory, DatabaseData]
    public async Task Ten_different_orders_of_a_referee_paid_in_parallel_complete_the_referral_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        (await server.Client.PatchJsonAsync("/api/v1/program", new
        {
            points_per_unit = 0,
            referral = new { referrer_points = 100, referee_points = 50, min_order_total = 20m },
        })).Code.ShouldBe(200);
        var referrer = await server.Client.PostJsonAsync("/api/v1/customers", new { email = "ada@example.com" });
        var referee = await server.Client.PostJsonAsync("/api/v1/customers",
            new { email = "bob@example.com", referred_by = referrer.Str("referral_code") });
        referee.Code.ShouldBe(201, referee.Raw);

        var answers = await ParallelAsync(10, i => server.Client.PostJsonAsync(Orders,
            new { id = $"ref-{i}", customer_id = referee.Str("id"), total = 50m, status = "paid" }));

        answers.ShouldAllBe(a => a.Status == HttpStatusCode.Created);
        (await BalanceAsync(server.Client, referrer.Str("id"))).ShouldBe(100);
        (await BalanceAsync(server.Client, referee.Str("id"))).ShouldBe(50);
        (await server.Client.GetJsonAsync("/api/v1/referrals?status=completed")).Long("total_count").ShouldBe(1);
    }
}
