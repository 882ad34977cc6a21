using System.Net;
using System.Text.Json;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Patron.Tests.Webhooks;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Dialects;

/// <summary>The Loyalty Loop dialect (docs/migrate/loyaltyloop.md), through HTTP on both databases.</summary>
public sealed class LoyaltyLoopTests
{
    private const string Base = "/compat/loyaltyloop";

    /// <summary>A stamp card of <paramref name="required"/> stamps whose reward is a free coffee; returns the reward's id.</summary>
    private static async Task<string> StampCardAsync(HttpClient admin, int required)
    {
        var reward = await OkAsync(admin.PostJsonAsync("/api/v1/rewards", new { name = "Free coffee", type = "free_product", points_cost = 0, code_prefix = "CUP" }));
        await OkAsync(admin.PatchJsonAsync("/api/v1/program", new { stamps_required = required, stamp_reward_id = reward.Str("id") }));
        return reward.Str("id");
    }

    private static async Task<ApiResponse> NewCustomerAsync(HttpClient client, string phone, string name = "Ada Lovelace", string? email = null)
    {
        var created = await client.PostJsonAsync($"{Base}/customers", email is null ? new { name, phone } : new { name, phone, email });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return created;
    }

    /// <summary>An error in Loyalty Loop's shape: <c>{"error": message, "code": core code}</c> and nothing of the native envelope.</summary>
    private static void ShouldBeLoyaltyLoopError(ApiResponse response, int status, string code, string? param = null)
    {
        response.Code.ShouldBe(status, response.Raw);
        response.Body.ValueKind.ShouldBe(JsonValueKind.Object, response.Raw);
        response["error"].ValueKind.ShouldBe(JsonValueKind.String, response.Raw);
        response.Str("error").ShouldNotBeNullOrWhiteSpace();
        response.Str("code").ShouldBe(code, response.Raw);
        if (param is null)
        {
            response.Body.TryGetProperty("param", out _).ShouldBeFalse(response.Raw);
            response.Body.EnumerateObject().Select(p => p.Name).ShouldBe(["error", "code"], ignoreOrder: true);
        }
        else
        {
            response.Str("param").ShouldBe(param);
        }
    }

    private static void ShouldBeCustomer(JsonElement c, string id, string name, string phone, string? email, string qr,
        long current, long total, int required, long available)
    {
        c.GetProperty("id").GetString().ShouldBe(id);
        c.GetProperty("name").GetString().ShouldBe(name);
        c.GetProperty("phone").GetString().ShouldBe(phone);
        if (email is null)
        {
            c.GetProperty("email").ValueKind.ShouldBe(JsonValueKind.Null);
        }
        else
        {
            c.GetProperty("email").GetString().ShouldBe(email);
        }
        c.GetProperty("qr_code").GetString().ShouldBe(qr);
        c.GetProperty("current_stamps").GetInt64().ShouldBe(current);
        c.GetProperty("total_stamps").GetInt64().ShouldBe(total);
        c.GetProperty("stamps_required").GetInt32().ShouldBe(required);
        c.GetProperty("rewards_available").GetInt64().ShouldBe(available);
        c.GetProperty("status").GetString().ShouldBe("active");
        DateTimeOffset.Parse(c.GetProperty("created_at").GetString()!).ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        DateTimeOffset.Parse(c.GetProperty("updated_at").GetString()!).ShouldBeGreaterThanOrEqualTo(DateTimeOffset.Parse(c.GetProperty("created_at").GetString()!));
    }

    [Theory, DatabaseData]
    public async Task Every_request_of_the_reference_answers_in_the_documented_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var rewardId = await StampCardAsync(client, 4);

        // Create Customer
        var created = await NewCustomerAsync(client, "+49 151 1234 5678", "Ada Lovelace", "ADA@example.com");
        var id = created.Str("id");
        id.ShouldStartWith("cus_");
        var qr = created.Str("qr_code");
        qr.ShouldStartWith("pq_");
        ShouldBeCustomer(created.Body, id, "Ada Lovelace", "+4915112345678", "ada@example.com", qr, 0, 0, 4, 0);
        var second = await NewCustomerAsync(client, "+4915100000002", "Grace");
        second.Str("name").ShouldBe("Grace");

        // List Customers
        var list = await client.GetJsonAsync($"{Base}/customers");
        list.Code.ShouldBe(200, list.Raw);
        list["data"].EnumerateArray().Select(c => c.GetProperty("id").GetString()).ShouldBe([id, second.Str("id")]);
        ShouldBeCustomer(list["data"][0], id, "Ada Lovelace", "+4915112345678", "ada@example.com", qr, 0, 0, 4, 0);
        var pagination = list["pagination"];
        pagination.GetProperty("page").GetInt32().ShouldBe(1);
        pagination.GetProperty("limit").GetInt32().ShouldBe(50);
        pagination.GetProperty("total").GetInt64().ShouldBe(2);
        pagination.GetProperty("total_pages").GetInt64().ShouldBe(1);
        var page2 = await client.GetJsonAsync($"{Base}/customers?page=2&limit=1");
        page2["data"].EnumerateArray().Select(c => c.GetProperty("id").GetString()).ShouldBe([second.Str("id")]);
        page2["pagination"].GetProperty("total_pages").GetInt64().ShouldBe(2);
        (await client.GetJsonAsync($"{Base}/customers?page=3&limit=1"))["data"].GetArrayLength().ShouldBe(0);

        // Get by QR Code, Get Customer
        var byQr = await client.GetJsonAsync($"{Base}/customers/qr/{qr}");
        byQr.Code.ShouldBe(200, byQr.Raw);
        ShouldBeCustomer(byQr.Body, id, "Ada Lovelace", "+4915112345678", "ada@example.com", qr, 0, 0, 4, 0);
        var got = await client.GetJsonAsync($"{Base}/customers/{id}");
        ShouldBeCustomer(got.Body, id, "Ada Lovelace", "+4915112345678", "ada@example.com", qr, 0, 0, 4, 0);
        got["recent_transactions"].GetArrayLength().ShouldBe(0);

        // Add Stamps by ID
        var stamped = await client.PostJsonAsync($"{Base}/customers/{id}/stamps", new { stamps = 3 });
        stamped.Code.ShouldBe(200, stamped.Raw);
        stamped.Str("customer_id").ShouldBe(id);
        stamped.Long("stamps_added").ShouldBe(3);
        stamped.Long("current_stamps").ShouldBe(3);
        stamped.Long("stamps_required").ShouldBe(4);
        stamped["reward_earned"].GetBoolean().ShouldBeFalse();
        stamped.Long("rewards_earned").ShouldBe(0);
        stamped["rewards"].GetArrayLength().ShouldBe(0);
        ShouldBeCustomer(stamped["customer"], id, "Ada Lovelace", "+4915112345678", "ada@example.com", qr, 3, 3, 4, 0);

        // Add Stamps by QR Code, default one stamp: the card is full
        var full = await client.SendRawAsync(HttpMethod.Post, $"{Base}/customers/qr/{qr}/stamps", null);
        full.Code.ShouldBe(200, full.Raw);
        full.Long("stamps_added").ShouldBe(1);
        full.Long("current_stamps").ShouldBe(0);
        full["reward_earned"].GetBoolean().ShouldBeTrue();
        full.Long("rewards_earned").ShouldBe(1);
        var reward = full["rewards"].EnumerateArray().ShouldHaveSingleItem();
        reward.GetProperty("id").GetString()!.ShouldStartWith("red_");
        reward.GetProperty("reward_id").GetString().ShouldBe(rewardId);
        reward.GetProperty("code").GetString()!.ShouldStartWith("CUP");
        reward.GetProperty("status").GetString().ShouldBe("issued");
        reward.GetProperty("redeemed_at").ValueKind.ShouldBe(JsonValueKind.Null);
        reward.GetProperty("expires_at").ValueKind.ShouldBe(JsonValueKind.Null);
        reward.GetProperty("earned_at").GetString().ShouldNotBeNull();
        ShouldBeCustomer(full["customer"], id, "Ada Lovelace", "+4915112345678", "ada@example.com", qr, 0, 4, 4, 1);

        // Redeem (what "prompt staff to redeem via /redeem" asks for)
        var redeemed = await client.PostJsonAsync($"{Base}/customers/{id}/redeem");
        redeemed.Code.ShouldBe(200, redeemed.Raw);
        redeemed["redeemed"].GetBoolean().ShouldBeTrue();
        redeemed.Str("customer_id").ShouldBe(id);
        redeemed["reward"].GetProperty("id").GetString().ShouldBe(reward.GetProperty("id").GetString());
        redeemed["reward"].GetProperty("code").GetString().ShouldBe(reward.GetProperty("code").GetString());
        redeemed["reward"].GetProperty("status").GetString().ShouldBe("used");
        redeemed["reward"].GetProperty("redeemed_at").GetString().ShouldNotBeNull();
        ShouldBeCustomer(redeemed["customer"], id, "Ada Lovelace", "+4915112345678", "ada@example.com", qr, 0, 4, 4, 0);
        ShouldBeLoyaltyLoopError(await client.PostJsonAsync($"{Base}/customers/qr/{qr}/redeem"), 409, "no_reward_to_redeem");

        // The customer's recent transactions: two stamp recordings and the redemption, newest first.
        var detail = await client.GetJsonAsync($"{Base}/customers/{id}");
        var recent = detail["recent_transactions"].EnumerateArray().ToList();
        recent.Select(t => t.GetProperty("type").GetString()).ShouldBe(["redemption", "stamps", "stamps"]);
        recent[0].GetProperty("id").GetString().ShouldBe(reward.GetProperty("id").GetString());
        recent[0].GetProperty("status").GetString().ShouldBe("used");
        recent[0].GetProperty("reward_id").GetString().ShouldBe(rewardId);
        DateTimeOffset.Parse(recent[0].GetProperty("date").GetString()!).ShouldBe(DateTimeOffset.Parse(redeemed["reward"].GetProperty("redeemed_at").GetString()!));
        DateTimeOffset.Parse(recent[1].GetProperty("date").GetString()!).ShouldBe(DateTimeOffset.Parse(reward.GetProperty("earned_at").GetString()!));
        recent[1].GetProperty("stamps").GetInt64().ShouldBe(1);
        recent[1].GetProperty("rewards_earned").GetInt64().ShouldBe(1);
        recent[2].GetProperty("stamps").GetInt64().ShouldBe(3);
        recent[2].GetProperty("rewards_earned").GetInt64().ShouldBe(0);
        recent[2].GetProperty("points").ValueKind.ShouldBe(JsonValueKind.Null);

        // Get Analytics
        var analytics = await client.GetJsonAsync($"{Base}/analytics");
        analytics.Code.ShouldBe(200, analytics.Raw);
        analytics.Long("days").ShouldBe(30);
        analytics.Long("total_customers").ShouldBe(2);
        analytics.Long("new_customers").ShouldBe(2);
        analytics.Long("active_customers").ShouldBe(1);
        analytics.Long("stamps_added").ShouldBe(4);
        analytics.Long("visits").ShouldBe(2);
        analytics.Long("rewards_earned").ShouldBe(1);
        analytics.Long("rewards_redeemed").ShouldBe(1);
        DateTimeOffset.Parse(analytics.Str("from")).ShouldBeLessThan(DateTimeOffset.Parse(analytics.Str("to")));
        (await client.GetJsonAsync($"{Base}/analytics?days=365")).Long("days").ShouldBe(365);

        // Register, List and Delete Webhook
        var hook = await client.PostJsonAsync($"{Base}/webhooks",
            new { url = "https://hooks.example.com/loyalty", events = (string[])["customer.created", "stamp.added"] });
        hook.Code.ShouldBe(201, hook.Raw);
        hook.Str("id").ShouldStartWith("we_");
        hook.Str("url").ShouldBe("https://hooks.example.com/loyalty");
        hook["events"].EnumerateArray().Select(e => e.GetString()).ShouldBe(["customer.created", "stamp.added"]);
        hook["active"].GetBoolean().ShouldBeTrue();
        hook.Str("secret").ShouldStartWith("whsec_");
        hook.Str("created_at").ShouldNotBeNull();
        var hooks = await client.GetJsonAsync($"{Base}/webhooks");
        var listed = hooks["data"].EnumerateArray().ShouldHaveSingleItem();
        listed.GetProperty("id").GetString().ShouldBe(hook.Str("id"));
        listed.TryGetProperty("secret", out _).ShouldBeFalse();
        hooks.Raw.ShouldNotContain(hook.Str("secret"));
        var deleted = await client.DeleteJsonAsync($"{Base}/webhooks/{hook.Str("id")}");
        deleted.Code.ShouldBe(200, deleted.Raw);
        deleted.Str("id").ShouldBe(hook.Str("id"));
        deleted["deleted"].GetBoolean().ShouldBeTrue();
        (await client.GetJsonAsync($"{Base}/webhooks"))["data"].GetArrayLength().ShouldBe(0);
        ShouldBeLoyaltyLoopError(await client.DeleteJsonAsync($"{Base}/webhooks/{hook.Str("id")}"), 404, "resource_missing");
    }

    [Theory, DatabaseData]
    public async Task Bad_input_and_unknown_routes_get_a_4xx_in_the_Loyalty_Loop_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var id = (await NewCustomerAsync(client, "+4915100000001")).Str("id");

        ShouldBeLoyaltyLoopError(await client.GetJsonAsync($"{Base}/customers?limit=101"), 422, "parameter_invalid", "limit");
        ShouldBeLoyaltyLoopError(await client.GetJsonAsync($"{Base}/customers?limit=0"), 422, "parameter_invalid", "limit");
        ShouldBeLoyaltyLoopError(await client.GetJsonAsync($"{Base}/customers?page=0"), 422, "parameter_invalid", "page");
        ShouldBeLoyaltyLoopError(await client.GetJsonAsync($"{Base}/customers?page=abc"), 422, "parameter_invalid", "page");
        ShouldBeLoyaltyLoopError(await client.GetJsonAsync($"{Base}/analytics?days=366"), 422, "parameter_invalid", "days");
        ShouldBeLoyaltyLoopError(await client.GetJsonAsync($"{Base}/analytics?days=0"), 422, "parameter_invalid", "days");
        ShouldBeLoyaltyLoopError(await client.PostJsonAsync($"{Base}/customers/{id}/stamps", new { stamps = 11 }), 422, "parameter_invalid", "stamps");
        ShouldBeLoyaltyLoopError(await client.PostJsonAsync($"{Base}/customers/{id}/stamps", new { stamps = 0 }), 422, "parameter_invalid", "stamps");
        ShouldBeLoyaltyLoopError(await client.SendRawAsync(HttpMethod.Post, $"{Base}/customers/{id}/stamps", "{\"stamps\":"), 400, "invalid_json");
        ShouldBeLoyaltyLoopError(await client.PostJsonAsync($"{Base}/customers", new { phone = "+4915100000009" }), 422, "parameter_missing", "name");
        ShouldBeLoyaltyLoopError(await client.PostJsonAsync($"{Base}/customers", new { name = "No Phone" }), 422, "parameter_missing", "phone");
        ShouldBeLoyaltyLoopError(await client.PostJsonAsync($"{Base}/customers", new { name = "Bad", phone = "call me" }), 422, "parameter_invalid", "phone");
        ShouldBeLoyaltyLoopError(await client.PostJsonAsync($"{Base}/customers", new { name = new string('x', 201), phone = "+4915100000009" }), 422, "parameter_invalid", "name");
        ShouldBeLoyaltyLoopError(await client.PostJsonAsync($"{Base}/webhooks", new { url = "https://hooks.example.com/x" }), 422, "parameter_missing", "events");
        ShouldBeLoyaltyLoopError(await client.PostJsonAsync($"{Base}/webhooks", new { url = "https://hooks.example.com/x", events = (string[])["stamps.added"] }), 422, "parameter_invalid", "events");
        ShouldBeLoyaltyLoopError(await client.PostJsonAsync($"{Base}/webhooks", new { events = (string[])["stamp.added"] }), 422, "parameter_missing", "url");
        ShouldBeLoyaltyLoopError(await client.GetJsonAsync($"{Base}/customers/cus_nobody"), 404, "resource_missing");
        ShouldBeLoyaltyLoopError(await client.GetJsonAsync($"{Base}/nothing/here"), 404, "route_not_found");
        ShouldBeLoyaltyLoopError(await client.SendRawAsync(HttpMethod.Put, $"{Base}/customers", "{}"), 405, "method_not_allowed");
        // Nothing of the refused creations was written.
        (await client.GetJsonAsync($"{Base}/customers"))["pagination"].GetProperty("total").GetInt64().ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Keys_are_checked_no_key_is_401_a_read_key_cannot_write_and_webhooks_need_an_admin_key(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tenant = await server.NewTenantAsync("keys");
        var id = (await NewCustomerAsync(tenant.Write, "+4915100000001")).Str("id");

        var anonymous = server.ClientWithKey(null);
        ShouldBeLoyaltyLoopError(await anonymous.GetJsonAsync($"{Base}/customers"), 401, "missing_api_key");
        ShouldBeLoyaltyLoopError(await anonymous.GetJsonAsync($"{Base}/no/such/route"), 401, "missing_api_key");
        var wrong = server.ClientWithKey("ll_not_a_patron_key");
        ShouldBeLoyaltyLoopError(await wrong.GetJsonAsync($"{Base}/customers"), 401, "invalid_api_key");
        var notBearer = await anonymous.SendRawAsync(HttpMethod.Get, $"{Base}/customers", null,
            headers: new Dictionary<string, string> { ["Authorization"] = "Basic abc" });
        ShouldBeLoyaltyLoopError(notBearer, 401, "invalid_api_key");

        (await tenant.Read.GetJsonAsync($"{Base}/customers/{id}")).Code.ShouldBe(200);
        ShouldBeLoyaltyLoopError(await tenant.Read.PostJsonAsync($"{Base}/customers/{id}/stamps", new { stamps = 1 }), 403, "insufficient_scope");
        ShouldBeLoyaltyLoopError(await tenant.Read.PostJsonAsync($"{Base}/customers", new { name = "R", phone = "+4915100000002" }), 403, "insufficient_scope");
        ShouldBeLoyaltyLoopError(await tenant.Read.PostJsonAsync($"{Base}/customers/{id}/redeem"), 403, "insufficient_scope");
        (await tenant.Write.GetJsonAsync($"{Base}/customers/{id}")).Long("current_stamps").ShouldBe(0);

        ShouldBeLoyaltyLoopError(await tenant.Write.GetJsonAsync($"{Base}/webhooks"), 403, "insufficient_scope");
        ShouldBeLoyaltyLoopError(await tenant.Write.PostJsonAsync($"{Base}/webhooks",
            new { url = "https://hooks.example.com/x", events = (string[])["stamp.added"] }), 403, "insufficient_scope");
        (await tenant.Admin.GetJsonAsync($"{Base}/webhooks")).Code.ShouldBe(200);
    }

    [Theory, DatabaseData]
    public async Task Rate_limit_headers_come_under_both_names_and_the_429_is_in_the_Loyalty_Loop_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = await server.ClientWithScopeAsync(Scope.Write, rateLimitPerMinute: 3);
        var created = await client.PostJsonAsync($"{Base}/customers", new { name = "Ada", phone = "+4915100000001" });
        created.Code.ShouldBe(201, created.Raw);
        var listed = await client.GetJsonAsync($"{Base}/customers");
        foreach (var (answer, remaining) in new[] { (created, "2"), (listed, "1") })
        {
            answer.Header("RateLimit-Limit").ShouldBe("3");
            answer.Header("X-RateLimit-Limit").ShouldBe("3");
            answer.Header("RateLimit-Remaining").ShouldBe(remaining);
            answer.Header("X-RateLimit-Remaining").ShouldBe(remaining);
            int.Parse(answer.Header("X-RateLimit-Reset")!, System.Globalization.CultureInfo.InvariantCulture).ShouldBeInRange(1, 60);
            answer.Header("X-RateLimit-Reset").ShouldBe(answer.Header("RateLimit-Reset"));
        }
        var unknown = await client.GetJsonAsync($"{Base}/no/such/route");
        ShouldBeLoyaltyLoopError(unknown, 404, "route_not_found");
        unknown.Header("X-RateLimit-Remaining").ShouldBe("0");

        var refused = await client.GetJsonAsync($"{Base}/customers");
        ShouldBeLoyaltyLoopError(refused, 429, "rate_limited");
        refused.Header("X-RateLimit-Limit").ShouldBe("3");
        refused.Header("X-RateLimit-Remaining").ShouldBe("0");
        refused.Header("Retry-After").ShouldNotBeNull();
    }

    [Theory, DatabaseData]
    public async Task Another_programs_customer_is_not_found_by_id_or_by_QR_code(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StampCardAsync(server.Client, 2);
        var mine = await NewCustomerAsync(server.Client, "+4915100000001");
        (await server.Client.PostJsonAsync($"{Base}/customers/{mine.Str("id")}/stamps", new { stamps = 2 }))["reward_earned"].GetBoolean().ShouldBeTrue();
        var (_, other) = await server.CreateProgramAsync();
        var (id, qr) = (mine.Str("id"), mine.Str("qr_code"));

        ShouldBeLoyaltyLoopError(await other.GetJsonAsync($"{Base}/customers/{id}"), 404, "resource_missing");
        ShouldBeLoyaltyLoopError(await other.GetJsonAsync($"{Base}/customers/qr/{qr}"), 404, "resource_missing");
        ShouldBeLoyaltyLoopError(await other.PostJsonAsync($"{Base}/customers/{id}/stamps", new { stamps = 1 }), 404, "resource_missing");
        ShouldBeLoyaltyLoopError(await other.PostJsonAsync($"{Base}/customers/qr/{qr}/stamps", new { stamps = 1 }), 404, "resource_missing");
        ShouldBeLoyaltyLoopError(await other.PostJsonAsync($"{Base}/customers/{id}/redeem"), 404, "resource_missing");
        ShouldBeLoyaltyLoopError(await other.PostJsonAsync($"{Base}/customers/qr/{qr}/redeem"), 404, "resource_missing");
        (await other.GetJsonAsync($"{Base}/customers"))["data"].GetArrayLength().ShouldBe(0);
        (await other.GetJsonAsync($"{Base}/analytics")).Long("stamps_added").ShouldBe(0);

        // Nothing changed for the owner.
        var after = await server.Client.GetJsonAsync($"{Base}/customers/qr/{qr}");
        after.Long("total_stamps").ShouldBe(2);
        after.Long("rewards_available").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task A_retried_stamp_with_the_same_idempotency_key_stamps_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        await StampCardAsync(client, 10);
        var customer = await NewCustomerAsync(client, "+4915100000001");
        var path = $"{Base}/customers/qr/{customer.Str("qr_code")}/stamps";

        var first = await client.PostJsonAsync(path, new { stamps = 3 }, idempotencyKey: "visit-42");
        first.Code.ShouldBe(200, first.Raw);
        var retry = await client.PostJsonAsync(path, new { stamps = 3 }, idempotencyKey: "visit-42");
        retry.Code.ShouldBe(200, retry.Raw);
        retry.Header("Idempotent-Replayed").ShouldBe("true");
        retry.Raw.ShouldBe(first.Raw);
        var parallel = await ParallelAsync(10, _ => client.PostJsonAsync(path, new { stamps = 2 }, idempotencyKey: "visit-43"));
        parallel.ShouldAllBe(r => r.Code == 200);
        parallel.Select(r => r.Long("current_stamps")).Distinct().ShouldBe([5L]);

        var native = await client.GetJsonAsync($"/api/v1/customers/{customer.Str("id")}");
        native.Long("current_stamps").ShouldBe(5);
        (await client.GetJsonAsync("/api/v1/events?type=stamp.added")).Long("total_count").ShouldBe(2);
        ShouldBeLoyaltyLoopError(await client.PostJsonAsync(path, new { stamps = 4 }, idempotencyKey: "visit-42"), 409, "idempotency_key_reused");
    }

    [Theory, DatabaseData]
    public async Task Thirty_parallel_redeems_of_one_earned_reward_redeem_it_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        await StampCardAsync(client, 3);
        var customer = await NewCustomerAsync(client, "+4915100000001");
        var (id, qr) = (customer.Str("id"), customer.Str("qr_code"));
        (await client.PostJsonAsync($"{Base}/customers/{id}/stamps", new { stamps = 3 }))["rewards_earned"].GetInt32().ShouldBe(1);

        var answers = await ParallelAsync(30, i => client.PostJsonAsync(
            i % 2 == 0 ? $"{Base}/customers/{id}/redeem" : $"{Base}/customers/qr/{qr}/redeem"));

        answers.Count(a => a.Code == 200).ShouldBe(1, string.Join("\n", answers.Select(a => a.Raw).Distinct()));
        answers.Where(a => a.Code != 200).ShouldAllBe(a => a.Code == 409 && a.Str("code") == "no_reward_to_redeem");
        var redemptions = await client.GetJsonAsync($"/api/v1/customers/{id}/redemptions");
        redemptions["data"].EnumerateArray().ShouldHaveSingleItem().GetProperty("status").GetString().ShouldBe("used");
        (await client.GetJsonAsync("/api/v1/events?type=reward.redeemed")).Long("total_count").ShouldBe(1);
        (await client.GetJsonAsync("/api/v1/events?type=voucher.used")).Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Stamps_to_the_threshold_issue_the_reward_and_reset_the_card_keeping_any_remainder(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        await StampCardAsync(client, 10);
        var id = (await NewCustomerAsync(client, "+4915100000001")).Str("id");
        var path = $"{Base}/customers/{id}/stamps";

        var nine = await client.PostJsonAsync(path, new { stamps = 9 });
        nine.Long("current_stamps").ShouldBe(9);
        nine["reward_earned"].GetBoolean().ShouldBeFalse();
        var tenth = await client.PostJsonAsync(path, new { stamps = 1 });
        tenth.Long("current_stamps").ShouldBe(0);
        tenth["reward_earned"].GetBoolean().ShouldBeTrue();
        tenth.Long("rewards_earned").ShouldBe(1);
        var wholeCard = await client.PostJsonAsync(path, new { stamps = 10 });
        wholeCard.Long("current_stamps").ShouldBe(0);
        wholeCard.Long("rewards_earned").ShouldBe(1);
        await client.PostJsonAsync(path, new { stamps = 8 });
        var over = await client.PostJsonAsync(path, new { stamps = 5 });
        over["reward_earned"].GetBoolean().ShouldBeTrue();
        over.Long("current_stamps").ShouldBe(3);
        over["customer"].GetProperty("total_stamps").GetInt64().ShouldBe(33);
        over["customer"].GetProperty("rewards_available").GetInt64().ShouldBe(3);

        // A smaller card: ten stamps at once fill it more than once.
        await StampCardAsync(client, 3);
        var several = await client.PostJsonAsync(path, new { stamps = 10 });
        several.Long("rewards_earned").ShouldBe(4);
        several["rewards"].GetArrayLength().ShouldBe(4);
        several.Long("current_stamps").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task A_change_through_the_dialect_is_the_native_APIs_change_with_its_events(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        await StampCardAsync(client, 2);
        var created = await NewCustomerAsync(client, "+4915100000001", "Ada Lovelace", "ada@example.com");
        var id = created.Str("id");

        var native = await client.GetJsonAsync($"/api/v1/customers/{id}");
        native.Str("first_name").ShouldBe("Ada");
        native.Str("last_name").ShouldBe("Lovelace");
        native.Str("phone").ShouldBe("+4915100000001");
        native.Str("qr_code").ShouldBe(created.Str("qr_code"));

        // The same phone again is the same customer, updated (the core's create-or-update).
        var again = await client.PostJsonAsync($"{Base}/customers", new { name = "Ada King", phone = "+4915100000001" });
        again.Code.ShouldBe(200, again.Raw);
        again.Str("id").ShouldBe(id);
        again.Str("name").ShouldBe("Ada King");
        (await client.GetJsonAsync($"/api/v1/customers/{id}")).Str("last_name").ShouldBe("King");

        await OkAsync(client.PostJsonAsync($"{Base}/customers/{id}/stamps", new { stamps = 2 }));
        (await client.GetJsonAsync($"/api/v1/customers/{id}")).Long("current_stamps").ShouldBe(0);
        var issued = (await client.GetJsonAsync($"/api/v1/customers/{id}/redemptions"))["data"].EnumerateArray().ShouldHaveSingleItem();
        issued.GetProperty("source").GetString().ShouldBe("stamps");
        issued.GetProperty("status").GetString().ShouldBe("issued");
        await OkAsync(client.PostJsonAsync($"{Base}/customers/{id}/redeem"));
        var voucher = await client.GetJsonAsync($"/api/v1/vouchers/{issued.GetProperty("discount_code").GetString()}");
        voucher.Str("status").ShouldBe("used");

        // And a change made natively shows through the dialect.
        await OkAsync(client.PostJsonAsync($"/api/v1/customers/{id}/stamps", new { stamps = 1 }));
        (await client.GetJsonAsync($"{Base}/customers/{id}")).Long("current_stamps").ShouldBe(1);

        var events = (await client.AllAsync("/api/v1/events")).Select(e => e.GetProperty("type").GetString()).ToList();
        events.Count(t => t == "customer.created").ShouldBe(1);
        events.Count(t => t == "customer.updated").ShouldBe(1);
        events.Count(t => t == "stamp.added").ShouldBe(2);
        events.Count(t => t == "reward.earned").ShouldBe(1);
        events.Count(t => t == "voucher.used").ShouldBe(1);
        events.Count(t => t == "reward.redeemed").ShouldBe(1);
        var redeemedEvent = await client.GetJsonAsync("/api/v1/events?type=reward.redeemed");
        redeemedEvent["data"][0].GetProperty("data").GetProperty("id").GetString().ShouldBe(issued.GetProperty("id").GetString());
        redeemedEvent["data"][0].GetProperty("data").GetProperty("customer_id").GetString().ShouldBe(id);
    }

    [Theory, DatabaseData]
    public async Task A_webhook_registered_through_the_dialect_receives_each_of_its_four_events(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhookKit.StartServerAsync(database);
        var client = server.Client;
        await StampCardAsync(client, 2);
        var hook = await client.PostJsonAsync($"{Base}/webhooks", new
        {
            url = receiver.Url(),
            events = (string[])["customer.created", "stamp.added", "reward.redeemed", "customer.updated"],
        });
        hook.Code.ShouldBe(201, hook.Raw);

        var id = (await NewCustomerAsync(client, "+4915100000001", "Ada")).Str("id");
        await OkAsync(client.PostJsonAsync($"{Base}/customers", new { name = "Ada Lovelace", phone = "+4915100000001" }));
        await OkAsync(client.PostJsonAsync($"{Base}/customers/{id}/stamps", new { stamps = 2 }));
        await OkAsync(client.PostJsonAsync($"{Base}/customers/{id}/redeem"));
        await server.DispatchAsync();

        var received = await receiver.WaitForAsync(r => r.Count >= 4, TimeSpan.FromSeconds(30), "four deliveries");
        received.Select(r => r.EventType).ShouldBe(["customer.created", "customer.updated", "stamp.added", "reward.redeemed"], ignoreOrder: true);
        received.ShouldAllBe(r => r.Text.Contains(id));
        foreach (var r in received)
        {
            r.ShouldBeSignedAsSpecified(hook.Str("secret"), long.Parse(r.Header("webhook-timestamp"), System.Globalization.CultureInfo.InvariantCulture));
        }
        var updated = received.Single(r => r.EventType == "customer.updated").Json.GetProperty("data");
        updated.GetProperty("last_name").GetString().ShouldBe("Lovelace");

        // After deletion it receives nothing more.
        await OkAsync(client.DeleteJsonAsync($"{Base}/webhooks/{hook.Str("id")}"));
        await OkAsync(client.PostJsonAsync($"{Base}/customers/{id}/stamps", new { stamps = 1 }));
        await server.DispatchAsync();
        receiver.Requests.Count.ShouldBe(4);
    }
}
