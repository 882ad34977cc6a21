using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Patron.Tests.Webhooks;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Dialects;

/// <summary>
/// Patron's native API (<c>/api/v1</c>) as an exact superset of Loyalino's REST API
/// (docs/migrate/loyalino.md): every request of Loyalino's reference replayed as written, and every
/// response field it documents present with the same name and JSON type; the fields Loyalino lets a
/// merchant set round-tripped; its keys, scopes, errors and webhooks behaving as its reference says.
/// </summary>
public sealed class LoyalinoTests
{
    private const string V1 = "/api/v1";
    private static readonly string[] PointsAndRedemptions = ["points.created", "redemption.created"];
    private static readonly string[] AllEvents = ["*"];
    private static readonly string[] PointsCreated = ["points.created"];

    // ---- The reference, request by request ----

    [Theory, DatabaseData]
    public async Task Every_request_in_the_Loyalino_reference_answers_with_the_documented_fields(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var api = server.Client;
        await SetUpProgramAsync(api);

        // GET /program
        var program = await OkAsync(api.GetJsonAsync($"{V1}/program"));
        ShouldHave(program.Body, "program", ("shop_domain", "string|null"), ("live", "boolean"), ("plan", "string"),
            ("points_per_unit", "number"), ("currency", "string"), ("points_delay_days", "integer"), ("points_expiry_days", "integer|null"));

        // POST /customers {"email","first_name"} creates; the same email again updates.
        var grace = await api.PostJsonAsync($"{V1}/customers", new { email = "grace@example.com", first_name = "Grace" });
        grace.Status.ShouldBe(HttpStatusCode.Created, grace.Raw);
        ShouldHave(grace.Body, "customer", ("id", "string"), ("email", "string"), ("first_name", "string"),
            ("points_balance", "integer"), ("lifetime_points", "integer"), ("vip_tier", "null"), ("created_at", "timestamp"));
        grace.Str("email").ShouldBe("grace@example.com");
        grace.Str("first_name").ShouldBe("Grace");
        var again = await OkAsync(api.PostJsonAsync($"{V1}/customers",
            new { email = "grace@example.com", last_name = "Hopper", birthday = "1906-12-09", shopify_customer_id = "7001" }));
        again.Str("id").ShouldBe(grace.Str("id"));
        again.Str("last_name").ShouldBe("Hopper");

        // PATCH /customers/{id} {"last_name"}
        var patched = await OkAsync(api.PatchJsonAsync($"{V1}/customers/{grace.Str("id")}", new { last_name = "Brewster" }));
        ShouldHave(patched.Body, "customer", ("id", "string"), ("email", "string"), ("first_name", "string"), ("last_name", "string"),
            ("points_balance", "integer"));
        patched.Str("last_name").ShouldBe("Brewster");
        patched.Str("first_name").ShouldBe("Grace");

        // A customer with points, a tier and spend, as in the list example.
        var ada = await OkAsync(api.PostJsonAsync($"{V1}/customers",
            new { email = "ada@example.com", first_name = "Ada", last_name = "Lovelace", shopify_customer_id = "6001" }));
        var adaId = ada.Str("id");

        // POST /customers/{id}/points_transactions {"points":100,"type":"earned","description":"Birthday bonus"}
        var tx = await api.PostJsonAsync($"{V1}/customers/{adaId}/points_transactions",
            new { points = 1200, type = "earned", description = "Birthday bonus" });
        tx.Status.ShouldBe(HttpStatusCode.Created, tx.Raw);
        ShouldHave(tx.Body, "points_transaction", ("id", "string"), ("customer_id", "string"), ("points", "integer"),
            ("type", "string"), ("description", "string"), ("created_at", "timestamp"));
        tx.Str("customer_id").ShouldBe(adaId);
        tx.Long("points").ShouldBe(1200);
        tx.Str("type").ShouldBe("earned");
        tx.Str("description").ShouldBe("Birthday bonus");
        (await OkAsync(api.PostJsonAsync($"{V1}/orders", new { id = "L-1", customer_id = adaId, total = 540m, status = "paid" })))
            .Str("status").ShouldBe("paid");

        // GET /customers?limit=1, ?email=, ?search=
        var list = await OkAsync(api.GetJsonAsync($"{V1}/customers?limit=1"));
        ShouldBeList(list, page: 1, limit: 1, total: 2, hasMore: true);
        ShouldBeFullCustomer(list["data"][0]);
        var byEmail = await OkAsync(api.GetJsonAsync($"{V1}/customers?email=ADA@example.com"));
        ShouldBeList(byEmail, page: 1, limit: 20, total: 1, hasMore: false);
        byEmail["data"][0].GetProperty("id").GetString().ShouldBe(adaId);
        var search = await OkAsync(api.GetJsonAsync($"{V1}/customers?search=love"));
        search.Long("total_count").ShouldBe(1);
        search["data"][0].GetProperty("id").GetString().ShouldBe(adaId);

        // GET /customers/{email}, by Shopify (external) id, by id
        var adaByEmail = await OkAsync(api.GetJsonAsync($"{V1}/customers/ada@example.com"));
        ShouldBeFullCustomer(adaByEmail.Body);
        // 1200 points, then the order: 540 at the place_order rule's 1 point per 1.00, times Gold's 1.5.
        adaByEmail.Long("points_balance").ShouldBe(2010);
        adaByEmail.Long("lifetime_points").ShouldBe(2010);
        adaByEmail.Str("vip_tier").ShouldBe("Gold");
        adaByEmail["total_spent"].GetDecimal().ShouldBe(540m);
        (await OkAsync(api.GetJsonAsync($"{V1}/customers/6001"))).Str("id").ShouldBe(adaId);
        (await OkAsync(api.GetJsonAsync($"{V1}/customers/{adaId}"))).Str("email").ShouldBe("ada@example.com");

        // GET /customers/{id}/points_transactions
        var history = await OkAsync(api.GetJsonAsync($"{V1}/customers/{adaId}/points_transactions"));
        ShouldBeList(history, page: 1, limit: 20, total: 2, hasMore: false);
        foreach (var entry in history["data"].EnumerateArray())
        {
            ShouldHave(entry, "points_transaction", ("id", "string"), ("customer_id", "string"), ("points", "integer"),
                ("type", "string"), ("created_at", "timestamp"));
        }

        // GET /points_transactions?type=earned, ?customer_id= (id or email), GET /points_transactions/{id}
        var earned = await OkAsync(api.GetJsonAsync($"{V1}/points_transactions?type=earned"));
        ShouldBeList(earned, page: 1, limit: 20, total: 2, hasMore: false);
        earned["data"].EnumerateArray().ShouldAllBe(e => e.GetProperty("type").GetString() == "earned");
        (await OkAsync(api.GetJsonAsync($"{V1}/points_transactions?customer_id=ada@example.com"))).Long("total_count").ShouldBe(2);
        (await OkAsync(api.GetJsonAsync($"{V1}/points_transactions?customer_id={grace.Str("id")}"))).Long("total_count").ShouldBe(0);
        var one = await OkAsync(api.GetJsonAsync($"{V1}/points_transactions/{tx.Str("id")}"));
        ShouldHave(one.Body, "points_transaction", ("id", "string"), ("customer_id", "string"), ("points", "integer"),
            ("type", "string"), ("created_at", "timestamp"));

        // GET /rewards?enabled=true
        var rewards = await OkAsync(api.GetJsonAsync($"{V1}/rewards?enabled=true"));
        ShouldBeList(rewards, page: 1, limit: 20, total: 1, hasMore: false);
        var reward = rewards["data"][0];
        ShouldHave(reward, "reward", ("id", "string"), ("name", "string"), ("type", "string"), ("points_cost", "integer"),
            ("discount_value", "number"), ("enabled", "boolean"), ("variable", "null"));
        reward.GetProperty("discount_value").GetDecimal().ShouldBe(5m);

        // GET /earn_rules
        var rules = await OkAsync(api.GetJsonAsync($"{V1}/earn_rules"));
        ShouldBeList(rules, page: 1, limit: 20, total: 2, hasMore: false);
        foreach (var rule in rules["data"].EnumerateArray())
        {
            ShouldHave(rule, "earn_rule", ("id", "string"), ("name", "string"), ("type", "string"), ("points", "integer"), ("enabled", "boolean"));
        }

        // GET /vip_tiers
        var tiers = await OkAsync(api.GetJsonAsync($"{V1}/vip_tiers"));
        ShouldBeList(tiers, page: 1, limit: 20, total: 2, hasMore: false);
        foreach (var tier in tiers["data"].EnumerateArray())
        {
            ShouldHave(tier, "vip_tier", ("id", "string"), ("name", "string"), ("points_required", "integer"), ("multiplier", "number"),
                ("discount_type", "string"), ("discount_value", "number"), ("free_shipping", "boolean"));
        }

        // POST /activities {"customer_id":"ada@example.com","type":"newsletter_signup","points":50}
        var activity = await api.PostJsonAsync($"{V1}/activities", new { customer_id = "ada@example.com", type = "newsletter_signup", points = 50 });
        activity.Status.ShouldBe(HttpStatusCode.Created, activity.Raw);
        ShouldHave(activity.Body, "activity", ("type", "string"), ("customer_id", "string"), ("points_awarded", "integer"), ("transaction", "object"));
        activity.Str("customer_id").ShouldBe(adaId);
        activity.Long("points_awarded").ShouldBe(50);
        ShouldHave(activity["transaction"], "points_transaction", ("id", "string"), ("points", "integer"), ("type", "string"));
        activity["transaction"].GetProperty("type").GetString().ShouldBe("earned");

        // POST /customers/{id}/redemptions {"reward_id"}
        var redemption = await api.PostJsonAsync($"{V1}/customers/{adaId}/redemptions", new { reward_id = reward.GetProperty("id").GetString() });
        redemption.Status.ShouldBe(HttpStatusCode.Created, redemption.Raw);
        ShouldHave(redemption.Body, "redemption", ("id", "string"), ("customer_id", "string"), ("reward_id", "string"),
            ("points_spent", "integer"), ("remaining_balance", "integer"), ("discount_code", "string"), ("apply_mode", "string"));
        redemption.Long("points_spent").ShouldBe(100);
        redemption.Long("remaining_balance").ShouldBe(2010 + 50 - 100);
        redemption.Str("apply_mode").ShouldBe("code");

        // Webhook endpoints: POST, GET list, DELETE
        var endpoint = await api.PostJsonAsync($"{V1}/webhook_endpoints",
            new { url = "https://you.example.com/hook", events = PointsAndRedemptions });
        endpoint.Status.ShouldBe(HttpStatusCode.Created, endpoint.Raw);
        ShouldHave(endpoint.Body, "webhook_endpoint", ("id", "string"), ("url", "string"), ("events", "array"), ("enabled", "boolean"),
            ("secret", "string"));
        endpoint.Str("secret").ShouldStartWith("whsec_");
        var endpoints = await OkAsync(api.GetJsonAsync($"{V1}/webhook_endpoints"));
        ShouldBeList(endpoints, page: 1, limit: 20, total: 1, hasMore: false);
        ShouldHave(endpoints["data"][0], "webhook_endpoint", ("id", "string"), ("url", "string"), ("events", "array"),
            ("enabled", "boolean"), ("last_status", "integer|null"));
        endpoints["data"][0].TryGetProperty("secret", out _).ShouldBeFalse("the secret is only in the create answer");
        var deleted = await OkAsync(api.DeleteJsonAsync($"{V1}/webhook_endpoints/{endpoint.Str("id")}"));
        deleted.Str("id").ShouldBe(endpoint.Str("id"));
        deleted.Str("object").ShouldBe("webhook_endpoint");
        deleted["deleted"].GetBoolean().ShouldBeTrue();
    }

    [Theory, DatabaseData]
    public async Task Errors_have_the_documented_envelope_and_a_rate_limited_key_gets_429_with_retry_after(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var noKey = await server.ClientWithKey(null).GetJsonAsync($"{V1}/program");
        noKey.Code.ShouldBe(401);
        ShouldBeError(noKey, "authentication_error");
        var badKey = await server.ClientWithKey("lzk_live_not_a_patron_key").GetJsonAsync($"{V1}/program");
        badKey.Code.ShouldBe(401);
        ShouldBeError(badKey, "authentication_error").ShouldBe("invalid_api_key");

        var missing = await server.Client.PostJsonAsync($"{V1}/customers/nobody@example.com/points_transactions", new { points = 5 });
        missing.Code.ShouldBe(404);
        ShouldBeError(missing, "not_found_error");
        var invalid = await server.Client.SendRawAsync(HttpMethod.Post, $"{V1}/customers", "{not json");
        invalid.Code.ShouldBe(400);
        ShouldBeError(invalid, "invalid_request_error");
        var noEmail = await server.Client.PostJsonAsync($"{V1}/customers", new { first_name = "Nobody" });
        noEmail.Code.ShouldBe(422);
        ShouldBeError(noEmail, "invalid_request_error");

        var limited = await server.ClientWithScopeAsync(Scope.Read, rateLimitPerMinute: 2);
        (await limited.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200);
        (await limited.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200);
        var refused = await limited.GetJsonAsync($"{V1}/program");
        refused.Code.ShouldBe(429);
        ShouldBeError(refused, "rate_limit_error");
        refused["error"].GetProperty("retry_after").GetInt32().ShouldBeInRange(1, 60);
    }

    [Theory, DatabaseData]
    public async Task A_read_only_key_reads_everything_and_is_refused_every_write_with_403(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client, "ada@example.com", points: 500);
        var reward = await CreatedIdAsync(server.Client, $"{V1}/rewards", new { name = "5 off", type = "amount_discount", points_cost = 100, discount_value = 5 });
        var endpoint = await CreatedIdAsync(server.Client, $"{V1}/webhook_endpoints", new { url = "https://you.example.com/hook" });
        var read = await server.ClientWithScopeAsync(Scope.Read);

        foreach (var path in new[] { "program", "customers", $"customers/{c}", "customers/ada@example.com", $"customers/{c}/points_transactions",
                     "points_transactions", "rewards", "earn_rules", "vip_tiers" })
        {
            (await read.GetJsonAsync($"{V1}/{path}")).Code.ShouldBe(200, path);
        }
        var writes = new (string What, Func<Task<ApiResponse>> Send)[]
        {
            ("create customer", () => read.PostJsonAsync($"{V1}/customers", new { email = "grace@example.com" })),
            ("patch customer", () => read.PatchJsonAsync($"{V1}/customers/{c}", new { last_name = "Hopper" })),
            ("points", () => read.PostJsonAsync($"{V1}/customers/{c}/points_transactions", new { points = 100 })),
            ("activity", () => read.PostJsonAsync($"{V1}/activities", new { customer_id = c, type = "newsletter_signup", points = 50 })),
            ("redemption", () => read.PostJsonAsync($"{V1}/customers/{c}/redemptions", new { reward_id = reward })),
            ("webhook create", () => read.PostJsonAsync($"{V1}/webhook_endpoints", new { url = "https://you.example.com/other" })),
            ("webhook delete", () => read.DeleteJsonAsync($"{V1}/webhook_endpoints/{endpoint}")),
        };
        foreach (var (what, send) in writes)
        {
            var refused = await send();
            refused.Code.ShouldBe(403, what);
            ShouldBeError(refused, "permission_error");
        }
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(500);
        customer["last_name"].ValueKind.ShouldBe(JsonValueKind.Null);
        (await server.Client.TotalAsync($"{V1}/customers")).ShouldBe(1);
        (await server.Client.TotalAsync($"{V1}/webhook_endpoints")).ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Another_programs_customer_is_404_by_id_shopify_id_and_email(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var theirs = await server.NewTenantAsync("other shop");
        var created = await theirs.Write.PostJsonAsync($"{V1}/customers", new { email = "ada@example.com", shopify_customer_id = "6001" });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        var id = created.Str("id");

        foreach (var reference in new[] { id, "6001", "ada@example.com" })
        {
            var found = await server.Client.GetJsonAsync($"{V1}/customers/{reference}");
            found.Code.ShouldBe(404, reference);
            ShouldBeError(found, "not_found_error");
            (await server.Client.PostJsonAsync($"{V1}/customers/{reference}/points_transactions", new { points = 10 })).Code.ShouldBe(404, reference);
            (await server.Client.PostJsonAsync($"{V1}/activities", new { customer_id = reference, type = "newsletter_signup", points = 10 }))
                .Code.ShouldBe(404, reference);
        }
        (await theirs.Read.GetJsonAsync($"{V1}/customers/6001")).Long("points_balance").ShouldBe(0);
    }

    // ---- What a merchant sets comes back ----

    [Theory, DatabaseData]
    public async Task A_rewards_documented_fields_round_trip_and_enabled_filters_rewards_and_earn_rules(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var api = server.Client;

        var created = await api.PostJsonAsync($"{V1}/rewards", new { name = "5 off", type = "amount_discount", points_cost = 100, discount_value = 5, enabled = true });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        var id = created.Str("id");
        var got = await OkAsync(api.GetJsonAsync($"{V1}/rewards/{id}"));
        got.Str("name").ShouldBe("5 off");
        got.Str("type").ShouldBe("amount_discount");
        got.Long("points_cost").ShouldBe(100);
        got["discount_value"].GetDecimal().ShouldBe(5m);
        got["value"].GetDecimal().ShouldBe(5m, "value stays as an alias");
        got["enabled"].GetBoolean().ShouldBeTrue();
        got["variable"].ValueKind.ShouldBe(JsonValueKind.Null);

        (await OkAsync(api.PatchJsonAsync($"{V1}/rewards/{id}", new { discount_value = 7.5m, enabled = false }))).Str("id").ShouldBe(id);
        got = await OkAsync(api.GetJsonAsync($"{V1}/rewards/{id}"));
        got["discount_value"].GetDecimal().ShouldBe(7.5m);
        got["enabled"].GetBoolean().ShouldBeFalse();
        (await OkAsync(api.PatchJsonAsync($"{V1}/rewards/{id}", new { value = 6m }))).Body.GetProperty("discount_value").GetDecimal().ShouldBe(6m);
        var both = await api.PatchJsonAsync($"{V1}/rewards/{id}", new { value = 6m, discount_value = 8m });
        both.Code.ShouldBe(422, both.Raw);

        var variable = await api.PostJsonAsync($"{V1}/rewards",
            new { name = "Pay with points", type = "store_credit", variable = new { points_per_unit = 100, min_points = 200, max_points = 5000 } });
        variable.Status.ShouldBe(HttpStatusCode.Created, variable.Raw);
        var gotVariable = await OkAsync(api.GetJsonAsync($"{V1}/rewards/{variable.Str("id")}"));
        gotVariable["variable"].GetProperty("points_per_unit").GetInt64().ShouldBe(100);
        gotVariable["variable"].GetProperty("min_points").GetInt64().ShouldBe(200);
        gotVariable["variable"].GetProperty("max_points").GetInt64().ShouldBe(5000);
        gotVariable["points_cost"].ValueKind.ShouldBe(JsonValueKind.Null);

        var enabledRewards = await OkAsync(api.GetJsonAsync($"{V1}/rewards?enabled=true"));
        enabledRewards["data"].EnumerateArray().Select(r => r.GetProperty("id").GetString()).ShouldBe([variable.Str("id")]);
        var disabledRewards = await OkAsync(api.GetJsonAsync($"{V1}/rewards?enabled=false"));
        disabledRewards["data"].EnumerateArray().Select(r => r.GetProperty("id").GetString()).ShouldBe([id]);

        var on = await CreatedIdAsync(api, $"{V1}/earn_rules", new { name = "Newsletter", type = "newsletter_signup", points = 50 });
        var off = await CreatedIdAsync(api, $"{V1}/earn_rules", new { name = "Review", type = "review", points = 20, enabled = false });
        (await OkAsync(api.GetJsonAsync($"{V1}/earn_rules?enabled=true")))["data"].EnumerateArray()
            .Select(r => r.GetProperty("id").GetString()).ShouldBe([on]);
        (await OkAsync(api.GetJsonAsync($"{V1}/earn_rules?enabled=false")))["data"].EnumerateArray()
            .Select(r => r.GetProperty("id").GetString()).ShouldBe([off]);
        (await api.GetJsonAsync($"{V1}/rewards?enabled=yes")).Code.ShouldBe(422);
    }

    [Theory, DatabaseData]
    public async Task Vip_tiers_round_trip_and_list_lowest_threshold_first(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var api = server.Client;
        var gold = await api.PostJsonAsync($"{V1}/vip_tiers",
            new { name = "Gold", points_required = 1000, multiplier = 1.5m, discount_type = "percentage", discount_value = 10, free_shipping = true });
        gold.Status.ShouldBe(HttpStatusCode.Created, gold.Raw);
        await CreatedIdAsync(api, $"{V1}/vip_tiers", new { name = "Platinum", points_required = 5000 });
        await CreatedIdAsync(api, $"{V1}/vip_tiers", new { name = "Silver", points_required = 500 });

        var got = await OkAsync(api.GetJsonAsync($"{V1}/vip_tiers/{gold.Str("id")}"));
        got.Str("name").ShouldBe("Gold");
        got.Long("points_required").ShouldBe(1000);
        got["multiplier"].GetDecimal().ShouldBe(1.5m);
        got.Str("discount_type").ShouldBe("percentage");
        got["discount_value"].GetDecimal().ShouldBe(10m);
        got["free_shipping"].GetBoolean().ShouldBeTrue();

        var list = await OkAsync(api.GetJsonAsync($"{V1}/vip_tiers"));
        list["data"].EnumerateArray().Select(t => t.GetProperty("name").GetString()).ShouldBe(["Silver", "Gold", "Platinum"]);
        var first = await OkAsync(api.GetJsonAsync($"{V1}/vip_tiers?limit=2"));
        first["data"].EnumerateArray().Select(t => t.GetProperty("name").GetString()).ShouldBe(["Silver", "Gold"]);
        first["has_more"].GetBoolean().ShouldBeTrue();
        var second = await OkAsync(api.GetJsonAsync($"{V1}/vip_tiers?limit=2&page=2"));
        second["data"].EnumerateArray().Select(t => t.GetProperty("name").GetString()).ShouldBe(["Platinum"]);
        var after = await OkAsync(api.GetJsonAsync($"{V1}/vip_tiers?limit=2&starting_after={first["data"][1].GetProperty("id").GetString()}"));
        after["data"].EnumerateArray().Select(t => t.GetProperty("name").GetString()).ShouldBe(["Platinum"]);
        after["has_more"].GetBoolean().ShouldBeFalse();
    }

    [Theory, DatabaseData]
    public async Task The_programs_shop_domain_live_and_plan_round_trip(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var api = server.Client;

        var before = await OkAsync(api.GetJsonAsync($"{V1}/program"));
        before["shop_domain"].ValueKind.ShouldBe(JsonValueKind.Null);
        before["live"].GetBoolean().ShouldBeTrue();
        before.Str("plan").ShouldBe("self_hosted");

        await SetProgramAsync(api, new
        {
            shop_domain = "your-store.myshopify.com",
            live = false,
            plan = "growth",
            points_per_unit = 1,
            currency = "USD",
            points_delay_days = 0,
            points_expiry_days = 365,
        });
        var after = await OkAsync(api.GetJsonAsync($"{V1}/program"));
        after.Str("object").ShouldBe("program");
        after.Str("shop_domain").ShouldBe("your-store.myshopify.com");
        after["live"].GetBoolean().ShouldBeFalse();
        after.Str("plan").ShouldBe("growth");
        after["points_per_unit"].GetDecimal().ShouldBe(1m);
        after.Str("currency").ShouldBe("USD");
        after.Long("points_delay_days").ShouldBe(0);
        after.Long("points_expiry_days").ShouldBe(365);

        (await api.PatchJsonAsync($"{V1}/program", new { shop_domain = "not a domain/" })).Code.ShouldBe(422);
        (await api.PatchJsonAsync($"{V1}/program", new { plan = new string('p', 51) })).Code.ShouldBe(422);
        (await api.PatchJsonAsync($"{V1}/program", new { plan = "" })).Code.ShouldBe(422);
        await SetProgramAsync(api, new { shop_domain = "" });
        (await OkAsync(api.GetJsonAsync($"{V1}/program")))["shop_domain"].ValueKind.ShouldBe(JsonValueKind.Null);
        var read = await server.ClientWithScopeAsync(Scope.Read);
        (await read.GetJsonAsync($"{V1}/program")).Str("plan").ShouldBe("growth");
    }

    [Theory, DatabaseData]
    public async Task A_webhook_endpoints_documented_fields_round_trip(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var api = server.Client;

        var created = await api.PostJsonAsync($"{V1}/webhook_endpoints", new
        {
            url = "https://you.example.com/hook",
            events = PointsAndRedemptions,
            description = "CRM sync",
            signature_scheme = "loyalino",
        });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        var id = created.Str("id");
        var got = await OkAsync(api.GetJsonAsync($"{V1}/webhook_endpoints/{id}"));
        got.Str("url").ShouldBe("https://you.example.com/hook");
        got["events"].EnumerateArray().Select(e => e.GetString()).ShouldBe(["points.created", "redemption.created"]);
        got.Str("description").ShouldBe("CRM sync");
        got["enabled"].GetBoolean().ShouldBeTrue();
        got["last_status"].ValueKind.ShouldBe(JsonValueKind.Null);
        got.Str("signature_scheme").ShouldBe("loyalino");

        await OkAsync(api.PatchJsonAsync($"{V1}/webhook_endpoints/{id}", new
        {
            url = "https://you.example.com/hook2",
            events = AllEvents,
            enabled = false,
            description = "Other",
            signature_scheme = "patron",
        }));
        got = await OkAsync(api.GetJsonAsync($"{V1}/webhook_endpoints/{id}"));
        got.Str("url").ShouldBe("https://you.example.com/hook2");
        got["events"].EnumerateArray().Select(e => e.GetString()).ShouldBe(["*"]);
        got["enabled"].GetBoolean().ShouldBeFalse();
        got.Str("description").ShouldBe("Other");
        got.Str("signature_scheme").ShouldBe("patron");

        var plain = await api.PostJsonAsync($"{V1}/webhook_endpoints", new { url = "https://you.example.com/plain" });
        plain.Str("signature_scheme").ShouldBe("patron");
        var wrong = await api.PatchJsonAsync($"{V1}/webhook_endpoints/{id}", new { signature_scheme = "stripe" });
        wrong.Code.ShouldBe(422);
        wrong["error"].GetProperty("param").GetString().ShouldBe("signature_scheme");
    }

    // ---- Behaviour the reference promises ----

    [Theory, DatabaseData]
    public async Task Activities_take_the_customer_as_patron_id_shopify_id_or_email(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await OkAsync(server.Client.PostJsonAsync($"{V1}/customers", new { email = "ada@example.com", shopify_customer_id = "6001" }));
        var id = created.Str("id");

        foreach (var (reference, n) in new[] { (id, 1), ("6001", 2), ("ada@example.com", 3) })
        {
            var activity = await server.Client.PostJsonAsync($"{V1}/activities", new { customer_id = reference, type = "newsletter_signup", points = 50 });
            activity.Status.ShouldBe(HttpStatusCode.Created, activity.Raw);
            activity.Str("customer_id").ShouldBe(id);
            (await BalanceAsync(server.Client, id)).ShouldBe(50 * n);
        }
    }

    [Theory, DatabaseData]
    public async Task A_points_transaction_type_is_a_free_label_stored_returned_and_filtered_on_exactly(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var api = server.Client;
        var c = await NewCustomerAsync(api);

        var bonus = await api.PostJsonAsync(PointsPath(c), new { points = 100, type = "birthday_bonus", description = "Birthday bonus" });
        bonus.Status.ShouldBe(HttpStatusCode.Created, bonus.Raw);
        bonus.Str("type").ShouldBe("birthday_bonus");
        bonus.Str("kind").ShouldBe("earned");
        var penalty = await api.PostJsonAsync(PointsPath(c), new { points = -30, type = "Manual correction" });
        penalty.Status.ShouldBe(HttpStatusCode.Created, penalty.Raw);
        penalty.Str("type").ShouldBe("Manual correction");
        penalty.Str("kind").ShouldBe("redeemed");
        (await OkAsync(api.PostJsonAsync(PointsPath(c), new { points = 20, type = "adjusted" }))).Str("kind").ShouldBe("adjusted");

        var customer = await CustomerAsync(api, c);
        customer.Long("points_balance").ShouldBe(90);
        customer.Long("lifetime_points").ShouldBe(120);
        customer.Long("points_spent").ShouldBe(30);

        (await OkAsync(api.GetJsonAsync($"{V1}/points_transactions/{bonus.Str("id")}"))).Str("type").ShouldBe("birthday_bonus");
        var labelled = await OkAsync(api.GetJsonAsync($"{V1}/points_transactions?type=birthday_bonus"));
        labelled["data"].EnumerateArray().Select(e => e.GetProperty("id").GetString()).ShouldBe([bonus.Str("id")]);
        (await api.TotalAsync($"{V1}/points_transactions?type=earned")).ShouldBe(0);
        (await api.TotalAsync($"{V1}/points_transactions?type=adjusted")).ShouldBe(1);
        (await api.TotalAsync($"{V1}/points_transactions?type=Birthday_bonus")).ShouldBe(0);
        (await api.TotalAsync($"{V1}/points_transactions?type=manual%20correction")).ShouldBe(0);
        (await api.TotalAsync($"{V1}/points_transactions?type=Manual%20correction")).ShouldBe(1);

        var events = await OkAsync(api.GetJsonAsync($"{V1}/events?type=points.created"));
        events["data"].EnumerateArray().Select(e => e.GetProperty("data").GetProperty("type").GetString())
            .ShouldContain("birthday_bonus");

        foreach (var bad in new[] { new string('x', 51), "expired", "reversed", "Refunded", "tab\there", "" })
        {
            var refused = await api.PostJsonAsync(PointsPath(c), new { points = 5, type = bad });
            refused.Code.ShouldBe(422, bad);
            refused["error"].GetProperty("param").GetString().ShouldBe("type", bad);
        }
        (await BalanceAsync(api, c)).ShouldBe(90);
    }

    [Theory, DatabaseData]
    public async Task A_points_transaction_retried_with_the_same_Idempotency_Key_credits_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await NewCustomerAsync(server.Client, "ada@example.com");
        var body = new { points = 100, type = "earned", description = "Birthday bonus" };

        var answers = await ParallelAsync(8, _ => server.Client.PostJsonAsync(PointsPath("ada@example.com"), body, idempotencyKey: "retry-1"));
        answers.ShouldAllBe(a => a.Code == 201);
        var created = answers.ToList();
        created.Select(a => a.Str("id")).Distinct().Count().ShouldBe(1);
        var again = await server.Client.PostJsonAsync(PointsPath("ada@example.com"), body, idempotencyKey: "retry-1");
        again.Code.ShouldBe(201, again.Raw);
        again.Str("id").ShouldBe(created[0].Str("id"));
        again.Header("Idempotent-Replayed").ShouldBe("true");

        (await BalanceAsync(server.Client, c)).ShouldBe(100);
        (await server.Client.TotalAsync(PointsPath(c))).ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task A_placed_orders_points_are_pending_until_paid_and_vanish_when_it_is_cancelled(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var api = server.Client;
        var c = await NewCustomerAsync(api);

        var placed = await api.PostJsonAsync($"{V1}/orders", new { id = "P-1", customer_id = c, total = 40m });
        placed.Status.ShouldBe(HttpStatusCode.Created, placed.Raw);
        placed.Long("points_pending").ShouldBe(40);
        var customer = await CustomerAsync(api, c);
        customer.Long("pending_points").ShouldBe(40);
        customer.Long("points_balance").ShouldBe(0);
        customer.Long("lifetime_points").ShouldBe(0);
        (await OkAsync(api.GetJsonAsync($"{V1}/customers?email={customer.Str("email")}")))["data"][0].GetProperty("pending_points").GetInt64().ShouldBe(40);

        // A second placed order adds to it; raising its total raises it.
        await OkAsync(api.PostJsonAsync($"{V1}/orders", new { id = "P-2", customer_id = c, total = 25m }));
        (await CustomerAsync(api, c)).Long("pending_points").ShouldBe(65);
        await OkAsync(api.PatchJsonAsync($"{V1}/orders/P-2", new { total = 30m }));
        (await CustomerAsync(api, c)).Long("pending_points").ShouldBe(70);

        // Paid: P-1's pending points become earned.
        var paid = await OkAsync(api.PostJsonAsync($"{V1}/orders/P-1/paid"));
        paid.Long("points_pending").ShouldBe(0);
        paid.Long("points_credited").ShouldBe(40);
        customer = await CustomerAsync(api, c);
        customer.Long("pending_points").ShouldBe(30);
        customer.Long("points_balance").ShouldBe(40);

        // Cancelled: P-2's pending points vanish, and nothing is written to the ledger for them.
        var cancelled = await OkAsync(api.PostJsonAsync($"{V1}/orders/P-2/cancel"));
        cancelled.Long("points_pending").ShouldBe(0);
        customer = await CustomerAsync(api, c);
        customer.Long("pending_points").ShouldBe(0);
        customer.Long("points_balance").ShouldBe(40);
        (await LedgerAsync(api, c)).Select(e => (e.Points, e.OrderId)).ShouldBe([(40L, "P-1")]);
    }

    [Theory, DatabaseData]
    public async Task A_placed_order_with_a_points_delay_stays_pending_through_payment_until_due(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        var api = server.Client;
        await SetProgramAsync(api, new { points_delay_days = 14 });
        var c = await NewCustomerAsync(api);

        await OkAsync(api.PostJsonAsync($"{V1}/orders", new { id = "D-1", customer_id = c, total = 80m }));
        (await CustomerAsync(api, c)).Long("pending_points").ShouldBe(80);
        await OkAsync(api.PostJsonAsync($"{V1}/orders/D-1/paid"));
        var customer = await CustomerAsync(api, c);
        customer.Long("pending_points").ShouldBe(80);
        customer.Long("points_balance").ShouldBe(0);
        // Resending the placed state of a paid order changes nothing.
        await OkAsync(api.PostJsonAsync($"{V1}/orders", new { id = "D-1", customer_id = c, total = 80m, status = "placed" }));
        (await CustomerAsync(api, c)).Long("pending_points").ShouldBe(80);
    }

    // ---- Webhooks as Loyalino signs them ----

    /// <summary>
    /// Loyalino's reference verify function, ported line by line:
    /// <code>
    /// const parts = Object.fromEntries(header.split(",").map((p) => p.split("=")));
    /// const expected = crypto.createHmac("sha256", secret).update(parts.t + "." + rawBody).digest("hex");
    /// return crypto.timingSafeEqual(Buffer.from(parts.v1, "hex"), Buffer.from(expected, "hex"));
    /// </code>
    /// </summary>
    private static bool Verify(string secret, string header, string rawBody)
    {
        var parts = header.Split(",").Select(p => p.Split("=")).ToDictionary(p => p[0], p => p[1]);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(parts["t"] + "." + rawBody)));
        var given = Convert.FromHexString(parts["v1"]);
        var wanted = Convert.FromHexString(expected);
        // timingSafeEqual throws on buffers of different lengths.
        return given.Length == wanted.Length ? CryptographicOperations.FixedTimeEquals(given, wanted) : throw new ArgumentException("length");
    }

    [Theory, DatabaseData]
    public async Task A_receiver_written_from_the_Loyalino_reference_accepts_a_real_delivery(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var verified = new List<bool>();
        string? secret = null;
        receiver.Respond = (request, http) =>
        {
            var ok = request.Headers.TryGetValue("Loyalino-Signature", out var header) && Verify(secret!, header, request.Text);
            lock (verified)
            {
                verified.Add(ok);
            }
            http.Response.StatusCode = ok ? 200 : 400;
            return Task.CompletedTask;
        };
        await using var server = await WebhookKit.StartServerAsync(database, manual: false);
        var api = server.Client;
        var created = await api.PostJsonAsync($"{V1}/webhook_endpoints",
            new { url = receiver.Url(), events = PointsCreated, signature_scheme = "loyalino" });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        secret = created.Str("secret");
        var c = await NewCustomerAsync(api, "ada@example.com");

        var tx = await OkAsync(api.PostJsonAsync(PointsPath(c), new { points = 100, type = "earned" }));

        var requests = await receiver.WaitForAsync(r => r.Count >= 1, TimeSpan.FromSeconds(30), "the points.created delivery");
        var delivery = requests[0];
        var body = delivery.Json;
        body.EnumerateObject().Select(p => p.Name).ShouldBe(["id", "object", "type", "created_at", "data"]);
        body.GetProperty("id").GetString()!.ShouldStartWith("evt_");
        body.GetProperty("object").GetString().ShouldBe("event");
        body.GetProperty("type").GetString().ShouldBe("points.created");
        IsTimestamp(body.GetProperty("created_at")).ShouldBeTrue();
        body.GetProperty("data").GetProperty("customer_id").GetString().ShouldBe(c);
        body.GetProperty("data").GetProperty("points").GetInt64().ShouldBe(100);
        body.GetProperty("data").GetProperty("id").GetString().ShouldBe(tx.Str("id"));
        var t = long.Parse(delivery.Header("Loyalino-Signature").Split(',')[0]["t=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - t).ShouldBeLessThan(300);
        // A tampered body does not verify.
        Verify(secret, delivery.Header("Loyalino-Signature"), delivery.Text.Replace("100", "900", StringComparison.Ordinal)).ShouldBeFalse();

        // The endpoint shows the receiver's answer.
        var endpoint = await api.GetJsonAsync($"{V1}/webhook_endpoints/{created.Str("id")}");
        for (var i = 0; i < 100 && endpoint["last_status"].ValueKind == JsonValueKind.Null; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            endpoint = await api.GetJsonAsync($"{V1}/webhook_endpoints/{created.Str("id")}");
        }
        endpoint.Long("last_status").ShouldBe(200);
        (await OkAsync(api.GetJsonAsync($"{V1}/webhook_endpoints")))["data"][0].GetProperty("last_status").GetInt32().ShouldBe(200);
        // The receiver records a request before its verify function answers it: read what verify said once
        // the answer has reached Patron (last_status above).
        lock (verified)
        {
            verified.ShouldBe([true]);
        }
    }

    [Theory, DatabaseData]
    public async Task An_endpoint_with_the_default_scheme_gets_no_Loyalino_signature_and_last_status_records_a_failure(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, http) =>
        {
            http.Response.StatusCode = 503;
            return Task.CompletedTask;
        };
        await using var server = await WebhookKit.StartServerAsync(database);
        var (id, _) = await server.Client.CreateEndpointAsync(receiver.Url(), ["customer.created"]);
        await NewCustomerAsync(server.Client);

        (await server.DispatchAsync()).ShouldBe(1);
        var delivery = receiver.Requests.ShouldHaveSingleItem();
        delivery.Headers.ContainsKey("Loyalino-Signature").ShouldBeFalse();
        delivery.Headers.ContainsKey("Patron-Signature").ShouldBeTrue();
        (await server.Client.GetJsonAsync($"{V1}/webhook_endpoints/{id}")).Long("last_status").ShouldBe(503);
    }

    // ---- Helpers ----

    /// <summary>A program set up as in the reference's examples: a reward, two earn rules, two tiers.</summary>
    private static async Task SetUpProgramAsync(HttpClient api)
    {
        await SetProgramAsync(api, new { shop_domain = "your-store.myshopify.com", plan = "growth", points_expiry_days = 365 });
        await CreatedIdAsync(api, $"{V1}/rewards", new { name = "5 off", type = "amount_discount", points_cost = 100, discount_value = 5 });
        await CreatedIdAsync(api, $"{V1}/earn_rules", new { name = "Place an order", type = "place_order", points_per_unit = 1 });
        await CreatedIdAsync(api, $"{V1}/earn_rules", new { name = "Newsletter", type = "newsletter_signup", points = 50 });
        await CreatedIdAsync(api, $"{V1}/vip_tiers",
            new { name = "Gold", points_required = 1000, multiplier = 1.5m, discount_type = "percentage", discount_value = 10, free_shipping = true });
        await CreatedIdAsync(api, $"{V1}/vip_tiers",
            new { name = "Silver", points_required = 500, multiplier = 1.2m, discount_type = "amount", discount_value = 5, free_shipping = false });
    }

    private static void ShouldBeFullCustomer(JsonElement customer) =>
        ShouldHave(customer, "customer", ("id", "string"), ("email", "string"), ("first_name", "string"), ("last_name", "string"),
            ("points_balance", "integer"), ("lifetime_points", "integer"), ("pending_points", "integer"), ("vip_tier", "string|null"),
            ("total_spent", "number"), ("created_at", "timestamp"));

    private static void ShouldBeList(ApiResponse list, int page, int limit, long total, bool hasMore)
    {
        list.Body.EnumerateObject().Select(p => p.Name).ShouldBe(["object", "data", "page", "limit", "total_count", "has_more"], ignoreOrder: true);
        list.Str("object").ShouldBe("list");
        list["data"].ValueKind.ShouldBe(JsonValueKind.Array);
        list["page"].GetInt32().ShouldBe(page);
        list["limit"].GetInt32().ShouldBe(limit);
        list.Long("total_count").ShouldBe(total, list.Raw);
        list["has_more"].GetBoolean().ShouldBe(hasMore);
    }

    /// <summary>The error envelope <c>{"error":{"type","code","message"}}</c>; returns the code.</summary>
    private static string ShouldBeError(ApiResponse response, string type)
    {
        var error = response["error"];
        error.GetProperty("type").GetString().ShouldBe(type, response.Raw);
        error.GetProperty("code").GetString().ShouldNotBeNullOrWhiteSpace();
        error.GetProperty("message").GetString().ShouldNotBeNullOrWhiteSpace();
        return error.GetProperty("code").GetString()!;
    }

    /// <summary>
    /// The object has <c>"object": objectName</c> and each field with a JSON value of the given kind:
    /// <c>string</c>, <c>integer</c>, <c>number</c>, <c>boolean</c>, <c>array</c>, <c>object</c>, <c>null</c>,
    /// <c>timestamp</c> (ISO-8601 UTC with milliseconds), or two of them as <c>a|b</c>.
    /// </summary>
    private static void ShouldHave(JsonElement e, string objectName, params (string Name, string Kind)[] fields)
    {
        e.GetProperty("object").GetString().ShouldBe(objectName, e.GetRawText());
        foreach (var (name, kind) in fields)
        {
            e.TryGetProperty(name, out var value).ShouldBeTrue($"{objectName}.{name} is missing: {e.GetRawText()}");
            kind.Split('|').Any(k => Is(value, k)).ShouldBeTrue($"{objectName}.{name} should be {kind}: {value.GetRawText()}");
        }
    }

    private static bool Is(JsonElement value, string kind) => kind switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "array" => value.ValueKind == JsonValueKind.Array,
        "object" => value.ValueKind == JsonValueKind.Object,
        "null" => value.ValueKind == JsonValueKind.Null,
        "timestamp" => IsTimestamp(value),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind),
    };

    private static bool IsTimestamp(JsonElement value) =>
        value.ValueKind == JsonValueKind.String
        && System.Text.RegularExpressions.Regex.IsMatch(value.GetString()!, @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$");
}
