using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Dialects;

/// <summary>
/// The LoyaltyLion dialect (docs/migrate/loyaltylion.md) over HTTP on both databases: its requests and
/// shapes, its keys and errors, tenancy, retries, and that it is the core underneath (the same points
/// as the native API for the same order history, the same data and events in /api/v1).
/// </summary>
public sealed partial class LoyaltyLionTests
{
    private const string Base = "/compat/loyaltylion/v2";

    /// <summary>A client of the server's program speaking LoyaltyLion's Basic token:secret with a new key.</summary>
    private static async Task<HttpClient> BasicClientAsync(PatronServer server, Scope scope = Scope.Write, string? programId = null)
    {
        var key = (await Admin.CreateKeyAsync(server.WritePath, programId ?? server.ProgramId, scope))!.Value;
        var client = server.ClientWithKey(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{key.Key.Id}:{key.Secret}")));
        return client;
    }

    private static object NewOrder(string merchantId, string customerId, string total = "120.00", string payment = "not_paid") => new
    {
        merchant_id = merchantId,
        customer_id = customerId,
        customer_email = $"{customerId}@example.com",
        number = merchantId,
        total,
        total_shipping = "5.00",
        total_tax = "20.00",
        total_discounts = "0.00",
        payment_status = payment,
        refund_status = "not_refunded",
        cancellation_status = "not_cancelled",
        discount_codes = Array.Empty<object>(),
    };

    private static Task<ApiResponse> PutJsonAsync(HttpClient client, string path, object body) =>
        client.SendRawAsync(HttpMethod.Put, path, JsonSerializer.Serialize(body));

    /// <summary>The error is LoyaltyLion's shape and nothing else: error.message, error.details.code.</summary>
    private static void ShouldBeLoyaltyLionError(ApiResponse response, int status, string code)
    {
        response.Code.ShouldBe(status, response.Raw);
        response.Body.EnumerateObject().Select(p => p.Name).ShouldBe(["error"]);
        var error = response["error"];
        error.GetProperty("message").GetString().ShouldNotBeNullOrWhiteSpace();
        error.GetProperty("details").GetProperty("code").GetString().ShouldBe(code, response.Raw);
    }

    // ---- Claimed rewards ----

    [Theory, DatabaseData]
    public async Task A_claimed_reward_spends_the_points_in_LoyaltyLion_s_shape_and_a_refund_gives_them_back(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        var created = await server.Client.PostJsonAsync(CustomersPath, new { external_id = "c-77", email = UniqueEmail(), initial_points = 1000 });
        created.Code.ShouldBe(201, created.Raw);
        var reward = await Patron.Tests.Rewards.RewardsTestKit.NewRewardAsync(server.Client,
            new { name = "$5 off", type = "amount_discount", value = 5, points_cost = 300 });

        var claimed = await ll.PostJsonAsync($"{Base}/customers/c-77/claimed_rewards", new { reward_id = reward });

        claimed.Code.ShouldBe(201, claimed.Raw);
        var c = claimed["claimed_reward"];
        c.GetProperty("id").GetString()!.ShouldStartWith("red_");
        c.GetProperty("point_cost").GetInt64().ShouldBe(300);
        c.GetProperty("claimed_at").ValueKind.ShouldBe(JsonValueKind.String);
        c.GetProperty("redeemable").GetProperty("redeemable_type").GetString().ShouldBe("voucher");
        c.GetProperty("redeemable").GetProperty("code").GetString().ShouldNotBeNullOrEmpty();
        c.GetProperty("redeemable").GetProperty("fulfilled").GetBoolean().ShouldBeFalse();
        c.GetProperty("reward").GetProperty("id").GetString().ShouldBe(reward);
        c.GetProperty("reward").GetProperty("title").GetString().ShouldBe("$5 off");
        c.GetProperty("reward").GetProperty("discount_type").GetString().ShouldBe("flat");
        c.GetProperty("reward").GetProperty("discount_amount").GetDecimal().ShouldBe(5m);
        (await BalanceAsync(server.Client, "c-77")).ShouldBe(700);
        var native = await server.Client.GetJsonAsync($"/api/v1/redemptions/{c.GetProperty("id").GetString()}");
        native.Code.ShouldBe(200, native.Raw);
        native.Str("discount_code").ShouldBe(c.GetProperty("redeemable").GetProperty("code").GetString());

        var refunded = await ll.PostJsonAsync($"{Base}/customers/c-77/claimed_rewards/{c.GetProperty("id").GetString()}/refund");

        refunded.Code.ShouldBe(200, refunded.Raw);
        refunded["claimed_reward"].GetProperty("redeemable").GetProperty("refunded").GetBoolean().ShouldBeTrue();
        (await BalanceAsync(server.Client, "c-77")).ShouldBe(1000);
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/customers/nobody/claimed_rewards", new { reward_id = reward }), 404, "resource_missing");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/customers/c-77/claimed_rewards", new { }), 422, "parameter_missing");
    }

    [Theory, DatabaseData]
    public async Task A_claim_the_balance_cannot_pay_names_the_field_that_set_its_price(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        (await server.Client.PostJsonAsync(CustomersPath, new { external_id = "c-poor", email = UniqueEmail(), initial_points = 250 })).Code.ShouldBe(201);
        var fixedPrice = await Patron.Tests.Rewards.RewardsTestKit.NewRewardAsync(server.Client,
            new { name = "Tote", type = "custom", points_cost = 300 });
        var credit = await Patron.Tests.Rewards.RewardsTestKit.NewRewardAsync(server.Client,
            new { name = "Credit", type = "store_credit", variable = new { points_per_unit = 100, min_points = 100, max_points = 1000 } });

        var tote = await ll.PostJsonAsync($"{Base}/customers/c-poor/claimed_rewards", new { reward_id = fixedPrice });
        var threeUnits = await ll.PostJsonAsync($"{Base}/customers/c-poor/claimed_rewards", new { reward_id = credit, multiplier = 3 });

        ShouldBeLoyaltyLionError(tote, 422, "insufficient_points");
        tote["error"].GetProperty("details").GetProperty("param").GetString().ShouldBe("reward_id", tote.Raw);
        ShouldBeLoyaltyLionError(threeUnits, 422, "insufficient_points");
        threeUnits["error"].GetProperty("details").GetProperty("param").GetString().ShouldBe("multiplier", threeUnits.Raw);
        threeUnits["error"].GetProperty("message").GetString()!.ShouldNotContain("points_to_redeem");
        (await ll.PostJsonAsync($"{Base}/customers/c-poor/claimed_rewards", new { reward_id = credit, multiplier = 2 })).Code.ShouldBe(201);
        (await BalanceAsync(server.Client, "c-poor")).ShouldBe(50);
    }

    [Theory, DatabaseData]
    public async Task A_NUL_character_in_a_customer_id_is_refused_with_parameter_invalid(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);

        var order = await ll.PostJsonAsync($"{Base}/orders", new { merchant_id = "nul-1", customer_id = "x\u0000y", total = "10.00", payment_status = "paid" });
        var activity = await ll.PostJsonAsync($"{Base}/activities", new { name = "$signup", customer_id = "x\u0000y" });

        ShouldBeLoyaltyLionError(order, 422, "parameter_invalid");
        ShouldBeLoyaltyLionError(activity, 422, "parameter_invalid");
        (await server.Client.GetJsonAsync("/api/v1/customers")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task An_order_that_arrives_paid_refunded_and_cancelled_is_recorded_first_time_or_as_an_update(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        var backfill = new Dictionary<string, object?>
        {
            ["merchant_id"] = "BF-1",
            ["customer_id"] = "bf-1",
            ["customer_email"] = "bf-1@example.com",
            ["number"] = "BF-1",
            ["total"] = "50.00",
            ["total_shipping"] = "0.00",
            ["total_tax"] = "0.00",
            ["total_discounts"] = "0.00",
            ["payment_status"] = "paid",
            ["refund_status"] = "refunded",
            ["cancellation_status"] = "cancelled",
            ["total_refunded"] = "50.00",
        };
        (await ll.PostJsonAsync($"{Base}/orders", NewOrder("BF-2", "bf-1", "80.00"))).Code.ShouldBe(201);

        var created = await ll.PostJsonAsync($"{Base}/orders", backfill);
        var updated = await PutJsonAsync(ll, $"{Base}/orders/BF-2", new Dictionary<string, object?>
        {
            ["payment_status"] = "paid",
            ["refund_status"] = "partially_refunded",
            ["cancellation_status"] = "cancelled",
            ["total_refunded"] = "25.00",
            ["total"] = "80.00",
        });

        created.Code.ShouldBe(201, created.Raw);
        updated.Code.ShouldBe(204, updated.Raw);
        (await ll.GetJsonAsync($"{Base}/orders/BF-1")).Str("total_refunded").ShouldBe("50.00");
        (await ll.GetJsonAsync($"{Base}/orders/BF-2")).Str("total_refunded").ShouldBe("25.00");
        (await BalanceAsync(server.Client, "bf-1")).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task An_activity_whose_merchant_id_starts_as_Patrons_own_references_is_refused_naming_merchant_id(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);

        var signup = await ll.PostJsonAsync($"{Base}/activities", new { name = "$signup", customer_id = "rf-1", customer_email = "rf-1@example.com", merchant_id = "referral:friend-7" });

        ShouldBeLoyaltyLionError(signup, 422, "parameter_invalid");
        signup["error"].GetProperty("details").GetProperty("param").GetString().ShouldBe("merchant_id", signup.Raw);
        (await server.Client.GetJsonAsync("/api/v1/customers")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_lone_surrogate_anywhere_in_a_body_is_refused_with_parameter_invalid_and_writes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        (await server.Client.PostJsonAsync(CustomersPath, new { external_id = "1001", email = UniqueEmail() })).Code.ShouldBe(201);

        var answers = new[]
        {
            await ll.SendRawAsync(HttpMethod.Post, $"{Base}/orders", """{"merchant_id":"s-1","customer_id":"\ud800","total":"10.00","payment_status":"paid"}"""),
            await ll.SendRawAsync(HttpMethod.Post, $"{Base}/orders", """{"merchant_id":"s-2","customer_id":"1001","total":"\ud800","payment_status":"paid"}"""),
            await ll.SendRawAsync(HttpMethod.Post, $"{Base}/orders", """{"merchant_id":"s-3","customer_id":"1001","total":"10.00","discount_codes":["\udfff"]}"""),
            await ll.SendRawAsync(HttpMethod.Post, $"{Base}/activities", """{"name":"review","customer_id":"1001","merchant_id":"x","properties":{"a":"\ud800"}}"""),
        };

        foreach (var answer in answers)
        {
            ShouldBeLoyaltyLionError(answer, 422, "parameter_invalid");
        }
        (await server.Client.GetJsonAsync("/api/v1/orders")).Long("total_count").ShouldBe(0);
        (await server.Client.GetJsonAsync("/api/v1/activities")).Code.ShouldBe(200);
        (await BalanceAsync(server.Client, "1001")).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Thirty_parallel_claims_on_one_balance_never_spend_more_than_it_holds(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        (await server.Client.PostJsonAsync(CustomersPath, new { external_id = "c-30", email = UniqueEmail(), initial_points = 1000 })).Code.ShouldBe(201);
        var reward = await Patron.Tests.Rewards.RewardsTestKit.NewRewardAsync(server.Client,
            new { name = "Coffee", type = "custom", points_cost = 70 });

        var answers = await ParallelAsync(30, _ => ll.PostJsonAsync($"{Base}/customers/c-30/claimed_rewards", new { reward_id = reward }));

        answers.Count(a => a.Code == 201).ShouldBe(14);
        foreach (var refused in answers.Where(a => a.Code != 201))
        {
            ShouldBeLoyaltyLionError(refused, 422, "insufficient_points");
        }
        (await BalanceAsync(server.Client, "c-30")).ShouldBe(1000 - (14 * 70));
        (await LedgerAsync(server.Client, "c-30")).Sum(e => e.Points).ShouldBe(1000 - (14 * 70));
    }

    // ---- Orders ----

    [Theory, DatabaseData]
    public async Task An_order_is_created_paid_refunded_and_read_back_in_LoyaltyLion_s_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);

        var created = await ll.PostJsonAsync($"{Base}/orders", NewOrder("5001", "1001"));
        created.Code.ShouldBe(201, created.Raw);
        created.Raw.ShouldBeEmpty();

        var placed = await ll.GetJsonAsync($"{Base}/orders/5001");
        placed.Code.ShouldBe(200, placed.Raw);
        placed.Str("id").ShouldBe("5001");
        placed.Str("merchant_id").ShouldBe("5001");
        placed.Str("total").ShouldBe("120.00");
        placed.Str("total_paid").ShouldBe("0.00");
        placed.Str("total_refunded").ShouldBe("0.00");
        placed.Str("payment_status").ShouldBe("not_paid");
        placed.Str("refund_status").ShouldBe("not_refunded");
        placed.Str("cancellation_status").ShouldBe("not_cancelled");
        placed["discount_codes"].GetArrayLength().ShouldBe(0);
        placed["customer"].GetProperty("merchant_id").GetString().ShouldBe("1001");
        placed["customer"].GetProperty("email").GetString().ShouldBe("1001@example.com");
        placed["customer"].GetProperty("id").GetString()!.ShouldStartWith("cus_");
        placed.Long("points_approved").ShouldBe(0);
        // Pending from the moment it is placed until it is paid, as the native customer shows them.
        placed.Long("points_pending").ShouldBe(120);
        (await server.Client.GetJsonAsync($"/api/v1/customers/{placed["customer"].GetProperty("id").GetString()}")).Long("pending_points").ShouldBe(120);
        placed["created_at"].ValueKind.ShouldBe(JsonValueKind.String);
        placed["updated_at"].ValueKind.ShouldBe(JsonValueKind.String);

        var paid = await ll.PostJsonAsync($"{Base}/orders/5001/paid", new { total_paid = "120.00" });
        paid.Code.ShouldBe(204, paid.Raw);
        var afterPaid = await ll.GetJsonAsync($"{Base}/orders/5001");
        afterPaid.Str("payment_status").ShouldBe("paid");
        afterPaid.Str("total_paid").ShouldBe("120.00");
        afterPaid.Long("points_approved").ShouldBe(120);

        var refund = await ll.PostJsonAsync($"{Base}/orders/5001/refund", new { total_refunded = "30.00" });
        refund.Code.ShouldBe(204, refund.Raw);
        // total_refunded is cumulative: the same total again takes nothing more back.
        (await ll.PostJsonAsync($"{Base}/orders/5001/refund", new { total_refunded = "30.00" })).Code.ShouldBe(204);
        var refunded = await ll.GetJsonAsync($"{Base}/orders/5001");
        refunded.Str("refund_status").ShouldBe("partially_refunded");
        refunded.Str("total_refunded").ShouldBe("30.00");
        refunded.Long("points_approved").ShouldBe(90);

        var full = await PutJsonAsync(ll, $"{Base}/orders/5001", new
        {
            payment_status = "paid",
            refund_status = "refunded",
            cancellation_status = "not_cancelled",
            total_paid = "120.00",
        });
        full.Code.ShouldBe(204, full.Raw);
        var all = await ll.GetJsonAsync($"{Base}/orders/5001");
        all.Str("refund_status").ShouldBe("refunded");
        all.Str("total_refunded").ShouldBe("120.00");
        all.Long("points_approved").ShouldBe(0);

        (await ll.PostJsonAsync($"{Base}/orders", NewOrder("5002", "1001", "10.00"))).Code.ShouldBe(201);
        (await ll.PostJsonAsync($"{Base}/orders/5002/cancel")).Code.ShouldBe(204);
        (await ll.GetJsonAsync($"{Base}/orders/5002")).Str("cancellation_status").ShouldBe("cancelled");

        var list = await ll.GetJsonAsync($"{Base}/orders?limit=1");
        list.Code.ShouldBe(200, list.Raw);
        list["orders"].GetArrayLength().ShouldBe(1);
        list["orders"][0].GetProperty("merchant_id").GetString().ShouldBe("5002");
        var next = list["cursor"].GetProperty("next").GetString();
        next.ShouldBe("5002");
        list["cursor"].GetProperty("prev").ValueKind.ShouldBe(JsonValueKind.Null);
        var second = await ll.GetJsonAsync($"{Base}/orders?limit=1&cursor={next}");
        second["orders"][0].GetProperty("merchant_id").GetString().ShouldBe("5001");
        second["cursor"].GetProperty("next").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory, DatabaseData]
    public async Task An_order_placed_paid_partly_refunded_and_cancelled_leaves_the_points_the_native_API_leaves(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        var native = server.Client;
        var nativeCustomer = await NewCustomerAsync(native);

        async Task Same(string step)
        {
            var viaDialect = await CustomerAsync(native, "ll-7");
            var viaNative = await CustomerAsync(native, nativeCustomer);
            foreach (var field in new[] { "points_balance", "pending_points", "lifetime_points", "points_spent" })
            {
                viaDialect.Long(field).ShouldBe(viaNative.Long(field), $"{field} after {step}");
            }
            viaDialect["total_spent"].GetDecimal().ShouldBe(viaNative["total_spent"].GetDecimal(), $"total_spent after {step}");
            var dialectOrder = await native.GetJsonAsync("/api/v1/orders/LL-1");
            var nativeOrder = await native.GetJsonAsync("/api/v1/orders/N-1");
            foreach (var field in new[] { "points_earned", "points_credited", "points_pending" })
            {
                dialectOrder.Long(field).ShouldBe(nativeOrder.Long(field), $"order {field} after {step}");
            }
            dialectOrder.Str("status").ShouldBe(nativeOrder.Str("status"), step);
        }

        (await ll.PostJsonAsync($"{Base}/orders", NewOrder("LL-1", "ll-7", "80.00"))).Code.ShouldBe(201);
        (await OkAsync(native.PostJsonAsync("/api/v1/orders", new { id = "N-1", customer_id = nativeCustomer, total = 80m }))).Code.ShouldBe(201);
        await Same("placed");

        (await ll.PostJsonAsync($"{Base}/orders/LL-1/paid")).Code.ShouldBe(204);
        await OkAsync(native.PostJsonAsync("/api/v1/orders/N-1/paid"));
        await Same("paid");
        (await CustomerAsync(native, "ll-7")).Long("points_balance").ShouldBe(80);

        (await ll.PostJsonAsync($"{Base}/orders/LL-1/refund", new { total_refunded = "25.00" })).Code.ShouldBe(204);
        await OkAsync(native.PostJsonAsync("/api/v1/orders/N-1/refunds", new { amount = 25m }));
        await Same("partly refunded");
        (await CustomerAsync(native, "ll-7")).Long("points_balance").ShouldBe(55);

        (await ll.PostJsonAsync($"{Base}/orders/LL-1/cancel")).Code.ShouldBe(204);
        await OkAsync(native.PostJsonAsync("/api/v1/orders/N-1/cancel"));
        await Same("cancelled");

        // The same history sent as LoyaltyLion full updates (PUT) ends in the same place.
        (await ll.PostJsonAsync($"{Base}/orders", NewOrder("LL-2", "ll-8", "80.00"))).Code.ShouldBe(201);
        foreach (var state in new object[]
        {
            new { payment_status = "paid", refund_status = "not_refunded", cancellation_status = "not_cancelled", total_paid = "80.00" },
            new { payment_status = "paid", refund_status = "partially_refunded", cancellation_status = "not_cancelled", total_paid = "80.00", total_refunded = "25.00" },
            new { payment_status = "paid", refund_status = "partially_refunded", cancellation_status = "cancelled", total_paid = "80.00", total_refunded = "25.00" },
        })
        {
            (await PutJsonAsync(ll, $"{Base}/orders/LL-2", state)).Code.ShouldBe(204);
        }
        var viaPut = await CustomerAsync(native, "ll-8");
        var nativeEnd = await CustomerAsync(native, nativeCustomer);
        viaPut.Long("points_balance").ShouldBe(nativeEnd.Long("points_balance"));
        viaPut.Long("lifetime_points").ShouldBe(nativeEnd.Long("lifetime_points"));
    }

    [Theory, DatabaseData]
    public async Task With_a_points_delay_a_paid_order_s_points_are_pending_for_the_customer_as_natively(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        (await SetProgramAsync(server.Client, new { points_delay_days = 14 })).Code.ShouldBe(200);

        (await ll.PostJsonAsync($"{Base}/orders", NewOrder("D-1", "d-1", "60.00", "paid"))).Code.ShouldBe(201);

        var order = await ll.GetJsonAsync($"{Base}/orders/D-1");
        order.Long("points_pending").ShouldBe(60);
        order.Long("points_approved").ShouldBe(0);
        var customer = await ll.GetJsonAsync($"{Base}/customers/d-1");
        customer.Long("points_pending").ShouldBe(60);
        customer.Long("points_approved").ShouldBe(0);
        (await CustomerAsync(server.Client, "d-1")).Long("pending_points").ShouldBe(60);
    }

    [Theory, DatabaseData]
    public async Task A_retried_order_create_with_the_same_merchant_id_credits_once_sequentially_and_in_twenty_parallel_retries(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);

        for (var i = 0; i < 3; i++)
        {
            (await ll.PostJsonAsync($"{Base}/orders", NewOrder("R-1", "c-seq", "50.00", "paid"))).Code.ShouldBe(201);
        }
        (await CustomerAsync(server.Client, "c-seq")).Long("points_balance").ShouldBe(50);

        var answers = await ParallelAsync(20, _ => ll.PostJsonAsync($"{Base}/orders", NewOrder("R-2", "c-par", "70.00", "paid")));

        answers.Where(a => a.Code != 201).Select(a => $"{a.Code} {a.Raw}").ShouldBeEmpty();
        var customer = await CustomerAsync(server.Client, "c-par");
        customer.Long("points_balance").ShouldBe(70);
        (await server.Client.GetJsonAsync($"/api/v1/points_transactions?customer_id={customer.Str("id")}")).Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync("/api/v1/customers?external_id=c-par")).Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync("/api/v1/orders?customer_id=c-par")).Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task A_discount_code_of_an_issued_voucher_is_marked_used_and_an_unknown_code_is_ignored(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        var native = server.Client;
        var reward = await native.PostJsonAsync("/api/v1/rewards", new { name = "5 off", type = "amount_discount", value = 5m, points_cost = 50 });
        reward.Code.ShouldBe(201, reward.Raw);
        await native.PostJsonAsync("/api/v1/customers", new { external_id = "v-1", email = "v1@example.com", initial_points = 100 });
        var code = (await OkAsync(native.PostJsonAsync("/api/v1/customers/v-1/redemptions", new { reward_id = reward.Str("id") }))).Str("discount_code");

        var order = NewOrder("V-1", "v-1", "40.00") as object;
        var body = JsonSerializer.SerializeToNode(order)!.AsObject();
        body["customer_email"] = "v1@example.com";
        body["discount_codes"] = new System.Text.Json.Nodes.JsonArray(
            new System.Text.Json.Nodes.JsonObject { ["code"] = code, ["amount"] = "5.00" },
            new System.Text.Json.Nodes.JsonObject { ["code"] = "NOT-OURS", ["amount"] = "3.00" });
        var created = await ll.PostJsonAsync($"{Base}/orders", body.ToJsonString());
        created.Code.ShouldBe(201, created.Raw);

        var voucher = await native.GetJsonAsync($"/api/v1/vouchers/{code}");
        voucher.Str("status").ShouldBe("used");
        voucher.Str("order_id").ShouldBe("V-1");
        (await native.GetJsonAsync("/api/v1/events?type=voucher.used")).Long("total_count").ShouldBe(1);
        var shown = await ll.GetJsonAsync($"{Base}/orders/V-1");
        shown["discount_codes"].EnumerateArray().Select(c => c.GetProperty("code").GetString()).ShouldBe([code, "NOT-OURS"]);
    }

    // ---- Activities ----

    [Theory, DatabaseData]
    public async Task A_signup_for_an_unknown_customer_creates_them_and_earns_the_signup_rule_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        var native = server.Client;
        (await native.PostJsonAsync("/api/v1/earn_rules", new { type = "signup", points = 50, limit_period = "once" })).Code.ShouldBe(201);

        var signup = await ll.PostJsonAsync($"{Base}/activities", new
        {
            name = "$signup",
            customer_id = 2001,
            customer_email = "Ada@Example.com",
            date = "2025-01-01T12:00:00Z",
            properties = new { source = "web" },
        });

        signup.Code.ShouldBe(201, signup.Raw);
        signup.Raw.ShouldBeEmpty();
        var customer = await CustomerAsync(native, "2001");
        customer.Str("external_id").ShouldBe("2001");
        customer.Str("email").ShouldBe("ada@example.com");
        customer.Long("points_balance").ShouldBe(50);
        (await native.GetJsonAsync("/api/v1/events?type=customer.created")).Long("total_count").ShouldBe(1);

        // Sent again, with or without an id: accepted, nothing more earned, no second customer.
        (await ll.PostJsonAsync($"{Base}/activities", new { name = "$signup", customer_id = "2001", customer_email = "ada@example.com" })).Code.ShouldBe(201);
        (await CustomerAsync(native, "2001")).Long("points_balance").ShouldBe(50);
        (await native.GetJsonAsync("/api/v1/customers?email=ada@example.com")).Long("total_count").ShouldBe(1);

        var got = await ll.GetJsonAsync($"{Base}/customers/2001");
        got.Long("points_approved").ShouldBe(50);

        // Twenty parallel sign-ups of one new customer: one customer, one signup credit.
        var answers = await ParallelAsync(20, _ => ll.PostJsonAsync($"{Base}/activities",
            new { name = "$signup", customer_id = "2002", customer_email = "grace@example.com" }));
        answers.Where(a => a.Code != 201).Select(a => $"{a.Code} {a.Raw}").ShouldBeEmpty();
        (await CustomerAsync(native, "2002")).Long("points_balance").ShouldBe(50);
        (await native.GetJsonAsync("/api/v1/customers?external_id=2002")).Long("total_count").ShouldBe(1);
        (await native.GetJsonAsync("/api/v1/events?type=customer.created")).Long("total_count").ShouldBe(2);
    }

    [Theory, DatabaseData]
    public async Task A_custom_activity_earns_its_rule_once_per_merchant_id_and_names_no_unknown_customer(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        var native = server.Client;
        (await native.PostJsonAsync("/api/v1/earn_rules", new { name = "Newsletter", type = "newsletter_signup", points = 40 })).Code.ShouldBe(201);
        (await native.PostJsonAsync("/api/v1/customers", new { external_id = "a-1", email = "a1@example.com" })).Code.ShouldBe(201);

        var answers = await ParallelAsync(20, _ => ll.PostJsonAsync($"{Base}/activities",
            new { name = "newsletter_signup", customer_id = "a-1", merchant_id = "nl-1", properties = new { list = "weekly" } }));

        answers.Where(a => a.Code != 201).Select(a => $"{a.Code} {a.Raw}").ShouldBeEmpty();
        (await CustomerAsync(native, "a-1")).Long("points_balance").ShouldBe(40);
        var activities = await native.GetJsonAsync("/api/v1/activities?customer_id=a-1");
        activities.Long("total_count").ShouldBe(1);
        activities["data"][0].GetProperty("reference").GetString().ShouldBe("nl-1");
        activities["data"][0].GetProperty("properties").GetProperty("list").GetString().ShouldBe("weekly");

        (await ll.PostJsonAsync($"{Base}/activities", new { name = "newsletter_signup", customer_id = "a-1", merchant_id = "nl-2" })).Code.ShouldBe(201);
        (await CustomerAsync(native, "a-1")).Long("points_balance").ShouldBe(80);

        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/activities", new { name = "newsletter_signup", customer_id = "nobody" }), 404, "resource_missing");
        (await native.GetJsonAsync("/api/v1/customers?external_id=nobody")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_signup_with_a_referral_id_links_the_referrer_and_the_first_paid_order_completes_it(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        var native = server.Client;
        (await native.PostJsonAsync("/api/v1/customers", new { external_id = "ref-1", email = "ref1@example.com" })).Code.ShouldBe(201);
        var code = (await ll.GetJsonAsync($"{Base}/customers/ref-1")).Str("referral_id");

        (await ll.PostJsonAsync($"{Base}/activities", new { name = "$signup", customer_id = "new-1", customer_email = "new1@example.com", referral_id = code })).Code.ShouldBe(201);
        var referrer = (await CustomerAsync(native, "ref-1")).Str("id");
        var pending = await native.GetJsonAsync($"/api/v1/referrals?referrer_id={referrer}");
        pending.Long("total_count").ShouldBe(1);
        pending["data"][0].GetProperty("status").GetString().ShouldBe("pending");

        (await ll.PostJsonAsync($"{Base}/orders", NewOrder("F-1", "new-1", "60.00", "paid"))).Code.ShouldBe(201);
        var completed = await native.GetJsonAsync($"/api/v1/referrals?referrer_id={referrer}");
        completed["data"][0].GetProperty("status").GetString().ShouldBe("completed");
    }

    // ---- Customers and voucher codes ----

    [Theory, DatabaseData]
    public async Task Customers_are_listed_and_read_by_the_merchant_s_id_in_LoyaltyLion_s_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        var native = server.Client;
        for (var i = 1; i <= 3; i++)
        {
            (await native.PostJsonAsync("/api/v1/customers", new { external_id = $"m-{i}", email = $"m{i}@example.com", first_name = "Ada", initial_points = i * 10 })).Code.ShouldBe(201);
        }
        (await SpendAsync(native, "m-2", 5)).Code.ShouldBe(201);

        var one = await ll.GetJsonAsync($"{Base}/customers/m-2");
        one.Code.ShouldBe(200, one.Raw);
        one.Str("id").ShouldStartWith("cus_");
        one.Str("merchant_id").ShouldBe("m-2");
        one.Str("email").ShouldBe("m2@example.com");
        one.Long("points_approved").ShouldBe(15);
        one.Long("points_pending").ShouldBe(0);
        one.Long("points_spent").ShouldBe(5);
        one["properties"].GetProperty("first_name").GetString().ShouldBe("Ada");
        one["blocked"].GetBoolean().ShouldBeFalse();
        one["guest"].GetBoolean().ShouldBeFalse();
        one["enrolled"].GetBoolean().ShouldBeTrue();
        one["enrolled_at"].ValueKind.ShouldBe(JsonValueKind.String);
        one.Str("referral_id").Length.ShouldBeGreaterThan(0);
        one["loyalty_tier_membership"].ValueKind.ShouldBe(JsonValueKind.Null);
        one["created_at"].ValueKind.ShouldBe(JsonValueKind.String);

        var page1 = await ll.GetJsonAsync($"{Base}/customers?limit=2");
        page1["customers"].EnumerateArray().Select(c => c.GetProperty("merchant_id").GetString()).ShouldBe(["m-1", "m-2"]);
        var next = page1["cursor"].GetProperty("next").GetString()!;
        var page2 = await ll.GetJsonAsync($"{Base}/customers?limit=2&cursor={next}");
        page2["customers"].EnumerateArray().Select(c => c.GetProperty("merchant_id").GetString()).ShouldBe(["m-3"]);
        page2["cursor"].GetProperty("next").ValueKind.ShouldBe(JsonValueKind.Null);

        (await ll.GetJsonAsync($"{Base}/customers?email=M3@example.com"))["customers"].GetArrayLength().ShouldBe(1);
        (await ll.GetJsonAsync($"{Base}/customers?merchant_id=m-1"))["customers"][0].GetProperty("email").GetString().ShouldBe("m1@example.com");
        ShouldBeLoyaltyLionError(await ll.GetJsonAsync($"{Base}/customers?limit=501"), 422, "parameter_invalid");
        // The merchant's id only: Patron's own id or an email does not name a customer here.
        ShouldBeLoyaltyLionError(await ll.GetJsonAsync($"{Base}/customers/m2@example.com"), 404, "resource_missing");
    }

    [Theory, DatabaseData]
    public async Task Voucher_codes_are_imported_into_a_reward_with_an_admin_key(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var native = server.Client;
        var reward = (await OkAsync(native.PostJsonAsync("/api/v1/rewards",
            new { name = "5 off", type = "amount_discount", value = 5m, points_cost = 50, code_source = "pool" }))).Str("id");
        var admin = await BasicClientAsync(server, Scope.Admin);
        var write = await BasicClientAsync(server);

        var imported = await admin.PostJsonAsync($"{Base}/rewards/{reward}/voucher_codes", """{"codes": ["LL-A", "LL-B", "LL-A"]}""");

        imported.Code.ShouldBe(201, imported.Raw);
        imported.Str("reward_id").ShouldBe(reward);
        imported.Long("received").ShouldBe(3);
        imported.Long("imported").ShouldBe(2);
        imported.Long("duplicate_count").ShouldBe(1);
        (await native.GetJsonAsync($"/api/v1/rewards/{reward}/voucher_codes/stats")).Long("available").ShouldBe(2);
        ShouldBeLoyaltyLionError(await write.PostJsonAsync($"{Base}/rewards/{reward}/voucher_codes", """{"codes": ["LL-C"]}"""), 403, "insufficient_scope");
        ShouldBeLoyaltyLionError(await admin.PostJsonAsync($"{Base}/rewards/{reward}/voucher_codes", new { codes = "LL-C" }), 422, "parameter_invalid");
        ShouldBeLoyaltyLionError(await admin.PostJsonAsync($"{Base}/rewards/rwd_missing/voucher_codes", """{"codes": ["LL-D"]}"""), 404, "resource_missing");
    }

    // ---- Keys, errors, tenancy ----

    [Theory, DatabaseData]
    public async Task Basic_token_secret_and_Bearer_keys_authenticate_and_every_failure_is_LoyaltyLion_s_error_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var key = (await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Write))!.Value;
        (await server.Client.PostJsonAsync("/api/v1/customers", new { external_id = "k-1", email = "k1@example.com" })).Code.ShouldBe(201);

        var bearer = server.ClientWithKey(key.Secret);
        (await bearer.GetJsonAsync($"{Base}/customers/k-1")).Code.ShouldBe(200);
        var basic = await BasicClientAsync(server);
        (await basic.GetJsonAsync($"{Base}/customers/k-1")).Code.ShouldBe(200);
        // The Basic user name is not checked: only the secret names the key.
        var anyName = server.ClientWithKey(null);
        anyName.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"old-token:{key.Secret}")));
        (await anyName.GetJsonAsync($"{Base}/customers/k-1")).Code.ShouldBe(200);

        ShouldBeLoyaltyLionError(await server.ClientWithKey(null).GetJsonAsync($"{Base}/customers/k-1"), 401, "missing_api_key");
        ShouldBeLoyaltyLionError(await server.ClientWithKey("sk_wrong").GetJsonAsync($"{Base}/customers/k-1"), 401, "invalid_api_key");
        var notBase64 = server.ClientWithKey(null);
        notBase64.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic %%%not-base64");
        ShouldBeLoyaltyLionError(await notBase64.GetJsonAsync($"{Base}/customers/k-1"), 401, "invalid_api_key");
        var noColon = server.ClientWithKey(null);
        noColon.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key.Secret)));
        ShouldBeLoyaltyLionError(await noColon.GetJsonAsync($"{Base}/customers/k-1"), 401, "invalid_api_key");

        ShouldBeLoyaltyLionError(await basic.GetJsonAsync($"{Base}/no_such_thing"), 404, "route_not_found");
        ShouldBeLoyaltyLionError(await basic.GetJsonAsync($"{Base}/orders/none"), 404, "resource_missing");
    }

    [Theory, DatabaseData]
    public async Task A_read_key_may_read_but_every_write_is_403(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var write = await BasicClientAsync(server);
        var read = await BasicClientAsync(server, Scope.Read);
        (await write.PostJsonAsync($"{Base}/orders", NewOrder("W-1", "w-1"))).Code.ShouldBe(201);

        (await read.GetJsonAsync($"{Base}/orders/W-1")).Code.ShouldBe(200);
        (await read.GetJsonAsync($"{Base}/customers/w-1")).Code.ShouldBe(200);
        ShouldBeLoyaltyLionError(await read.PostJsonAsync($"{Base}/orders", NewOrder("W-2", "w-1")), 403, "insufficient_scope");
        ShouldBeLoyaltyLionError(await PutJsonAsync(read, $"{Base}/orders/W-1", new { payment_status = "paid" }), 403, "insufficient_scope");
        ShouldBeLoyaltyLionError(await read.PostJsonAsync($"{Base}/orders/W-1/paid"), 403, "insufficient_scope");
        ShouldBeLoyaltyLionError(await read.PostJsonAsync($"{Base}/activities", new { name = "$signup", customer_id = "r-1" }), 403, "insufficient_scope");
        (await server.Client.GetJsonAsync("/api/v1/orders/W-2")).Code.ShouldBe(404);
        (await server.Client.GetJsonAsync("/api/v1/orders/W-1")).Str("status").ShouldBe("placed");
    }

    [Theory, DatabaseData]
    public async Task Another_program_s_orders_and_customers_are_not_found(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var mine = await BasicClientAsync(server);
        var (otherProgram, _) = await server.CreateProgramAsync();
        var theirs = await BasicClientAsync(server, Scope.Write, otherProgram);
        (await theirs.PostJsonAsync($"{Base}/orders", NewOrder("T-1", "t-1", "30.00", "paid"))).Code.ShouldBe(201);

        ShouldBeLoyaltyLionError(await mine.GetJsonAsync($"{Base}/orders/T-1"), 404, "resource_missing");
        ShouldBeLoyaltyLionError(await mine.GetJsonAsync($"{Base}/customers/t-1"), 404, "resource_missing");
        ShouldBeLoyaltyLionError(await PutJsonAsync(mine, $"{Base}/orders/T-1", new { payment_status = "paid", refund_status = "refunded", cancellation_status = "not_cancelled" }), 404, "resource_missing");
        ShouldBeLoyaltyLionError(await mine.PostJsonAsync($"{Base}/orders/T-1/cancel"), 404, "resource_missing");
        ShouldBeLoyaltyLionError(await mine.PostJsonAsync($"{Base}/orders/T-1/refund", new { total_refunded = "30.00" }), 404, "resource_missing");
        ShouldBeLoyaltyLionError(await mine.PostJsonAsync($"{Base}/activities", new { name = "newsletter_signup", customer_id = "t-1" }), 404, "resource_missing");
        (await mine.GetJsonAsync($"{Base}/orders"))["orders"].GetArrayLength().ShouldBe(0);
        (await mine.GetJsonAsync($"{Base}/customers"))["customers"].GetArrayLength().ShouldBe(0);
        // Their order is untouched: still paid, its points still theirs.
        var order = await theirs.GetJsonAsync($"{Base}/orders/T-1");
        order.Str("cancellation_status").ShouldBe("not_cancelled");
        order.Str("refund_status").ShouldBe("not_refunded");
        (await theirs.GetJsonAsync($"{Base}/customers/t-1")).Long("points_approved").ShouldBe(30);
    }

    [Theory, DatabaseData]
    public async Task Bad_input_is_a_4xx_in_LoyaltyLion_s_shape_and_writes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);

        ShouldBeLoyaltyLionError(await ll.SendRawAsync(HttpMethod.Post, $"{Base}/orders", "{not json"), 400, "invalid_json");
        ShouldBeLoyaltyLionError(await ll.SendRawAsync(HttpMethod.Post, $"{Base}/orders", "[1]"), 400, "invalid_body");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders", new { customer_id = "b-1", total = "1.00", payment_status = "paid" }), 422, "parameter_missing");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders", new { merchant_id = "B-1", customer_id = "b-1", payment_status = "paid" }), 422, "parameter_missing");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders", new { merchant_id = "B-1", customer_id = "b-1", total = "1.00" }), 422, "parameter_missing");
        foreach (var total in new object[] { "abc", "-1.00", "1.00001", "1e3", true, 1e20 })
        {
            ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders", new { merchant_id = "B-1", customer_id = "b-1", total, payment_status = "paid" }), 422, "parameter_invalid");
        }
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders", new { merchant_id = "B-1", customer_id = "b-1", total = "1.00", payment_status = "done" }), 422, "parameter_invalid");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders", new { merchant_id = "B-1", customer_id = "b-1", total = "1.00", payment_status = "paid", refund_status = "partially_refunded" }), 422, "parameter_missing");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders", new { merchant_id = "B-1", customer_id = "b-1", total = "1.00", payment_status = "paid", discount_codes = "X" }), 422, "parameter_invalid");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders", new { merchant_id = "B-1", customer_id = new { }, total = "1.00", payment_status = "paid" }), 422, "parameter_invalid");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders", new { merchant_id = "B-1", customer_id = "b-1", customer_email = "not-an-email", total = "1.00", payment_status = "paid" }), 422, "parameter_invalid");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders", new { merchant_id = new string('x', 201), customer_id = "b-1", total = "1.00", payment_status = "paid" }), 422, "parameter_invalid");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/activities", new { customer_id = "b-1" }), 422, "parameter_missing");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/activities", new { name = "bad name!", customer_id = "b-1" }), 422, "parameter_invalid");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/activities", new { name = "$signup", customer_id = "b-1", date = "yesterday" }), 422, "parameter_invalid");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/activities", """{"name": "$signup", "customer_id": "b-1", "properties": [1]}"""), 422, "parameter_invalid");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders/none/refund", new { }), 422, "parameter_missing");
        ShouldBeLoyaltyLionError(await ll.PostJsonAsync($"{Base}/orders/none/paid"), 404, "resource_missing");
        ShouldBeLoyaltyLionError(await ll.DeleteJsonAsync($"{Base}/orders/none"), 405, "method_not_allowed");
        ShouldBeLoyaltyLionError(await ll.SendRawAsync(HttpMethod.Post, $"{Base}/orders", "merchant_id=B-1", "text/plain"), 415, "unsupported_media_type");

        (await server.Client.GetJsonAsync("/api/v1/customers")).Long("total_count").ShouldBe(0);
        (await server.Client.GetJsonAsync("/api/v1/orders")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task What_the_dialect_writes_is_the_native_API_s_data_and_events(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ll = await BasicClientAsync(server);
        var native = server.Client;

        (await ll.PostJsonAsync($"{Base}/orders", NewOrder("E-1", "e-1", "42.00", "paid"))).Code.ShouldBe(201);

        var order = await native.GetJsonAsync("/api/v1/orders/E-1");
        order.Str("status").ShouldBe("paid");
        order["total"].GetDecimal().ShouldBe(42m);
        order.Long("points_credited").ShouldBe(42);
        var customer = await CustomerAsync(native, "e-1");
        order.Str("customer_id").ShouldBe(customer.Str("id"));
        customer.Str("email").ShouldBe("e-1@example.com");
        var events = await native.GetJsonAsync("/api/v1/events?type=order.updated");
        events.Long("total_count").ShouldBe(1);
        events["data"][0].GetProperty("data").GetProperty("id").GetString().ShouldBe("E-1");
        (await native.GetJsonAsync("/api/v1/events?type=customer.created")).Long("total_count").ShouldBe(1);
        var points = await native.GetJsonAsync("/api/v1/events?type=points.created");
        points.Long("total_count").ShouldBe(1);
        points["data"][0].GetProperty("data").GetProperty("points").GetInt64().ShouldBe(42);

        (await ll.PostJsonAsync($"{Base}/orders/E-1/cancel")).Code.ShouldBe(204);
        (await native.GetJsonAsync("/api/v1/orders/E-1")).Str("status").ShouldBe("cancelled");
        (await native.GetJsonAsync("/api/v1/events?type=order.updated")).Long("total_count").ShouldBe(2);
        (await CustomerAsync(native, "e-1")).Long("points_balance").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task The_dialect_is_its_own_OpenAPI_document(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var doc = await server.ClientWithKey(null).GetJsonAsync("/openapi/loyaltylion.json");

        doc.Code.ShouldBe(200, doc.Raw);
        doc["info"].GetProperty("title").GetString().ShouldBe("Patron: the LoyaltyLion dialect");
        var paths = doc["paths"].EnumerateObject().Select(p => p.Name).ToList();
        paths.ShouldContain($"{Base}/activities");
        paths.ShouldContain($"{Base}/orders");
        paths.ShouldContain($"{Base}/orders/{{merchant_id}}/refund");
        paths.ShouldContain($"{Base}/customers/{{merchant_id}}");
        paths.ShouldContain($"{Base}/rewards/{{id}}/voucher_codes");
        paths.ShouldAllBe(p => p.StartsWith(Base));
    }

    // ---- The migration guide ----

    [Theory, DatabaseData]
    public async Task The_migration_guide_s_curl_session_runs_end_to_end(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        (await server.Client.PostJsonAsync("/api/v1/earn_rules", new { type = "signup", points = 50, limit_period = "once" })).Code.ShouldBe(201);
        var ll = await BasicClientAsync(server);

        var steps = GuideSession();
        steps.Count.ShouldBe(9);
        var answers = new List<ApiResponse>();
        foreach (var (method, path, body, expected) in steps)
        {
            var answer = await ll.SendRawAsync(new HttpMethod(method), path, body);
            answer.Code.ShouldBe(expected, $"{method} {path}: {answer.Raw}");
            answers.Add(answer);
        }

        answers[5].Str("refund_status").ShouldBe("partially_refunded");
        answers[6].Long("points_approved").ShouldBe(150);
        answers[8].Long("points_approved").ShouldBe(50);
        (await server.Client.GetJsonAsync("/api/v1/orders/5001")).Str("status").ShouldBe("cancelled");
    }

    /// <summary>The curl commands of docs/migrate/loyaltylion.md: method, path, body and the status the guide promises.</summary>
    private static List<(string Method, string Path, string? Body, int Status)> GuideSession()
    {
        var guide = File.ReadAllText(Repository.File("docs", "migrate", "loyaltylion.md"));
        var lines = guide.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n');
        var steps = new List<(string, string, string?, int)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("curl ", StringComparison.Ordinal))
            {
                continue;
            }
            var method = MethodPattern().Match(lines[i]).Groups[1].Value;
            var path = PathPattern().Match(lines[i]).Groups[1].Value;
            var data = DataPattern().Match(lines[i]);
            var status = int.Parse(StatusPattern().Match(lines[i + 1]).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            steps.Add((method, path, data.Success ? data.Groups[1].Value : null, status));
        }
        return steps;
    }

    [GeneratedRegex(@"-X (\w+)")]
    private static partial Regex MethodPattern();

    [GeneratedRegex("\"\\$PATRON([^\"]+)\"")]
    private static partial Regex PathPattern();

    [GeneratedRegex(@"-d '([^']*)'")]
    private static partial Regex DataPattern();

    [GeneratedRegex(@"^# => (\d{3})")]
    private static partial Regex StatusPattern();
}
