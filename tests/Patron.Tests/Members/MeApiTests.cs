using System.Net;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Members.MembersTestKit;

namespace Patron.Tests.Members;

/// <summary>The customer-scoped API <c>/api/v1/me</c> (docs/WIDGET.md).</summary>
public sealed class MeApiTests
{
    private static readonly string[] ShopOrigin = ["https://Shop.Example.com/"];
    private static readonly string[] PathOrigin = ["https://shop.example.com/path"];
    private static readonly string[] ScriptOrigin = ["javascript:alert(1)"];
    private static readonly string[] OtherOrigin = ["https://other.example.com"];

    private static async Task<string> NewRewardAsync(HttpClient admin, object body)
    {
        var created = await admin.PostJsonAsync("/api/v1/rewards", body);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return created.Str("id");
    }

    [Theory, DatabaseData]
    public async Task Me_shows_balance_pending_points_tier_progress_referral_link_stamps_and_qr_code(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var admin = server.Client;
        var (_, secret) = await NewSecretAsync(admin);
        (await admin.PatchJsonAsync(SettingsPath, new { referral_url = "https://shop.example.com/r?code={code}" })).Code.ShouldBe(200);
        (await admin.PostJsonAsync("/api/v1/vip_tiers", new { name = "Silver", points_required = 100 })).Code.ShouldBe(201);
        (await admin.PostJsonAsync("/api/v1/vip_tiers", new { name = "Gold", points_required = 1000 })).Code.ShouldBe(201);
        var id = await NewShopCustomerAsync(admin, "shop-5", points: 250);
        (await admin.PostJsonAsync($"/api/v1/customers/{id}/stamps", new { stamps = 3 })).Code.ShouldBe(201);
        var customer = await CustomerAsync(admin, id);

        var client = SignedIn(server, server.ProgramId, secret, "shop-5");
        var me = await client.GetJsonAsync("/api/v1/me");

        me.Status.ShouldBe(HttpStatusCode.OK, me.Raw);
        me.Long("points_balance").ShouldBe(250);
        me.Long("pending_points").ShouldBe(0);
        me["program"].GetProperty("id").GetString().ShouldBe(server.ProgramId);
        me["tier"].GetProperty("name").GetString().ShouldBe("Silver");
        var next = me["next_tier"];
        next.GetProperty("name").GetString().ShouldBe("Gold");
        next.GetProperty("remaining").GetDecimal().ShouldBe(750);
        next.GetProperty("progress").GetDecimal().ShouldBe(0.25m);
        var code = customer.Str("referral_code");
        me["referral"].GetProperty("code").GetString().ShouldBe(code);
        me["referral"].GetProperty("url").GetString().ShouldBe($"https://shop.example.com/r?code={Uri.EscapeDataString(code)}");
        me["stamps"].GetProperty("current").GetInt64().ShouldBe(3);
        me.Str("qr_code").ShouldBe(customer.Str("qr_code"));
        me["wallet"].GetProperty("apple_pass_url").ValueKind.ShouldBe(JsonValueKind.Null);

        using var qr = await client.GetAsync(me.Str("qr_code_url"), TestContext.Current.CancellationToken);
        qr.StatusCode.ShouldBe(HttpStatusCode.OK);
        qr.Content.Headers.ContentType!.MediaType.ShouldBe("image/svg+xml");
        (await qr.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("<svg");
    }

    [Theory, DatabaseData]
    public async Task Me_never_returns_another_customers_data_whatever_reference_is_tried(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var admin = server.Client;
        var (_, secret) = await NewSecretAsync(admin);
        var a = await NewShopCustomerAsync(admin, "shop-a", points: 100);
        var b = await NewShopCustomerAsync(admin, "shop-b", points: 900, email: "bee@example.com");
        var reward = await NewRewardAsync(admin, new { name = "Mug", type = "custom", points_cost = 50 });
        (await admin.PostJsonAsync($"/api/v1/customers/{b}/redemptions", new { reward_id = reward })).Code.ShouldBe(201);
        var bee = await CustomerAsync(admin, b);

        var client = SignedIn(server, server.ProgramId, secret, "shop-a");
        var references = new[] { b, "shop-b", "bee@example.com", bee.Str("qr_code"), bee.Str("referral_code") };
        foreach (var reference in references)
        {
            var escaped = Uri.EscapeDataString(reference);
            foreach (var path in new[]
            {
                $"/api/v1/me?customer={escaped}", $"/api/v1/me?customer_id={escaped}", $"/api/v1/me?reference={escaped}",
                $"/api/v1/me/points_transactions?customer_id={escaped}", $"/api/v1/me/redemptions?customer_id={escaped}",
            })
            {
                var r = await client.GetJsonAsync(path);
                r.Raw.ShouldNotContain(b, customMessage: path);
                r.Raw.ShouldNotContain("bee@example.com", customMessage: path);
                if (path.StartsWith("/api/v1/me/", StringComparison.Ordinal))
                {
                    // Lists name their query parameters; any other is refused, as on every native list.
                    r.Code.ShouldBe(400, $"{path}: {r.Raw}");
                    r["error"].GetProperty("code").GetString().ShouldBe("parameter_unknown");
                }
                else
                {
                    r.Code.ShouldBe(200, $"{path}: {r.Raw}");
                    r.Str("id").ShouldBe(a);
                    r.Long("points_balance").ShouldBe(100);
                }
            }
            (await client.GetJsonAsync($"/api/v1/me/{escaped}")).Code.ShouldBeOneOf(404, 405);
            (await client.GetJsonAsync($"/api/v1/customers/{escaped}")).Code.ShouldBe(401, "a member credential opens /me only");
        }
        (await client.GetJsonAsync("/api/v1/me/redemptions"))["data"].GetArrayLength().ShouldBe(0);

        // A redemption through A's credential spends A's points, whatever the body names.
        var naming = await client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = reward, customer_id = b });
        naming.Code.ShouldBe(400, naming.Raw);
        naming["error"].GetProperty("param").GetString().ShouldBe("customer_id", "a body field /me does not take is refused, as on the API");
        var spent = await client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = reward });
        spent.Status.ShouldBe(HttpStatusCode.Created, spent.Raw);
        spent.Str("customer_id").ShouldBe(a);
        (await BalanceAsync(admin, a)).ShouldBe(50);
        (await BalanceAsync(admin, b)).ShouldBe(850);
    }

    [Theory, DatabaseData]
    public async Task Redeeming_through_me_spends_the_points_once_under_20_parallel_requests(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var admin = server.Client;
        var (_, secret) = await NewSecretAsync(admin);
        var id = await NewShopCustomerAsync(admin, "shop-p", points: 500);
        var reward = await NewRewardAsync(admin, new { name = "Coffee", type = "custom", points_cost = 100 });
        var client = SignedIn(server, server.ProgramId, secret, "shop-p");

        var answers = await ParallelAsync(20, _ => client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = reward }));

        answers.Count(r => r.Code == 201).ShouldBe(5, string.Join("\n", answers.Select(r => r.Raw)));
        answers.Where(r => r.Code != 201).ShouldAllBe(r => r.Code == 422 && r.ErrorCode == "insufficient_points");
        (await BalanceAsync(admin, id)).ShouldBe(0);
        var ledger = await LedgerAsync(admin, id);
        ledger.Count(e => e.Type == "redeemed").ShouldBe(5);
        ledger.Where(e => e.Type == "redeemed").Sum(e => e.Points).ShouldBe(-500);
        (await client.GetJsonAsync("/api/v1/me/redemptions")).Long("total_count").ShouldBe(5);
        (await client.GetJsonAsync("/api/v1/me")).Long("points_balance").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Rewards_are_marked_affordable_and_redeeming_follows_the_apis_rules(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var admin = server.Client;
        var (_, secret) = await NewSecretAsync(admin);
        await NewShopCustomerAsync(admin, "shop-r", points: 150);
        var cheap = await NewRewardAsync(admin, new { name = "Sticker", type = "custom", points_cost = 100, limit_per_customer = 1 });
        var dear = await NewRewardAsync(admin, new { name = "Bike", type = "custom", points_cost = 5000 });
        var off = await NewRewardAsync(admin, new { name = "Gone", type = "custom", points_cost = 1, enabled = false });
        var client = SignedIn(server, server.ProgramId, secret, "shop-r");

        var all = await client.GetJsonAsync("/api/v1/me/rewards");
        all.Code.ShouldBe(200, all.Raw);
        var rows = all["data"].EnumerateArray().ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("affordable").GetBoolean());
        rows.Keys.ShouldBe([cheap, dear], ignoreOrder: true);
        rows[cheap].ShouldBeTrue();
        rows[dear].ShouldBeFalse();
        var affordable = await client.GetJsonAsync("/api/v1/me/rewards?affordable=true");
        affordable["data"].EnumerateArray().Select(e => e.GetProperty("id").GetString()).ShouldBe([cheap]);
        (await client.GetJsonAsync("/api/v1/me/rewards?affordable=maybe")).Code.ShouldBe(422);

        (await client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = dear })).ErrorCode.ShouldBe("insufficient_points");
        (await client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = off })).ErrorCode.ShouldBe("reward_disabled");
        (await client.PostJsonAsync("/api/v1/me/redemptions", new { })).ErrorCode.ShouldBe("parameter_missing");
        (await client.PostJsonAsync("/api/v1/me/redemptions", "{not json")).Code.ShouldBe(400);
        (await client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = "rwd_nope" })).Code.ShouldBe(404);
        (await client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = cheap })).Code.ShouldBe(201);
        (await client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = cheap })).ErrorCode.ShouldBe("redemption_limit_reached");

        var history = await client.GetJsonAsync("/api/v1/me/points_transactions");
        history.Code.ShouldBe(200, history.Raw);
        history["data"].EnumerateArray().Select(e => e.GetProperty("points").GetInt64()).ShouldBe([-100, 150]);
    }

    [Theory, DatabaseData]
    public async Task Cors_allows_a_configured_shop_origin_and_refuses_an_unknown_one(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var admin = server.Client;
        var (_, secret) = await NewSecretAsync(admin);
        await NewShopCustomerAsync(admin, "shop-c", points: 10);
        var set = await admin.PatchJsonAsync(SettingsPath, new { allowed_origins = ShopOrigin });
        set.Code.ShouldBe(200, set.Raw);
        set["allowed_origins"].EnumerateArray().Select(e => e.GetString()).ShouldBe(["https://shop.example.com"]);
        (await admin.PatchJsonAsync(SettingsPath, new { allowed_origins = PathOrigin })).Code.ShouldBe(422);
        (await admin.PatchJsonAsync(SettingsPath, new { allowed_origins = ScriptOrigin })).Code.ShouldBe(422);
        var client = SignedIn(server, server.ProgramId, secret, "shop-c");

        async Task<HttpResponseMessage> Send(HttpMethod method, string origin, bool preflight = false)
        {
            var request = new HttpRequestMessage(method, $"/api/v1/me?program={server.ProgramId}");
            request.Headers.Add("Origin", origin);
            if (preflight)
            {
                request.Headers.Add("Access-Control-Request-Method", "POST");
                request.Headers.Add("Access-Control-Request-Headers", "x-patron-signature, content-type");
            }
            return await client.SendAsync(request, TestContext.Current.CancellationToken);
        }

        using (var allowed = await Send(HttpMethod.Get, "https://shop.example.com"))
        {
            allowed.StatusCode.ShouldBe(HttpStatusCode.OK);
            allowed.Headers.GetValues("Access-Control-Allow-Origin").Single().ShouldBe("https://shop.example.com");
        }
        using (var preflight = await Send(HttpMethod.Options, "https://shop.example.com", preflight: true))
        {
            preflight.StatusCode.ShouldBe(HttpStatusCode.NoContent);
            preflight.Headers.GetValues("Access-Control-Allow-Origin").Single().ShouldBe("https://shop.example.com");
            preflight.Headers.GetValues("Access-Control-Allow-Headers").Single().ShouldContain("X-Patron-Signature");
        }
        foreach (var origin in new[] { "https://evil.example.com", "https://shop.example.com.evil.net", "http://shop.example.com", "null" })
        {
            using var refused = await Send(HttpMethod.Get, origin);
            refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden, origin);
            refused.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse(origin);
            (await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("origin_not_allowed");
            using var refusedPreflight = await Send(HttpMethod.Options, origin, preflight: true);
            refusedPreflight.StatusCode.ShouldBe(HttpStatusCode.Forbidden, origin);
            refusedPreflight.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse(origin);
        }

        // Another program's shop origin is not this program's.
        var other = await server.NewTenantAsync("other");
        (await other.Admin.PatchJsonAsync(SettingsPath, new { allowed_origins = OtherOrigin })).Code.ShouldBe(200);
        using var foreign = await Send(HttpMethod.Get, "https://other.example.com");
        foreign.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        using var foreignPreflight = await Send(HttpMethod.Options, "https://other.example.com", preflight: true);
        foreignPreflight.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
