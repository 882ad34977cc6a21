using System.Net;
using System.Text.Json;
using Patron.Api;
using Patron.Domain;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Earning;

/// <summary>GET /analytics (docs/API.md, Analytics) against a scenario whose every figure is known.</summary>
public sealed class AnalyticsApiTests
{
    private const string Analytics = "/api/v1/analytics";

    /// <summary>
    /// Jan 10, 12:00: A joins and earns 1000 (points expire after 4 days).
    /// Jan 13, 12:00: B joins and earns 200; A redeems 300.
    /// Jan 14, 12:00: A's remaining 700 expire; C joins with an adjustment of +100; D joins, earns 40 and is erased; B is adjusted -50.
    /// Jan 15, 12:00: A earns 400; B redeems 20; rewards were redeemed (one redemption cancelled, two long ago).
    /// </summary>
    private static async Task<(PatronServer Server, string RewardA, string RewardB)> ScenarioAsync(string database)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 10, 12, 0, 0, TimeSpan.Zero));
        var server = await PatronServer.StartAsync(database, clock);
        var client = server.Client;
        (await client.PatchJsonAsync("/api/v1/program", new { points_expiry_days = 4, point_value = 0.01 })).Status.ShouldBe(HttpStatusCode.OK);
        var a = await NewCustomerAsync(client);
        await PostPointsAsync(client, a, 1000, "earned");

        clock.Advance(TimeSpan.FromDays(3));
        var b = await NewCustomerAsync(client);
        await PostPointsAsync(client, b, 200, "earned");
        await PostPointsAsync(client, a, -300, "redeemed");

        clock.Advance(TimeSpan.FromDays(1));
        await server.RunJobsAsync();
        var c = await NewCustomerAsync(client);
        await PostPointsAsync(client, c, 100, "adjusted");
        var d = await NewCustomerAsync(client);
        await PostPointsAsync(client, d, 40, "earned");
        (await client.DeleteJsonAsync($"/api/v1/customers/{d}")).Status.ShouldBe(HttpStatusCode.OK);
        await PostPointsAsync(client, b, -50, "adjusted");

        clock.Advance(TimeSpan.FromDays(1));
        await PostPointsAsync(client, a, 400, "earned");
        await PostPointsAsync(client, b, -20, "redeemed");
        var rewardA = await RewardAsync(server, "Free coffee");
        var rewardB = await RewardAsync(server, "10% off");
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await RedemptionAsync(server, a, rewardA, 100, "issued", now);
        await RedemptionAsync(server, b, rewardA, 100, "used", now);
        await RedemptionAsync(server, a, rewardB, 50, "issued", now);
        await RedemptionAsync(server, b, rewardB, 50, "cancelled", now);
        await RedemptionAsync(server, b, rewardB, 50, "issued", now - 10 * 86_400_000L);
        await RedemptionAsync(server, b, rewardB, 50, "issued", now - 10 * 86_400_000L);
        return (server, rewardA, rewardB);
    }

    [Theory, DatabaseData]
    public async Task Three_days_of_a_known_scenario_add_up(string database)
    {
        var (server, rewardA, rewardB) = await ScenarioAsync(database);
        await using var running = server;

        var stats = await server.Client.GetJsonAsync($"{Analytics}?days=3");

        stats.Status.ShouldBe(HttpStatusCode.OK, stats.Raw);
        stats.Str("object").ShouldBe("analytics");
        stats.Long("days").ShouldBe(3);
        stats.Str("from").ShouldBe("2026-01-13T00:00:00.000Z");
        stats.Str("to").ShouldBe("2026-01-15T12:00:00.000Z");
        stats.Long("new_customers").ShouldBe(3);
        stats.Long("active_customers").ShouldBe(4);
        stats.Long("points_earned").ShouldBe(740);
        stats.Long("points_redeemed").ShouldBe(320);
        stats.Long("points_expired").ShouldBe(700);
        stats["redemption_rate"].GetDecimal().ShouldBe(0.4324m);

        var liability = stats["outstanding_liability"];
        liability.GetProperty("points").GetInt64().ShouldBe(630);
        liability.GetProperty("pending_points").GetInt64().ShouldBe(0);
        liability.GetProperty("amount").GetDecimal().ShouldBe(6.30m);
        liability.GetProperty("point_value").GetDecimal().ShouldBe(0.01m);
        liability.GetProperty("currency").GetString().ShouldBe("USD");

        var top = stats["top_rewards"].EnumerateArray().ToList();
        top.Count.ShouldBe(2);
        top[0].GetProperty("reward_id").GetString().ShouldBe(rewardA);
        top[0].GetProperty("name").GetString().ShouldBe("Free coffee");
        top[0].GetProperty("redemptions").GetInt64().ShouldBe(2);
        top[0].GetProperty("points_spent").GetInt64().ShouldBe(200);
        top[1].GetProperty("reward_id").GetString().ShouldBe(rewardB);
        top[1].GetProperty("name").GetString().ShouldBe("10% off");
        top[1].GetProperty("redemptions").GetInt64().ShouldBe(1);
        top[1].GetProperty("points_spent").GetInt64().ShouldBe(50);

        var series = Days(stats);
        series.Count.ShouldBe(3);
        series[0].ShouldBe(("2026-01-13", 1L, 200L, 300L, 0L));
        series[1].ShouldBe(("2026-01-14", 2L, 140L, 0L, 700L));
        series[2].ShouldBe(("2026-01-15", 0L, 400L, 20L, 0L));
    }

    [Theory, DatabaseData]
    public async Task The_window_is_whole_utc_days_ending_today(string database)
    {
        var (server, _, rewardB) = await ScenarioAsync(database);
        await using var running = server;

        var today = await server.Client.GetJsonAsync($"{Analytics}?days=1");
        today.Status.ShouldBe(HttpStatusCode.OK, today.Raw);
        today.Str("from").ShouldBe("2026-01-15T00:00:00.000Z");
        today.Long("new_customers").ShouldBe(0);
        today.Long("active_customers").ShouldBe(2);
        today.Long("points_earned").ShouldBe(400);
        today.Long("points_redeemed").ShouldBe(20);
        today.Long("points_expired").ShouldBe(0);
        today["redemption_rate"].GetDecimal().ShouldBe(0.05m);
        Days(today).ShouldHaveSingleItem().ShouldBe(("2026-01-15", 0L, 400L, 20L, 0L));

        // The default is 30 days: everything since A joined, and the older redemptions too.
        var month = await server.Client.GetJsonAsync(Analytics);
        month.Long("days").ShouldBe(30);
        month.Str("from").ShouldBe("2025-12-17T00:00:00.000Z");
        month.Long("new_customers").ShouldBe(4);
        month.Long("active_customers").ShouldBe(4);
        month.Long("points_earned").ShouldBe(1740);
        month.Long("points_redeemed").ShouldBe(320);
        month.Long("points_expired").ShouldBe(700);
        var series = Days(month);
        series.Count.ShouldBe(30);
        series[0].Date.ShouldBe("2025-12-17");
        series[^1].Date.ShouldBe("2026-01-15");
        series.Single(d => d.Date == "2026-01-10").ShouldBe(("2026-01-10", 1L, 1000L, 0L, 0L));
        series.Sum(d => d.NewCustomers).ShouldBe(4);
        series.Sum(d => d.Earned).ShouldBe(1740);
        var top = month["top_rewards"].EnumerateArray().ToList();
        top[0].GetProperty("reward_id").GetString().ShouldBe(rewardB);
        top[0].GetProperty("redemptions").GetInt64().ShouldBe(3);
    }

    [Theory, DatabaseData]
    public async Task Days_must_be_1_to_365_any_key_may_read_and_each_program_sees_its_own(string database)
    {
        var (server, _, _) = await ScenarioAsync(database);
        await using var running = server;

        foreach (var days in new[] { "0", "366", "-1", "abc", "1.5", "9223372036854775807" })
        {
            var refused = await server.Client.GetJsonAsync($"{Analytics}?days={days}");
            refused.Code.ShouldBe(422, days);
            refused.ErrorCode.ShouldBe("parameter_invalid");
            refused["error"].GetProperty("param").GetString().ShouldBe("days");
        }
        var year = await server.Client.GetJsonAsync($"{Analytics}?days=365");
        year.Status.ShouldBe(HttpStatusCode.OK, year.Raw);
        year["series"].GetArrayLength().ShouldBe(365);

        var read = await server.ClientWithScopeAsync(Scope.Read);
        (await read.GetJsonAsync($"{Analytics}?days=3")).Long("points_earned").ShouldBe(740);

        var (_, other) = await server.CreateProgramAsync();
        var empty = await other.GetJsonAsync($"{Analytics}?days=3");
        empty.Status.ShouldBe(HttpStatusCode.OK, empty.Raw);
        empty.Long("new_customers").ShouldBe(0);
        empty.Long("active_customers").ShouldBe(0);
        empty.Long("points_earned").ShouldBe(0);
        empty["redemption_rate"].ValueKind.ShouldBe(JsonValueKind.Null);
        empty["outstanding_liability"].GetProperty("points").GetInt64().ShouldBe(0);
        // No point value set: the liability has no money amount.
        empty["outstanding_liability"].GetProperty("amount").ValueKind.ShouldBe(JsonValueKind.Null);
        empty["top_rewards"].GetArrayLength().ShouldBe(0);
        Days(empty).ShouldAllBe(d => d.NewCustomers == 0 && d.Earned == 0 && d.Redeemed == 0 && d.Expired == 0);
    }

    private static List<(string Date, long NewCustomers, long Earned, long Redeemed, long Expired)> Days(ApiResponse stats) =>
        stats["series"].EnumerateArray().Select(d => (
            d.GetProperty("date").GetString()!, d.GetProperty("new_customers").GetInt64(), d.GetProperty("points_earned").GetInt64(),
            d.GetProperty("points_redeemed").GetInt64(), d.GetProperty("points_expired").GetInt64())).ToList();

    /// <summary>A reward row as the rewards code stores it (only what analytics reads matters here).</summary>
    private static async Task<string> RewardAsync(PatronServer server, string name)
    {
        var id = Ids.New("rwd_");
        await server.WritePath.RunAsync(context => context.Sql.ExecuteAsync(
            """
            INSERT INTO rewards (id, program_id, name, type, points_cost, code_source, enabled, created_at, updated_at)
            VALUES (@id, @p, @n, 'custom', 100, 'generated', @on, @now, @now)
            """,
            ("id", id), ("p", server.ProgramId), ("n", name), ("on", true), ("now", context.NowMs)));
        return id;
    }

    private static Task<int> RedemptionAsync(PatronServer server, string customerId, string rewardId, long points, string status, long at) =>
        server.WritePath.RunAsync(context => context.Sql.ExecuteAsync(
            """
            INSERT INTO redemptions (id, program_id, customer_id, reward_id, source, points_spent, discount_code, apply_mode,
                                     status, balance_after, created_by, created_at, updated_at)
            VALUES (@id, @p, @c, @r, 'points', @pts, @code, 'code', @s, 0, 'test', @at, @at)
            """,
            ("id", Ids.New("red_")), ("p", server.ProgramId), ("c", customerId), ("r", rewardId), ("pts", points),
            ("code", Guid.NewGuid().ToString("N")), ("s", status), ("at", at)));
}
