using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Rewards.RewardsTestKit;

namespace Patron.Tests.Rewards;

/// <summary>Redemptions and vouchers (docs/API.md, Redemptions; section 5, guarantees 1, 3 and 5).</summary>
public sealed class RedemptionsApiTests
{
    [Theory, DatabaseData]
    public async Task A_redemption_deducts_the_points_and_issues_a_prefixed_code_in_one_step(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client, points: 1200);
        var reward = await NewRewardAsync(client, new { name = "5 off", type = "amount_discount", value = 5m, points_cost = 500, code_prefix = "FIVE-" });

        var r = await RedeemAsync(client, customer, new { reward_id = reward });

        r.Status.ShouldBe(HttpStatusCode.Created, r.Raw);
        r.Str("object").ShouldBe("redemption");
        r.Str("id").ShouldStartWith("red_");
        r.Str("customer_id").ShouldBe(customer);
        r.Str("reward_id").ShouldBe(reward);
        r.Long("points_spent").ShouldBe(500);
        r.Long("remaining_balance").ShouldBe(700);
        r.Str("apply_mode").ShouldBe("code");
        r.Str("status").ShouldBe("issued");
        r["expires_at"].ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        var code = r.Str("discount_code");
        code.ShouldStartWith("FIVE-");
        code.Length.ShouldBe(5 + 12);
        code[5..].ShouldAllBe(c => "23456789ABCDEFGHJKMNPQRSTUVWXYZ".Contains(c));

        (await BalanceAsync(client, customer)).ShouldBe(700);
        var ledger = await client.GetJsonAsync($"/api/v1/points_transactions?customer_id={customer}&type=redeemed");
        ledger["data"].EnumerateArray().Single().GetProperty("points").GetInt64().ShouldBe(-500);
        (await client.GetJsonAsync($"/api/v1/customers/{customer}")).Long("points_spent").ShouldBe(500);
        (await client.GetJsonAsync($"/api/v1/customers/{customer}/redemptions")).Long("total_count").ShouldBe(1);
        (await client.GetJsonAsync($"/api/v1/redemptions?customer_id={customer}"))["data"][0].GetProperty("discount_code").GetString().ShouldBe(code);
        (await client.GetJsonAsync($"/api/v1/vouchers/{code}")).Str("status").ShouldBe("issued");
        (await client.GetJsonAsync("/api/v1/events?type=redemption.created")).Long("total_count").ShouldBe(1);

        var credit = await NewRewardAsync(client, new { name = "Credit", type = "store_credit", value = 2m, points_cost = 100 });
        var c = await RedeemAsync(client, customer, new { reward_id = credit });
        c.Str("apply_mode").ShouldBe("store_credit");
        c["value"].GetDecimal().ShouldBe(2m);
        c.Long("remaining_balance").ShouldBe(600);
    }

    [Theory, DatabaseData]
    public async Task A_points_redemption_writes_its_entry_then_redemption_created_then_reward_redeemed_each_with_its_data(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client, points: 500);
        var reward = await NewRewardAsync(client, new { name = "Mug", type = "custom", points_cost = 200 });

        var redeemed = await RedeemAsync(client, customer, new { reward_id = reward });

        redeemed.Code.ShouldBe(201, redeemed.Raw);
        var feed = (await client.GetJsonAsync("/api/v1/events?limit=3"))["data"].EnumerateArray().Reverse().ToList();
        feed.Select(e => e.GetProperty("type").GetString()).ShouldBe(["points.created", "redemption.created", "reward.redeemed"]);
        feed.Select(e => e.GetProperty("id").GetString()).Distinct().Count().ShouldBe(3);
        foreach (var e in feed.Skip(1))
        {
            var data = e.GetProperty("data");
            data.GetProperty("id").GetString().ShouldBe(redeemed.Str("id"));
            data.GetProperty("discount_code").GetString().ShouldBe(redeemed.Str("discount_code"));
            data.GetProperty("remaining_balance").GetInt64().ShouldBe(300);
            (await client.GetJsonAsync($"/api/v1/events/{e.GetProperty("id").GetString()}")).Str("type").ShouldBe(e.GetProperty("type").GetString());
        }
    }

    [Theory, DatabaseData]
    public async Task Refusals_deduct_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client, points: 100);
        var pricey = await NewRewardAsync(client, new { name = "Big", type = "custom", points_cost = 101 });
        var off = await NewRewardAsync(client, new { name = "Off", type = "custom", points_cost = 1, enabled = false });
        var once = await NewRewardAsync(client, new { name = "Once", type = "custom", points_cost = 10, limit_per_customer = 1 });

        var poor = await RedeemAsync(client, customer, new { reward_id = pricey });
        poor.Code.ShouldBe(422);
        poor.ErrorCode.ShouldBe("insufficient_points");
        poor.ErrorParam.ShouldBe("reward_id", poor.Raw);
        var disabled = await RedeemAsync(client, customer, new { reward_id = off });
        disabled.Code.ShouldBe(422);
        disabled.ErrorCode.ShouldBe("reward_disabled");
        (await RedeemAsync(client, customer, new { reward_id = "rwd_missing" })).Code.ShouldBe(404);
        (await RedeemAsync(client, customer, new { })).ErrorCode.ShouldBe("parameter_missing");
        (await RedeemAsync(client, customer, new { reward_id = once })).Code.ShouldBe(201);
        var again = await RedeemAsync(client, customer, new { reward_id = once });
        again.Code.ShouldBe(422);
        again.ErrorCode.ShouldBe("redemption_limit_reached");
        (await BalanceAsync(client, customer)).ShouldBe(90);

        (await client.PatchJsonAsync($"/api/v1/customers/{customer}", new { status = "blocked" })).Code.ShouldBe(200);
        var blocked = await RedeemAsync(client, customer, new { reward_id = pricey });
        blocked.Code.ShouldBe(403);
        blocked.ErrorCode.ShouldBe("customer_blocked");
        (await BalanceAsync(client, customer)).ShouldBe(90);
        (await client.GetJsonAsync($"/api/v1/customers/{customer}/redemptions")).Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task The_Patron_id_of_an_erased_or_unknown_customer_redeems_nothing_until_it_is_another_customers_reference(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var ada = await NewCustomerAsync(client, points: 100);
        var linus = await NewCustomerAsync(client, points: 50);
        var reward = await NewRewardAsync(client, new { name = "Coffee", type = "custom", points_cost = 10 });
        (await client.DeleteJsonAsync($"/api/v1/customers/{ada}")).Status.ShouldBe(HttpStatusCode.OK);

        var erased = await RedeemAsync(client, ada, new { reward_id = reward });
        var unknown = await RedeemAsync(client, "cus_01JZZZZZZZZZZZZZZZZZZZZZZZ", new { reward_id = reward });

        erased.Code.ShouldBe(404);
        erased.ErrorCode.ShouldBe("resource_missing");
        unknown.Code.ShouldBe(404);
        (await client.GetJsonAsync($"/api/v1/redemptions?reward_id={reward}")).Long("total_count").ShouldBe(0);
        // Once another customer's external id, the erased customer's Patron id is that customer's reference.
        (await client.PatchJsonAsync($"/api/v1/customers/{linus}", new { external_id = ada })).Code.ShouldBe(200);
        var redeemed = await RedeemAsync(client, ada, new { reward_id = reward });
        redeemed.Code.ShouldBe(201, redeemed.Raw);
        redeemed.Str("customer_id").ShouldBe(linus);
        (await BalanceAsync(client, linus)).ShouldBe(40);
    }

    [Theory, DatabaseData]
    public async Task A_hundred_parallel_redemptions_with_points_for_ten_issue_exactly_ten_codes(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await NewCustomerAsync(server.Client, points: 1000);
        var reward = await NewRewardAsync(server.Client, new { name = "R", type = "custom", points_cost = 100 });

        var responses = await ParallelAsync(100, _ => RedeemAsync(server.Client, customer, new { reward_id = reward }));

        responses.Count(r => r.Code == 201).ShouldBe(10);
        responses.Count(r => r.Code == 422 && r.ErrorCode == "insufficient_points").ShouldBe(90);
        responses.Where(r => r.Code == 201).Select(r => r.Str("discount_code")).Distinct().Count().ShouldBe(10);
        responses.Where(r => r.Code == 201).Select(r => r.Long("remaining_balance")).Order()
            .ShouldBe([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
        (await BalanceAsync(server.Client, customer)).ShouldBe(0);
        (await server.Client.GetJsonAsync($"/api/v1/customers/{customer}/redemptions")).Long("total_count").ShouldBe(10);
        (await server.Client.GetJsonAsync($"/api/v1/points_transactions?customer_id={customer}&type=redeemed")).Long("total_count").ShouldBe(10);
    }

    [Theory, DatabaseData]
    public async Task A_hundred_parallel_redemptions_from_a_pool_of_ten_give_ten_distinct_codes_and_charge_only_those(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var reward = await NewRewardAsync(client, new { name = "Pool", type = "amount_discount", value = 10m, points_cost = 50, code_source = "pool" });
        var pool = Enumerable.Range(1, 10).Select(i => $"POOL-{i:D3}").ToArray();
        (await client.PostJsonAsync($"{RewardsPath}/{reward}/voucher_codes", pool)).Long("imported").ShouldBe(10);
        var customers = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            customers.Add(await NewCustomerAsync(client, $"c{i}@example.com", points: 80));
        }

        var responses = await ParallelAsync(100, i => RedeemAsync(client, customers[i], new { reward_id = reward }));

        var won = responses.Where(r => r.Code == 201).ToList();
        won.Count.ShouldBe(10);
        won.Select(r => r.Str("discount_code")).Order().ShouldBe(pool);
        responses.Count(r => r.Code == 409 && r.ErrorCode == "voucher_pool_empty").ShouldBe(90);
        for (var i = 0; i < 100; i++)
        {
            var expected = responses[i].Code == 201 ? 30 : 80;
            (await BalanceAsync(client, customers[i])).ShouldBe(expected);
        }
        (await client.GetJsonAsync("/api/v1/points_transactions?type=redeemed")).Long("total_count").ShouldBe(10);
        var stats = await client.GetJsonAsync($"{RewardsPath}/{reward}/voucher_codes/stats");
        stats.Long("total").ShouldBe(10);
        stats.Long("available").ShouldBe(0);
        stats.Long("issued").ShouldBe(10);
    }

    [Theory, DatabaseData]
    public async Task A_failure_after_the_deduction_leaves_the_balance_untouched(string database)
    {
        // The operation deducts first and claims the code second: an empty pool fails the claim after
        // the ledger entry was written, and the whole operation must roll back.
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client, points: 500);
        var reward = await NewRewardAsync(client, new { name = "Pool", type = "custom", points_cost = 200, code_source = "pool", limit_per_customer = 5 });

        var r = await RedeemAsync(client, customer, new { reward_id = reward });

        r.Code.ShouldBe(409);
        r.ErrorCode.ShouldBe("voucher_pool_empty");
        var after = await client.GetJsonAsync($"/api/v1/customers/{customer}");
        after.Long("points_balance").ShouldBe(500);
        after.Long("points_spent").ShouldBe(0);
        (await client.GetJsonAsync($"/api/v1/customers/{customer}/points_transactions")).Long("total_count").ShouldBe(1);
        (await client.GetJsonAsync("/api/v1/events?type=points.created")).Long("total_count").ShouldBe(1);
        (await client.GetJsonAsync("/api/v1/redemptions")).Long("total_count").ShouldBe(0);

        await client.PostJsonAsync($"{RewardsPath}/{reward}/voucher_codes", new List<string> { "ONLY-ONE" });
        var ok = await RedeemAsync(client, customer, new { reward_id = reward });
        ok.Code.ShouldBe(201, ok.Raw);
        ok.Str("discount_code").ShouldBe("ONLY-ONE");
        ok.Long("remaining_balance").ShouldBe(300);
    }

    [Theory, DatabaseData]
    public async Task Variable_rewards_charge_what_the_customer_chooses_within_bounds(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client, points: 3000);
        var reward = await NewRewardAsync(client, new
        {
            name = "Credit",
            type = "store_credit",
            variable = new { points_per_unit = 100, min_points = 200, max_points = 2000 },
        });

        (await RedeemAsync(client, customer, new { reward_id = reward })).ErrorCode.ShouldBe("parameter_missing");
        (await RedeemAsync(client, customer, new { reward_id = reward, points_to_redeem = 199 })).ErrorCode.ShouldBe("parameter_invalid");
        (await RedeemAsync(client, customer, new { reward_id = reward, points_to_redeem = 2001 })).ErrorCode.ShouldBe("parameter_invalid");
        var r = await RedeemAsync(client, customer, new { reward_id = reward, points_to_redeem = 1250 });

        r.Code.ShouldBe(201, r.Raw);
        r.Long("points_spent").ShouldBe(1250);
        r["value"].GetDecimal().ShouldBe(12.5m);
        r.Str("apply_mode").ShouldBe("store_credit");
        r.Long("remaining_balance").ShouldBe(1750);
        var tooMany = await RedeemAsync(client, customer, new { reward_id = reward, points_to_redeem = 1800 });
        tooMany.ErrorCode.ShouldBe("insufficient_points");
        tooMany.ErrorParam.ShouldBe("points_to_redeem", tooMany.Raw);
        (await BalanceAsync(client, customer)).ShouldBe(1750);
    }

    /// <summary>A customer who spent all 100 of their points on one redemption, and that redemption's id.</summary>
    private static async Task<(string Customer, string Redemption)> CustomerWhoRedeemedEverythingAsync(HttpClient client)
    {
        var customer = await NewCustomerAsync(client, points: 100);
        var reward = await NewRewardAsync(client, new { name = "All of it", type = "custom", points_cost = 100 });
        return (customer, (await RedeemAsync(client, customer, new { reward_id = reward })).Str("id"));
    }

    [Theory, DatabaseData]
    public async Task A_client_cannot_take_the_reference_of_a_cancellation_so_cancelling_always_gives_the_points_back(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var (customer, id) = await CustomerWhoRedeemedEverythingAsync(client);

        var squat = await client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = 1, reference = $"cancel:{id}" });
        var referral = await client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = 1, reference = "referral:cus_1" });
        var cancelled = await client.PostJsonAsync($"/api/v1/redemptions/{id}/cancel");

        squat.Code.ShouldBe(422, squat.Raw);
        squat.ErrorCode.ShouldBe("parameter_invalid");
        squat.ErrorParam.ShouldBe("reference");
        referral.ErrorCode.ShouldBe("parameter_invalid", referral.Raw);
        cancelled.Code.ShouldBe(200, cancelled.Raw);
        (await BalanceAsync(client, customer)).ShouldBe(100);
        var refunds = await client.GetJsonAsync($"/api/v1/points_transactions?customer_id={customer}&type=refunded");
        refunds["data"].EnumerateArray().Select(e => (e.GetProperty("points").GetInt64(), e.GetProperty("reference").GetString()))
            .ShouldBe([(100L, $"cancel:{id}")]);
    }

    [Theory, DatabaseData]
    public async Task A_cancellation_whose_reference_a_client_entry_took_before_it_was_refused_still_gives_the_points_back(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var (customer, id) = await CustomerWhoRedeemedEverythingAsync(client);
        (await client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = 1, reference = "older" })).Code.ShouldBe(201);
        // Data from before such references were refused: the client's entry holds the cancellation's reference.
        var db = server.App.Services.GetRequiredService<Database>();
        await using (var connection = await db.OpenAsync(TestContext.Current.CancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken))
        {
            await new Sql(connection, transaction).ExecuteAsync(
                "UPDATE points_transactions SET reference = @to WHERE customer_id = @c AND reference = 'older'", ("to", $"cancel:{id}"), ("c", customer));
            await transaction.CommitAsync(TestContext.Current.CancellationToken);
        }

        var cancelled = await client.PostJsonAsync($"/api/v1/redemptions/{id}/cancel");

        cancelled.Code.ShouldBe(200, cancelled.Raw);
        (await BalanceAsync(client, customer)).ShouldBe(101);
        var refunds = await client.GetJsonAsync($"/api/v1/points_transactions?customer_id={customer}&type=refunded");
        refunds["data"].EnumerateArray().Select(e => (e.GetProperty("points").GetInt64(), e.GetProperty("reference").ValueKind))
            .ShouldBe([(100L, System.Text.Json.JsonValueKind.Null)]);
    }

    [Theory, DatabaseData]
    public async Task Cancelling_returns_the_points_once_and_only_while_the_code_is_unused(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client, points: 1000);
        var reward = await NewRewardAsync(client, new { name = "R", type = "custom", points_cost = 300, limit_per_customer = 1 });
        var first = await RedeemAsync(client, customer, new { reward_id = reward });
        var id = first.Str("id");

        var cancels = await ParallelAsync(10, _ => client.PostJsonAsync($"/api/v1/redemptions/{id}/cancel"));

        cancels.Count(c => c.Code == 200).ShouldBe(1);
        cancels.Count(c => c.Code == 409 && c.ErrorCode == "redemption_not_cancellable").ShouldBe(9);
        cancels.Single(c => c.Code == 200).Str("status").ShouldBe("cancelled");
        (await BalanceAsync(client, customer)).ShouldBe(1000);
        var refunds = await client.GetJsonAsync($"/api/v1/points_transactions?customer_id={customer}&type=refunded");
        refunds.Long("total_count").ShouldBe(1);
        refunds["data"][0].GetProperty("points").GetInt64().ShouldBe(300);
        (await client.GetJsonAsync($"/api/v1/vouchers/{first.Str("discount_code")}")).Str("status").ShouldBe("cancelled");
        (await client.PostJsonAsync($"/api/v1/vouchers/{first.Str("discount_code")}/use")).ErrorCode.ShouldBe("voucher_cancelled");
        (await client.GetJsonAsync("/api/v1/events?type=redemption.cancelled")).Long("total_count").ShouldBe(1);

        // The cancelled redemption no longer counts against the limit; a used one cannot be cancelled.
        var second = await RedeemAsync(client, customer, new { reward_id = reward });
        second.Code.ShouldBe(201, second.Raw);
        (await client.PostJsonAsync($"/api/v1/vouchers/{second.Str("discount_code")}/use")).Code.ShouldBe(200);
        var late = await client.PostJsonAsync($"/api/v1/redemptions/{second.Str("id")}/cancel");
        late.Code.ShouldBe(409);
        late.ErrorCode.ShouldBe("redemption_not_cancellable");
        (await BalanceAsync(client, customer)).ShouldBe(700);
        (await client.PostJsonAsync("/api/v1/redemptions/red_missing/cancel")).Code.ShouldBe(404);
    }

    [Theory, DatabaseData]
    public async Task Twenty_parallel_uses_of_one_voucher_mark_it_used_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client, points: 100);
        var reward = await NewRewardAsync(client, new { name = "R", type = "free_shipping", points_cost = 100 });
        var code = (await RedeemAsync(client, customer, new { reward_id = reward })).Str("discount_code");

        var uses = await ParallelAsync(20, i => client.PostJsonAsync($"/api/v1/vouchers/{code}/use", new { order_id = $"o-{i}" }));

        uses.Count(u => u.Code == 200).ShouldBe(1);
        uses.Count(u => u.Code == 409 && u.ErrorCode == "voucher_used").ShouldBe(19);
        var winner = uses.Single(u => u.Code == 200);
        winner.Str("status").ShouldBe("used");
        var voucher = await client.GetJsonAsync($"/api/v1/vouchers/{code}");
        voucher.Str("status").ShouldBe("used");
        voucher.Str("order_id").ShouldBe(winner.Str("order_id"));
        (await client.GetJsonAsync("/api/v1/events?type=voucher.used")).Long("total_count").ShouldBe(1);
        (await client.GetJsonAsync("/api/v1/vouchers/NOPE")).Code.ShouldBe(404);
        (await client.GetJsonAsync("/api/v1/redemptions?status=used")).Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Codes_expire_after_expires_in_days(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        var client = server.Client;
        var customer = await NewCustomerAsync(client, points: 100);
        var reward = await NewRewardAsync(client, new { name = "R", type = "custom", points_cost = 10, expires_in_days = 7 });
        var r = await RedeemAsync(client, customer, new { reward_id = reward });
        r["expires_at"].GetDateTimeOffset().ShouldBe(clock.GetUtcNow().AddDays(7));
        var code = r.Str("discount_code");

        clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMilliseconds(1));
        (await client.GetJsonAsync($"/api/v1/vouchers/{code}")).Str("status").ShouldBe("issued");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        (await client.GetJsonAsync($"/api/v1/vouchers/{code}")).Str("status").ShouldBe("expired");
        (await client.GetJsonAsync($"/api/v1/redemptions/{r.Str("id")}")).Str("status").ShouldBe("expired");
        (await client.GetJsonAsync("/api/v1/redemptions?status=expired")).Long("total_count").ShouldBe(1);
        var use = await client.PostJsonAsync($"/api/v1/vouchers/{code}/use");
        use.Code.ShouldBe(409);
        use.ErrorCode.ShouldBe("voucher_expired");
        (await client.GetJsonAsync($"/api/v1/vouchers/{code}")).Str("status").ShouldBe("expired");
    }

    [Theory, DatabaseData]
    public async Task An_orders_discount_codes_mark_the_voucher_used(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client, points: 100);
        var reward = await NewRewardAsync(client, new { name = "R", type = "amount_discount", value = 5m, points_cost = 50 });
        var code = (await RedeemAsync(client, customer, new { reward_id = reward })).Str("discount_code");

        var order = await client.PostJsonAsync("/api/v1/orders", new
        {
            id = "order-1",
            customer_id = customer,
            total = 40.00m,
            status = "placed",
            discount_codes = new[] { "SUMMER", code },
        });

        order.Code.ShouldBe(201, order.Raw);
        var voucher = await client.GetJsonAsync($"/api/v1/vouchers/{code}");
        voucher.Str("status").ShouldBe("used");
        voucher.Str("order_id").ShouldBe("order-1");
        (await client.PostJsonAsync($"/api/v1/vouchers/{code}/use")).ErrorCode.ShouldBe("voucher_used");
        // Paying the order later does not use the code a second time.
        (await client.PostJsonAsync("/api/v1/orders/order-1/paid")).Code.ShouldBe(200);
        (await client.GetJsonAsync("/api/v1/events?type=voucher.used")).Long("total_count").ShouldBe(1);
    }
}
