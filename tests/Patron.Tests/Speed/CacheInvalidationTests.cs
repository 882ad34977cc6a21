using System.Net;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Patron.Tests.Mcp;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Speed;

/// <summary>
/// Settings that the write path may keep in memory (earn rules, VIP tiers, the program's earning rate,
/// API keys) are honoured by the very next write once a change to them is answered: on one server, and
/// across two servers on one PostgreSQL database, where the change goes through one and the write
/// through the other (docs/SCALING.md).
/// </summary>
public sealed class CacheInvalidationTests
{
    private const string Rules = "/api/v1/earn_rules";
    private const string Tiers = "/api/v1/vip_tiers";
    private const string Keys = "/api/v1/api_keys";

    [Theory, DatabaseData]
    public async Task A_changed_earn_rule_tier_rate_or_revoked_key_is_honoured_by_the_next_write(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await ChangesAreHonouredAsync(server.Client, server.Client, server.ClientWithKey);
    }

    [Fact]
    [Trait(TestDatabases.Trait, TestDatabases.Postgres)]
    public async Task A_change_made_through_one_instance_is_honoured_by_the_next_write_through_another()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        await using var a = await PatronServer.StartAsync(TestDatabases.Postgres);
        await using var b = await SecondInstanceAsync(a);

        // Each server has read (and may hold) every setting before it changes.
        await ChangesAreHonouredAsync(a.Client, b.Client, b.ClientWithKey);
        // And the other way round, on fresh settings.
        await ChangesAreHonouredAsync(b.Client, a.Client, a.ClientWithKey);
    }

    /// <summary>
    /// Each setting is first used by a write through <paramref name="writer"/>, then changed through
    /// <paramref name="changer"/>, then the next write through <paramref name="writer"/> must follow the change.
    /// </summary>
    private static async Task ChangesAreHonouredAsync(HttpClient changer, HttpClient writer, Func<string?, HttpClient> writerWithKey)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var customer = await NewCustomerAsync(writer);

        // Earn rule: its points, then disabled.
        var activity = "review_" + tag;
        var rule = await CreatedIdAsync(changer, Rules, new { type = activity, points = 10 });
        (await EarnedAsync(writer, customer, () => writer.PostJsonAsync("/api/v1/activities", new { customer_id = customer, type = activity })))
            .ShouldBe(10);
        (await changer.PatchJsonAsync($"{Rules}/{rule}", new { points = 25 })).Status.ShouldBe(HttpStatusCode.OK);
        (await EarnedAsync(writer, customer, () => writer.PostJsonAsync("/api/v1/activities", new { customer_id = customer, type = activity })))
            .ShouldBe(25);
        (await changer.PatchJsonAsync($"{Rules}/{rule}", new { enabled = false })).Status.ShouldBe(HttpStatusCode.OK);
        var refused = await writer.PostJsonAsync("/api/v1/activities", new { customer_id = customer, type = activity });
        refused.Code.ShouldBe(422, refused.Raw);
        refused.ErrorCode.ShouldBe("no_matching_rule");

        // The program's rate: points per 1.00 of an order.
        await SetProgramAsync(changer, new { points_per_unit = 1 });
        (await OrderAsync(writer, customer, $"{tag}-1", 10)).ShouldBe(10);
        await SetProgramAsync(changer, new { points_per_unit = 3 });
        (await OrderAsync(writer, customer, $"{tag}-2", 10)).ShouldBe(30);

        // The order's own rules: a place_order rule's rate replaces the program's, a campaign multiplies it;
        // each change, and each removal, is followed by the next order.
        var orderRule = await CreatedIdAsync(changer, Rules, new { type = "place_order", points_per_unit = 2 });
        (await OrderAsync(writer, customer, $"{tag}-r1", 10)).ShouldBe(20);
        (await changer.PatchJsonAsync($"{Rules}/{orderRule}", new { points_per_unit = 4 })).Status.ShouldBe(HttpStatusCode.OK);
        (await OrderAsync(writer, customer, $"{tag}-r2", 10)).ShouldBe(40);
        var campaign = await CreatedIdAsync(changer, Rules, new { type = "place_order", multiplier = 2 });
        (await OrderAsync(writer, customer, $"{tag}-r3", 10)).ShouldBe(80);
        (await changer.PatchJsonAsync($"{Rules}/{campaign}", new { enabled = false })).Status.ShouldBe(HttpStatusCode.OK);
        (await OrderAsync(writer, customer, $"{tag}-r4", 10)).ShouldBe(40);
        (await changer.DeleteJsonAsync($"{Rules}/{orderRule}")).Status.ShouldBe(HttpStatusCode.OK);
        (await OrderAsync(writer, customer, $"{tag}-r5", 10)).ShouldBe(30);

        // A VIP tier's multiplier: the customer qualifies (lifetime points above 1) once the tier exists.
        var tier = await CreatedIdAsync(changer, Tiers, new { name = "Gold " + tag, points_required = 1, multiplier = 2 });
        await PostPointsAsync(writer, customer, 1);
        (await writer.GetJsonAsync($"{CustomersPath}/{customer}")).Str("vip_tier").ShouldBe("Gold " + tag);
        (await OrderAsync(writer, customer, $"{tag}-3", 10)).ShouldBe(60);
        (await changer.PatchJsonAsync($"{Tiers}/{tier}", new { multiplier = 5 })).Status.ShouldBe(HttpStatusCode.OK);
        (await OrderAsync(writer, customer, $"{tag}-4", 10)).ShouldBe(150);
        // Its threshold: raised past the customer's lifetime points, the next award takes them out of the tier;
        // lowered again, the next award brings them back.
        (await changer.PatchJsonAsync($"{Tiers}/{tier}", new { points_required = 1_000_000_000 })).Status.ShouldBe(HttpStatusCode.OK);
        await PostPointsAsync(writer, customer, 1);
        (await writer.GetJsonAsync($"{CustomersPath}/{customer}"))["vip_tier"].ValueKind.ShouldBe(JsonValueKind.Null);
        (await changer.PatchJsonAsync($"{Tiers}/{tier}", new { points_required = 1 })).Status.ShouldBe(HttpStatusCode.OK);
        await PostPointsAsync(writer, customer, 1);
        (await writer.GetJsonAsync($"{CustomersPath}/{customer}")).Str("vip_tier").ShouldBe("Gold " + tag);
        (await changer.DeleteJsonAsync($"{Tiers}/{tier}")).Status.ShouldBe(HttpStatusCode.OK);
        (await OrderAsync(writer, customer, $"{tag}-5", 10)).ShouldBe(30);
        await SetProgramAsync(changer, new { points_per_unit = 1 });

        // An API key: used for a write, revoked, refused on the next write.
        var created = await changer.PostJsonAsync(Keys, new { scope = "write", name = "till " + tag });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        var till = writerWithKey(created.Str("secret"));
        (await till.PostJsonAsync(PointsPath(customer), new { points = 1 })).Status.ShouldBe(HttpStatusCode.Created);
        (await changer.DeleteJsonAsync($"{Keys}/{created.Str("id")}")).Status.ShouldBe(HttpStatusCode.OK);
        var balance = await BalanceAsync(writer, customer);
        var afterRevocation = await till.PostJsonAsync(PointsPath(customer), new { points = 1 });
        afterRevocation.Status.ShouldBe(HttpStatusCode.Unauthorized, afterRevocation.Raw);
        afterRevocation.ErrorCode.ShouldBe("api_key_revoked");
        (await BalanceAsync(writer, customer)).ShouldBe(balance);
    }

    [Theory]
    [Trait(TestDatabases.Trait, TestDatabases.Postgres)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Parallel_writes_with_a_key_revoked_through_another_instance_are_all_refused_and_their_neighbours_kept(bool groupCommit)
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        await using var a = await PatronServer.StartAsync(TestDatabases.Postgres);
        await using var b = await SecondInstanceAsync(a, groupCommit);
        var customer = await NewCustomerAsync(a.Client);
        var revoked = await a.Client.PostJsonAsync(Keys, new { scope = "write", name = "revoked till" });
        var kept = await a.Client.PostJsonAsync(Keys, new { scope = "write", name = "kept till" });
        var revokedTill = b.ClientWithKey(revoked.Str("secret"));
        var keptTill = b.ClientWithKey(kept.Str("secret"));
        // Both keys are in b's cache, as a till's key is between its writes.
        (await revokedTill.PostJsonAsync(PointsPath(customer), new { points = 1 })).Status.ShouldBe(HttpStatusCode.Created);
        (await keptTill.PostJsonAsync(PointsPath(customer), new { points = 1 })).Status.ShouldBe(HttpStatusCode.Created);

        (await a.Client.DeleteJsonAsync($"{Keys}/{revoked.Str("id")}")).Status.ShouldBe(HttpStatusCode.OK);
        // Writes through b with both keys at once, so that the revoked key's come while the valid key's are being committed.
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? revokedTill : keptTill)
            .PostJsonAsync(PointsPath(customer), new { points = 10 })));

        for (var i = 0; i < answers.Length; i++)
        {
            if (i % 2 == 0)
            {
                answers[i].Status.ShouldBe(HttpStatusCode.Unauthorized, answers[i].Raw);
                answers[i].ErrorCode.ShouldBe("api_key_revoked");
            }
            else
            {
                answers[i].Status.ShouldBe(HttpStatusCode.Created, answers[i].Raw);
            }
        }
        (await BalanceAsync(a.Client, customer)).ShouldBe(2 + 20 * 10);
        var ledger = await a.Client.GetJsonAsync($"{PointsPath(customer)}?limit=100");
        ledger.Long("total_count").ShouldBe(2 + 20);
    }

    [Fact]
    [Trait(TestDatabases.Trait, TestDatabases.Postgres)]
    public async Task A_write_with_an_idempotency_key_and_a_key_revoked_through_another_instance_is_refused_and_stores_nothing()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        await using var a = await PatronServer.StartAsync(TestDatabases.Postgres);
        await using var b = await SecondInstanceAsync(a);
        var customer = await NewCustomerAsync(a.Client);
        var revoked = await a.Client.PostJsonAsync(Keys, new { scope = "write", name = "revoked till" });
        var kept = await a.Client.PostJsonAsync(Keys, new { scope = "write", name = "kept till" });
        var revokedTill = b.ClientWithKey(revoked.Str("secret"));
        (await revokedTill.PostJsonAsync(PointsPath(customer), new { points = 1 }, "first")).Status.ShouldBe(HttpStatusCode.Created);

        (await a.Client.DeleteJsonAsync($"{Keys}/{revoked.Str("id")}")).Status.ShouldBe(HttpStatusCode.OK);
        var refused = await revokedTill.PostJsonAsync(PointsPath(customer), new { points = 7 }, "second");
        refused.Status.ShouldBe(HttpStatusCode.Unauthorized, refused.Raw);
        refused.ErrorCode.ShouldBe("api_key_revoked");
        // The same request again with a valid key runs: the refused one stored no answer under its Idempotency-Key.
        var retried = await b.ClientWithKey(kept.Str("secret")).PostJsonAsync(PointsPath(customer), new { points = 7 }, "second");
        retried.Status.ShouldBe(HttpStatusCode.Created, retried.Raw);
        retried.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
        (await BalanceAsync(a.Client, customer)).ShouldBe(1 + 7);
    }

    [Fact]
    [Trait(TestDatabases.Trait, TestDatabases.Postgres)]
    public async Task An_MCP_tool_write_with_a_key_revoked_through_another_instance_is_refused()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        await using var a = await PatronServer.StartAsync(TestDatabases.Postgres);
        await using var b = await SecondInstanceAsync(a);
        var customer = await NewCustomerAsync(a.Client);
        var revoked = await a.Client.PostJsonAsync(Keys, new { scope = "write", name = "assistant" });
        await using var assistant = await McpKit.ConnectAsync(b.BaseAddress, revoked.Str("secret"));
        var award = new { customer, points = 3, reason = "Sorry for the wait" };
        await assistant.CallAsync("award_points", award);

        (await a.Client.DeleteJsonAsync($"{Keys}/{revoked.Str("id")}")).Status.ShouldBe(HttpStatusCode.OK);
        (await assistant.CallFailingAsync("award_points", award)).ShouldContain("api_key_revoked");
        (await BalanceAsync(a.Client, customer)).ShouldBe(3);
    }

    /// <summary>A second server, in a process of its own, on the database of <paramref name="a"/>.</summary>
    private static Task<PatronProcess> SecondInstanceAsync(PatronServer a, bool groupCommit = true) =>
        PatronProcess.StartAsync(a.DatabaseArgs, a.AdminKey, new Dictionary<string, string>
        {
            ["Patron:RateLimit:PerMinute"] = "0",
            ["Patron:Database:GroupCommit"] = groupCommit ? "true" : "false",
        });

    /// <summary>How much the customer's balance grew through one successful request.</summary>
    private static async Task<long> EarnedAsync(HttpClient client, string customer, Func<Task<ApiResponse>> request)
    {
        var before = await BalanceAsync(client, customer);
        var answer = await request();
        answer.Status.ShouldBe(HttpStatusCode.Created, answer.Raw);
        return await BalanceAsync(client, customer) - before;
    }

    /// <summary>Points earned by a new paid order of this total.</summary>
    private static async Task<long> OrderAsync(HttpClient client, string customer, string id, decimal total)
    {
        var order = await client.PostJsonAsync("/api/v1/orders", new { id, customer_id = customer, total, currency = "USD", status = "paid" });
        order.Status.ShouldBe(HttpStatusCode.Created, order.Raw);
        return order.Long("points_earned");
    }
}
