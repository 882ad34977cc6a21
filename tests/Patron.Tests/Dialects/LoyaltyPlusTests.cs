using System.Net;
using System.Text.Json;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Dialects;

/// <summary>
/// The Loyalty+ dialect (docs/migrate/loyaltyplus.md) over HTTP on both databases: every request of
/// Loyalty+'s reference replayed with its documented answer checked field by field, its keys, its
/// error shape, tenancy, idempotent retries, parallel redemptions, blocked customers, and the same
/// changes seen through the native API and its events.
/// </summary>
public sealed class LoyaltyPlusTests
{
    private const string Base = "/compat/loyaltyplus/v1";
    private const string Phone = "+353123456789";

    /// <summary>A till's client: the key in X-API-Key, as Loyalty+'s POS routes take it.</summary>
    private static HttpClient Pos(PatronServer server, string secret)
    {
        var client = server.ClientWithKey(null);
        client.DefaultRequestHeaders.Add("X-API-Key", secret);
        return client;
    }

    private static async Task<string> KeyAsync(PatronServer server, Scope scope, string? programId = null) =>
        (await Admin.CreateKeyAsync(server.WritePath, programId ?? server.ProgramId, scope))!.Value.Secret;

    /// <summary>Creates a customer through the owner route and returns their id.</summary>
    private static async Task<string> CreateAsync(HttpClient owner, string phone = Phone, long initialPoints = 0, string name = "John Doe")
    {
        var created = await owner.PostJsonAsync($"{Base}/owner/customers", new { name, phone, initialPoints });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return created["customer"].GetProperty("id").GetString()!;
    }

    private static async Task<string> RewardAsync(HttpClient admin, string name, long cost, bool enabled = true) =>
        await CreatedIdAsync(admin, "/api/v1/rewards", new { name, type = "custom", points_cost = cost, enabled });

    private static void ShouldBeError(ApiResponse response, HttpStatusCode status, string code)
    {
        response.Status.ShouldBe(status, response.Raw);
        response["success"].GetBoolean().ShouldBeFalse(response.Raw);
        response.Str("code").ShouldBe(code, response.Raw);
        response.Str("error").ShouldNotBeNullOrWhiteSpace();
        response.Body.EnumerateObject().Select(p => p.Name).Order().ToList().ShouldBe(new List<string> { "code", "error", "success" }, response.Raw);
    }

    [Theory, DatabaseData]
    public async Task Every_request_of_the_reference_answers_in_its_documented_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var owner = server.Client;
        var pos = Pos(server, server.AdminKey);
        await RewardAsync(owner, "Free Coffee", 100);
        await RewardAsync(owner, "Free Cake", 300);

        // POST /v1/owner/customers
        var created = await owner.PostJsonAsync($"{Base}/owner/customers",
            new { name = "John Doe", phone = Phone, notes = "VIP customer", initialPoints = 50 });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        created["success"].GetBoolean().ShouldBeTrue();
        var customer = created["customer"];
        var id = customer.GetProperty("id").GetString()!;
        id.ShouldStartWith("cus_");
        customer.GetProperty("name").GetString().ShouldBe("John Doe");
        customer.GetProperty("phone").GetString().ShouldBe(Phone);
        customer.GetProperty("totalPoints").GetInt64().ShouldBe(50);
        customer.GetProperty("status").GetString().ShouldBe("ACTIVE");
        customer.GetProperty("notes").GetString().ShouldBe("VIP customer");

        // POST /v1/pos/checkin, as in the reference (amount in spend mode; units recorded too)
        var checkin = await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, storeId = "cuid_optional", amount = 25.5m, units = 3 });
        checkin.Status.ShouldBe(HttpStatusCode.OK, checkin.Raw);
        checkin.Body.EnumerateObject().Select(p => p.Name).ShouldBe(
            ["success", "customerId", "pointsAwarded", "totalPoints", "rewardThreshold", "rewardAvailable"]);
        checkin["success"].GetBoolean().ShouldBeTrue();
        checkin.Str("customerId").ShouldBe(id);
        checkin.Long("pointsAwarded").ShouldBe(25);
        checkin.Long("totalPoints").ShouldBe(75);
        checkin.Long("rewardThreshold").ShouldBe(100);
        checkin["rewardAvailable"].GetBoolean().ShouldBeFalse();

        // The reference's curl example: phone and amount only, by customerId this time.
        var second = await pos.PostJsonAsync($"{Base}/pos/checkin", new { customerId = id, amount = 50m });
        second.Status.ShouldBe(HttpStatusCode.OK, second.Raw);
        second.Long("pointsAwarded").ShouldBe(50);
        second.Long("totalPoints").ShouldBe(125);
        second["rewardAvailable"].GetBoolean().ShouldBeTrue();

        // GET /v1/pos/customer/:identifier, by phone and by id
        foreach (var identifier in new[] { Phone, id })
        {
            var found = await pos.GetJsonAsync($"{Base}/pos/customer/{identifier}");
            found.Status.ShouldBe(HttpStatusCode.OK, found.Raw);
            found.Body.EnumerateObject().Select(p => p.Name).ShouldBe(["customerId", "name", "phone", "status", "totalPoints", "rewardAvailable"]);
            found.Str("customerId").ShouldBe(id);
            found.Str("name").ShouldBe("John Doe");
            found.Str("phone").ShouldBe(Phone);
            found.Str("status").ShouldBe("ACTIVE");
            found.Long("totalPoints").ShouldBe(125);
            found["rewardAvailable"].GetBoolean().ShouldBeTrue();
        }

        // GET /v1/pos/balance/:identifier
        var balance = await pos.GetJsonAsync($"{Base}/pos/balance/{Phone}");
        balance.Status.ShouldBe(HttpStatusCode.OK, balance.Raw);
        balance.Body.EnumerateObject().Select(p => p.Name).ShouldBe(["customerId", "totalPoints"]);
        balance.Str("customerId").ShouldBe(id);
        balance.Long("totalPoints").ShouldBe(125);

        // POST /v1/pos/redeem
        var redeemed = await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 100 });
        redeemed.Status.ShouldBe(HttpStatusCode.OK, redeemed.Raw);
        redeemed.Body.EnumerateObject().Select(p => p.Name).ShouldBe(["success", "redemptionId", "pointsRedeemed", "rewardTitle", "remainingPoints"]);
        redeemed["success"].GetBoolean().ShouldBeTrue();
        redeemed.Str("redemptionId").ShouldStartWith("red_");
        redeemed.Long("pointsRedeemed").ShouldBe(100);
        redeemed.Str("rewardTitle").ShouldBe("Free Coffee");
        redeemed.Long("remainingPoints").ShouldBe(25);

        // GET /v1/owner/customers
        var list = await owner.GetJsonAsync($"{Base}/owner/customers");
        list.Status.ShouldBe(HttpStatusCode.OK, list.Raw);
        var items = list["customers"].EnumerateArray().ToList();
        items.Count.ShouldBe(1);
        items[0].GetProperty("id").GetString().ShouldBe(id);
        items[0].GetProperty("name").GetString().ShouldBe("John Doe");
        items[0].GetProperty("totalPoints").GetInt64().ShouldBe(25);
        list["pagination"].GetProperty("page").GetInt32().ShouldBe(1);
        list["pagination"].GetProperty("limit").GetInt32().ShouldBe(20);
        list["pagination"].GetProperty("total").GetInt64().ShouldBe(1);

        // GET /v1/owner/customers/:id
        var details = await owner.GetJsonAsync($"{Base}/owner/customers/{id}");
        details.Status.ShouldBe(HttpStatusCode.OK, details.Raw);
        details["customer"].GetProperty("id").GetString().ShouldBe(id);
        details["customer"].GetProperty("name").GetString().ShouldBe("John Doe");
        details["customer"].GetProperty("status").GetString().ShouldBe("ACTIVE");
        details.Long("totalPoints").ShouldBe(25);
        var history = details["pointsHistory"].EnumerateArray().ToList();
        history.Select(h => h.GetProperty("delta").GetInt64()).ShouldBe([-100, 50, 25, 50]);
        history[0].GetProperty("reason").GetString().ShouldBe("Redeemed: Free Coffee");
        history[^1].GetProperty("reason").GetString().ShouldBe("Initial points");

        // PATCH /v1/owner/customers/:id
        var updated = await owner.PatchJsonAsync($"{Base}/owner/customers/{id}", new { name = "Jane Doe", phone = "+353987654321", status = "BLOCKED" });
        updated.Status.ShouldBe(HttpStatusCode.OK, updated.Raw);
        updated["success"].GetBoolean().ShouldBeTrue();
        updated["customer"].GetProperty("id").GetString().ShouldBe(id);
        updated["customer"].GetProperty("name").GetString().ShouldBe("Jane Doe");
        updated["customer"].GetProperty("status").GetString().ShouldBe("BLOCKED");
        updated["customer"].GetProperty("phone").GetString().ShouldBe("+353987654321");

        // The same update sent as PUT: unblocks.
        var put = await owner.SendRawAsync(HttpMethod.Put, $"{Base}/owner/customers/{id}", """{"status":"ACTIVE"}""");
        put.Status.ShouldBe(HttpStatusCode.OK, put.Raw);
        put["customer"].GetProperty("status").GetString().ShouldBe("ACTIVE");
        put["customer"].GetProperty("name").GetString().ShouldBe("Jane Doe");

        // POST /v1/owner/customers/:id/points
        var adjusted = await owner.PostJsonAsync($"{Base}/owner/customers/{id}/points", new { points = -20, reason = "Refund for cancelled order" });
        adjusted.Status.ShouldBe(HttpStatusCode.OK, adjusted.Raw);
        adjusted.Body.EnumerateObject().Select(p => p.Name).ShouldBe(["success", "newBalance", "adjustment"]);
        adjusted["success"].GetBoolean().ShouldBeTrue();
        adjusted.Long("newBalance").ShouldBe(5);
        adjusted.Long("adjustment").ShouldBe(-20);

        // DELETE /v1/owner/customers/:id
        var deleted = await owner.DeleteJsonAsync($"{Base}/owner/customers/{id}");
        deleted.Status.ShouldBe(HttpStatusCode.OK, deleted.Raw);
        deleted["success"].GetBoolean().ShouldBeTrue();
        deleted.Str("message").ShouldBe("Customer deleted permanently");
        ShouldBeError(await owner.GetJsonAsync($"{Base}/owner/customers/{id}"), HttpStatusCode.NotFound, "resource_missing");
        ShouldBeError(await pos.GetJsonAsync($"{Base}/pos/balance/+353987654321"), HttpStatusCode.NotFound, "resource_missing");
    }

    [Theory, DatabaseData]
    public async Task Without_a_key_or_with_a_wrong_one_every_route_is_401_in_the_dialect_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var anonymous = server.ClientWithKey(null);
        ShouldBeError(await anonymous.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 1 }), HttpStatusCode.Unauthorized, "missing_api_key");
        ShouldBeError(await anonymous.GetJsonAsync($"{Base}/pos/balance/{Phone}"), HttpStatusCode.Unauthorized, "missing_api_key");
        ShouldBeError(await anonymous.GetJsonAsync($"{Base}/owner/customers"), HttpStatusCode.Unauthorized, "missing_api_key");
        ShouldBeError(await anonymous.GetJsonAsync($"{Base}/no/such/route"), HttpStatusCode.Unauthorized, "missing_api_key");
        ShouldBeError(await Pos(server, "sk_not_a_key").GetJsonAsync($"{Base}/pos/balance/{Phone}"), HttpStatusCode.Unauthorized, "invalid_api_key");
        // The owner routes read the key from Authorization: Bearer only.
        ShouldBeError(await Pos(server, server.AdminKey).GetJsonAsync($"{Base}/owner/customers"), HttpStatusCode.Unauthorized, "missing_api_key");
        // With a key, an unknown route is 404 in the same shape; the POS routes take a Bearer key too.
        ShouldBeError(await server.Client.GetJsonAsync($"{Base}/no/such/route"), HttpStatusCode.NotFound, "route_not_found");
        ShouldBeError(await server.Client.GetJsonAsync($"{Base}/pos/balance/{Phone}"), HttpStatusCode.NotFound, "resource_missing");
    }

    [Theory, DatabaseData]
    public async Task A_read_key_may_look_up_at_the_till_but_gets_403_on_writes_and_on_every_owner_route(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await CreateAsync(server.Client, initialPoints: 10);
        var readKey = await KeyAsync(server, Scope.Read);
        var readPos = Pos(server, readKey);
        var readOwner = server.ClientWithKey(readKey);

        (await readPos.GetJsonAsync($"{Base}/pos/balance/{Phone}")).Long("totalPoints").ShouldBe(10);
        (await readPos.GetJsonAsync($"{Base}/pos/customer/{id}")).Code.ShouldBe(200);
        ShouldBeError(await readPos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 5 }), HttpStatusCode.Forbidden, "insufficient_scope");
        ShouldBeError(await readPos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 5 }), HttpStatusCode.Forbidden, "insufficient_scope");
        ShouldBeError(await readOwner.GetJsonAsync($"{Base}/owner/customers"), HttpStatusCode.Forbidden, "insufficient_scope");
        ShouldBeError(await readOwner.GetJsonAsync($"{Base}/owner/customers/{id}"), HttpStatusCode.Forbidden, "insufficient_scope");
        ShouldBeError(await readOwner.PostJsonAsync($"{Base}/owner/customers", new { name = "A B", phone = "+353111111111" }), HttpStatusCode.Forbidden, "insufficient_scope");
        ShouldBeError(await readOwner.PostJsonAsync($"{Base}/owner/customers/{id}/points", new { points = 5 }), HttpStatusCode.Forbidden, "insufficient_scope");
        ShouldBeError(await readOwner.DeleteJsonAsync($"{Base}/owner/customers/{id}"), HttpStatusCode.Forbidden, "insufficient_scope");
        (await BalanceAsync(server.Client, id)).ShouldBe(10);

        // A write key is enough for the owner routes.
        var writeOwner = server.ClientWithKey(await KeyAsync(server, Scope.Write));
        (await writeOwner.GetJsonAsync($"{Base}/owner/customers/{id}")).Code.ShouldBe(200);
    }

    [Theory, DatabaseData]
    public async Task Another_programs_customer_is_404_by_id_and_by_phone(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (_, otherAdmin) = await server.CreateProgramAsync();
        var theirs = await CreateAsync(otherAdmin, initialPoints: 500);
        await RewardAsync(server.Client, "Free Coffee", 100);
        var pos = Pos(server, server.AdminKey);
        var owner = server.Client;

        foreach (var identifier in new[] { theirs, Phone })
        {
            ShouldBeError(await pos.GetJsonAsync($"{Base}/pos/customer/{identifier}"), HttpStatusCode.NotFound, "resource_missing");
            ShouldBeError(await pos.GetJsonAsync($"{Base}/pos/balance/{identifier}"), HttpStatusCode.NotFound, "resource_missing");
            ShouldBeError(await owner.GetJsonAsync($"{Base}/owner/customers/{identifier}"), HttpStatusCode.NotFound, "resource_missing");
            ShouldBeError(await owner.PatchJsonAsync($"{Base}/owner/customers/{identifier}", new { status = "BLOCKED" }), HttpStatusCode.NotFound, "resource_missing");
            ShouldBeError(await owner.PostJsonAsync($"{Base}/owner/customers/{identifier}/points", new { points = -100 }), HttpStatusCode.NotFound, "resource_missing");
            ShouldBeError(await owner.DeleteJsonAsync($"{Base}/owner/customers/{identifier}"), HttpStatusCode.NotFound, "resource_missing");
        }
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 10 }), HttpStatusCode.NotFound, "resource_missing");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { customerId = theirs, amount = 10 }), HttpStatusCode.NotFound, "resource_missing");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 100 }), HttpStatusCode.NotFound, "resource_missing");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/redeem", new { customerId = theirs, points = 100 }), HttpStatusCode.NotFound, "resource_missing");
        (await owner.GetJsonAsync($"{Base}/owner/customers")).Body.GetProperty("pagination").GetProperty("total").GetInt64().ShouldBe(0);

        var untouched = await otherAdmin.GetJsonAsync($"{Base}/owner/customers/{theirs}");
        untouched.Long("totalPoints").ShouldBe(500);
        untouched["customer"].GetProperty("status").GetString().ShouldBe("ACTIVE");
        untouched["pointsHistory"].GetArrayLength().ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task A_retried_checkin_or_redeem_with_the_same_idempotency_key_counts_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await CreateAsync(server.Client);
        await RewardAsync(server.Client, "Free Coffee", 20);
        var pos = Pos(server, server.AdminKey);

        var first = await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 30 }, idempotencyKey: "visit-1");
        var retry = await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 30 }, idempotencyKey: "visit-1");
        first.Code.ShouldBe(200, first.Raw);
        retry.Code.ShouldBe(200, retry.Raw);
        retry.Raw.ShouldBe(first.Raw);
        retry.Header("Idempotent-Replayed").ShouldBe("true");
        (await BalanceAsync(server.Client, id)).ShouldBe(30);
        (await LedgerAsync(server.Client, id)).Count.ShouldBe(1);

        var redeem = await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 20 }, idempotencyKey: "redeem-1");
        var again = await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 20 }, idempotencyKey: "redeem-1");
        redeem.Code.ShouldBe(200, redeem.Raw);
        again.Str("redemptionId").ShouldBe(redeem.Str("redemptionId"));
        (await BalanceAsync(server.Client, id)).ShouldBe(10);
        (await server.Client.TotalAsync($"/api/v1/redemptions?customer_id={id}")).ShouldBe(1);

        // The same key with another request is refused, in the dialect's shape.
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 31 }, idempotencyKey: "visit-1"),
            HttpStatusCode.Conflict, "idempotency_key_reused");
    }

    [Theory, DatabaseData]
    public async Task Thirty_parallel_redeems_on_one_balance_never_overspend(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await CreateAsync(server.Client, initialPoints: 1_000);
        await RewardAsync(server.Client, "Free Coffee", 70);
        var pos = Pos(server, server.AdminKey);

        var answers = await ParallelAsync(30, _ => pos.PostJsonAsync($"{Base}/pos/redeem", new { customerId = id, points = 70 }));

        foreach (var answer in answers.Where(a => a.Code != 200))
        {
            ShouldBeError(answer, HttpStatusCode.UnprocessableEntity, "insufficient_points");
        }
        var succeeded = answers.Count(a => a.Code == 200);
        succeeded.ShouldBe(14); // 14 * 70 = 980 of 1,000
        var balance = await BalanceAsync(server.Client, id);
        balance.ShouldBe(1_000 - 70 * succeeded);
        balance.ShouldBeGreaterThanOrEqualTo(0);
        answers.Where(a => a.Code == 200).Select(a => a.Long("remainingPoints")).Order()
            .ShouldBe(Enumerable.Range(0, succeeded).Select(i => 1_000L - 70 * (i + 1)).Order());
        (await server.Client.TotalAsync($"/api/v1/redemptions?customer_id={id}")).ShouldBe(succeeded);
        (await LedgerAsync(server.Client, id)).Sum(e => e.Points).ShouldBe(balance);
    }

    [Theory, DatabaseData]
    public async Task A_blocked_customer_cannot_check_in_or_redeem_until_unblocked(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await CreateAsync(server.Client, initialPoints: 200);
        await RewardAsync(server.Client, "Free Coffee", 100);
        var pos = Pos(server, server.AdminKey);

        var blocked = await server.Client.PatchJsonAsync($"{Base}/owner/customers/{id}", new { status = "BLOCKED" });
        blocked["customer"].GetProperty("status").GetString().ShouldBe("BLOCKED");
        (await CustomerAsync(server.Client, id)).Str("status").ShouldBe("blocked");
        (await pos.GetJsonAsync($"{Base}/pos/customer/{Phone}")).Str("status").ShouldBe("BLOCKED");

        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 10 }), HttpStatusCode.Forbidden, "customer_blocked");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 100 }), HttpStatusCode.Forbidden, "customer_blocked");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/redeem", new { customerId = id, points = 100 }), HttpStatusCode.Forbidden, "customer_blocked");
        (await BalanceAsync(server.Client, id)).ShouldBe(200);
        (await server.Client.TotalAsync("/api/v1/orders")).ShouldBe(0);
        // The owner may still adjust a blocked customer's points.
        (await server.Client.PostJsonAsync($"{Base}/owner/customers/{id}/points", new { points = 5, reason = "Goodwill" })).Long("newBalance").ShouldBe(205);

        (await server.Client.PatchJsonAsync($"{Base}/owner/customers/{id}", new { status = "ACTIVE" })).Code.ShouldBe(200);
        (await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 10 })).Long("totalPoints").ShouldBe(215);
        (await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 100 })).Long("remainingPoints").ShouldBe(115);
    }

    [Theory, DatabaseData]
    public async Task What_the_dialect_writes_is_seen_through_the_native_API_and_its_events(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var native = server.Client;
        var rewardId = await RewardAsync(native, "Free Coffee", 100);
        var created = await native.PostJsonAsync($"{Base}/owner/customers", new { name = "Ada King Lovelace", phone = Phone, notes = "Likes oat milk", initialPoints = 90 });
        var id = created["customer"].GetProperty("id").GetString()!;
        var pos = Pos(server, server.AdminKey);
        var checkin = await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 12.75m, storeId = "store-7" });
        var redeem = await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 100 });
        var adjust = await native.PostJsonAsync($"{Base}/owner/customers/{id}/points", new { points = 3, reason = "Spilled coffee" });
        adjust.Code.ShouldBe(200, adjust.Raw);

        var customer = await CustomerAsync(native, id);
        customer.Str("first_name").ShouldBe("Ada");
        customer.Str("last_name").ShouldBe("King Lovelace");
        customer.Str("phone").ShouldBe(Phone);
        customer.Str("notes").ShouldBe("Likes oat milk");
        customer.Long("points_balance").ShouldBe(5);
        customer.Long("points_spent").ShouldBe(100);
        customer["total_spent"].GetDecimal().ShouldBe(12.75m);

        var ledger = await LedgerAsync(native, id);
        ledger.Select(e => (e.Type, e.Points)).ShouldBe([("adjusted", 90L), ("earned", 12L), ("redeemed", -100L), ("adjusted", 3L)]);
        var orderId = ledger[1].OrderId!;
        orderId.ShouldStartWith("lp-checkin-");
        orderId.ShouldEndWith("-store-store-7");
        var order = await native.GetJsonAsync($"/api/v1/orders/{orderId}");
        order.Str("status").ShouldBe("paid");
        order["total"].GetDecimal().ShouldBe(12.75m);
        order.Long("points_earned").ShouldBe(checkin.Long("pointsAwarded"));
        var entries = await native.GetJsonAsync($"{PointsPath(id)}?limit=10");
        entries["data"][0].GetProperty("description").GetString().ShouldBe("Spilled coffee");

        var redemption = await native.GetJsonAsync($"/api/v1/redemptions/{redeem.Str("redemptionId")}");
        redemption.Code.ShouldBe(200, redemption.Raw);
        redemption.Str("customer_id").ShouldBe(id);
        redemption.Str("reward_id").ShouldBe(rewardId);
        redemption.Long("points_spent").ShouldBe(100);

        var events = (await native.AllAsync("/api/v1/events")).Select(e => e.GetProperty("type").GetString()!).ToList();
        events.ShouldContain("customer.created");
        events.ShouldContain("order.updated");
        events.ShouldContain("redemption.created");
        events.Count(t => t == "points.created").ShouldBe(4);
        var redemptionEvents = await native.GetJsonAsync("/api/v1/events?type=redemption.created");
        redemptionEvents["data"][0].GetProperty("data").GetProperty("id").GetString().ShouldBe(redeem.Str("redemptionId"));

        // Deleting through the dialect erases through the core: gone natively, customer.deleted emitted.
        (await native.DeleteJsonAsync($"{Base}/owner/customers/{id}")).Code.ShouldBe(200);
        (await native.GetJsonAsync($"/api/v1/customers/{id}")).Code.ShouldBe(404);
        (await native.GetJsonAsync("/api/v1/events?type=customer.deleted"))["data"][0].GetProperty("data").GetProperty("id").GetString().ShouldBe(id);
    }

    [Theory, DatabaseData]
    public async Task In_unit_mode_a_checkin_earns_by_units_and_needs_them(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await SetProgramAsync(server.Client, new { earn_mode = "units", points_per_unit = 10 });
        var id = await CreateAsync(server.Client);
        var pos = Pos(server, server.AdminKey);

        var checkin = await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, units = 3, amount = 99.99m });
        checkin.Code.ShouldBe(200, checkin.Raw);
        checkin.Long("pointsAwarded").ShouldBe(30);
        checkin.Long("totalPoints").ShouldBe(30);
        checkin["rewardThreshold"].ValueKind.ShouldBe(JsonValueKind.Null);
        checkin["rewardAvailable"].GetBoolean().ShouldBeFalse();
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 10 }), HttpStatusCode.UnprocessableEntity, "parameter_missing");
        (await BalanceAsync(server.Client, id)).ShouldBe(30);

        await SetProgramAsync(server.Client, new { earn_mode = "spend" });
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, units = 3 }), HttpStatusCode.UnprocessableEntity, "parameter_missing");
        await SetProgramAsync(server.Client, new { earn_mode = "stamps" });
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, units = 3 }), HttpStatusCode.UnprocessableEntity, "earn_mode_not_supported");
        (await BalanceAsync(server.Client, id)).ShouldBe(30);
    }

    [Theory, DatabaseData]
    public async Task Redeeming_follows_the_programs_rewards_or_deducts_plainly_when_none_is_enabled(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await CreateAsync(server.Client, initialPoints: 500);
        var pos = Pos(server, server.AdminKey);

        // No enabled reward: no threshold, and a redemption is a plain 'redeemed' ledger entry.
        await RewardAsync(server.Client, "Disabled", 10, enabled: false);
        (await pos.GetJsonAsync($"{Base}/pos/customer/{id}"))["rewardAvailable"].GetBoolean().ShouldBeFalse();
        var plain = await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 40 });
        plain.Code.ShouldBe(200, plain.Raw);
        plain["rewardTitle"].ValueKind.ShouldBe(JsonValueKind.Null);
        plain.Long("pointsRedeemed").ShouldBe(40);
        plain.Long("remainingPoints").ShouldBe(460);
        var entry = await server.Client.GetJsonAsync($"/api/v1/points_transactions/{plain.Str("redemptionId")}");
        entry.Str("type").ShouldBe("redeemed");
        entry.Long("points").ShouldBe(-40);
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 461 }), HttpStatusCode.UnprocessableEntity, "insufficient_points");

        // With rewards: the threshold is the cheapest enabled one, and points must match a reward's cost.
        await RewardAsync(server.Client, "Free Cake", 300);
        await RewardAsync(server.Client, "Free Coffee", 150);
        var checkin = await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 0 });
        checkin.Long("rewardThreshold").ShouldBe(150);
        checkin["rewardAvailable"].GetBoolean().ShouldBeTrue();
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 40 }), HttpStatusCode.UnprocessableEntity, "no_reward_for_points");
        var cake = await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 300 });
        cake.Str("rewardTitle").ShouldBe("Free Cake");
        cake.Long("remainingPoints").ShouldBe(160);
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 300 }), HttpStatusCode.UnprocessableEntity, "insufficient_points");
        (await BalanceAsync(server.Client, id)).ShouldBe(160);
    }

    [Theory, DatabaseData]
    public async Task Bad_input_is_a_4xx_in_the_dialect_shape_and_writes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var owner = server.Client;
        var pos = Pos(server, server.AdminKey);
        var id = await CreateAsync(owner, initialPoints: 30);

        foreach (var query in new[] { "limit=101", "limit=0", "page=0", "page=abc", "sortBy=phone", "sortOrder=up", "statusFilter=GONE" })
        {
            ShouldBeError(await owner.GetJsonAsync($"{Base}/owner/customers?{query}"), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        }
        ShouldBeError(await owner.PostJsonAsync($"{Base}/owner/customers", new { phone = "+353111111111" }), HttpStatusCode.UnprocessableEntity, "parameter_missing");
        ShouldBeError(await owner.PostJsonAsync($"{Base}/owner/customers", new { name = "No Phone" }), HttpStatusCode.UnprocessableEntity, "parameter_missing");
        ShouldBeError(await owner.PostJsonAsync($"{Base}/owner/customers", new { name = "A", phone = "not a phone" }), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        ShouldBeError(await owner.PostJsonAsync($"{Base}/owner/customers", new { name = "A", phone = "+353111111111", initialPoints = -5 }), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        ShouldBeError(await owner.PostJsonAsync($"{Base}/owner/customers", new { name = "A", phone = "+353111111111", notes = new string('n', 2001) }), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        ShouldBeError(await owner.PostJsonAsync($"{Base}/owner/customers", new { name = "Twin", phone = Phone }), HttpStatusCode.Conflict, "phone_in_use");
        ShouldBeError(await owner.PatchJsonAsync($"{Base}/owner/customers/{id}", new { status = "LOCKED" }), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        ShouldBeError(await owner.PatchJsonAsync($"{Base}/owner/customers/{id}", new { name = " " }), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        ShouldBeError(await owner.PostJsonAsync($"{Base}/owner/customers/{id}/points", new { points = 0 }), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        ShouldBeError(await owner.PostJsonAsync($"{Base}/owner/customers/{id}/points", new { reason = "no points" }), HttpStatusCode.UnprocessableEntity, "parameter_missing");
        // A deduction below zero is refused by the core.
        ShouldBeError(await owner.PostJsonAsync($"{Base}/owner/customers/{id}/points", new { points = -31 }), HttpStatusCode.UnprocessableEntity, "insufficient_points");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { amount = 5 }), HttpStatusCode.UnprocessableEntity, "parameter_missing");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = -5 }), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 1.00001m }), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = 5, storeId = "a b" }), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/checkin", new { phone = Phone, amount = "five" }), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        ShouldBeError(await pos.SendRawAsync(HttpMethod.Post, $"{Base}/pos/checkin", "{not json"), HttpStatusCode.BadRequest, "invalid_json");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone, points = 0 }), HttpStatusCode.UnprocessableEntity, "parameter_invalid");
        ShouldBeError(await pos.PostJsonAsync($"{Base}/pos/redeem", new { phone = Phone }), HttpStatusCode.UnprocessableEntity, "parameter_missing");

        (await BalanceAsync(owner, id)).ShouldBe(30);
        (await LedgerAsync(owner, id)).Count.ShouldBe(1);
        (await owner.GetJsonAsync($"{Base}/owner/customers"))["pagination"].GetProperty("total").GetInt64().ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task The_owner_list_searches_filters_sorts_and_pages(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var owner = server.Client;
        var ann = await CreateAsync(owner, "+353100000001", 30, "Ann Archer");
        var bob = await CreateAsync(owner, "+353100000002", 10, "Bob Baker");
        var cat = await CreateAsync(owner, "+353100000003", 20, "Cat Carter");
        (await owner.PatchJsonAsync($"{Base}/owner/customers/{bob}", new { status = "BLOCKED" })).Code.ShouldBe(200);

        async Task<List<string>> Ids(string query)
        {
            var page = await owner.GetJsonAsync($"{Base}/owner/customers?{query}");
            page.Code.ShouldBe(200, page.Raw);
            return page["customers"].EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();
        }

        (await Ids("sortBy=name&sortOrder=asc")).ShouldBe([ann, bob, cat]);
        (await Ids("sortBy=totalPoints&sortOrder=desc")).ShouldBe([ann, cat, bob]);
        (await Ids("sortBy=createdAt&sortOrder=asc")).ShouldBe([ann, bob, cat]);
        (await Ids("")).ShouldBe([cat, bob, ann]);
        (await Ids("statusFilter=BLOCKED")).ShouldBe([bob]);
        (await Ids("statusFilter=ACTIVE&sortBy=name&sortOrder=asc")).ShouldBe([ann, cat]);
        (await Ids("search=carT")).ShouldBe([cat]);
        (await Ids("search=100000002")).ShouldBe([bob]);
        (await Ids("search=%25")).ShouldBeEmpty();

        var second = await owner.GetJsonAsync($"{Base}/owner/customers?sortBy=name&sortOrder=asc&limit=2&page=2");
        second["customers"].EnumerateArray().Select(c => c.GetProperty("id").GetString()).ShouldBe([cat]);
        second["pagination"].GetProperty("page").GetInt32().ShouldBe(2);
        second["pagination"].GetProperty("limit").GetInt32().ShouldBe(2);
        second["pagination"].GetProperty("total").GetInt64().ShouldBe(3);
        var blocked = await owner.GetJsonAsync($"{Base}/owner/customers?statusFilter=BLOCKED");
        blocked["customers"][0].GetProperty("status").GetString().ShouldBe("BLOCKED");
        blocked["pagination"].GetProperty("total").GetInt64().ShouldBe(1);
    }
}
