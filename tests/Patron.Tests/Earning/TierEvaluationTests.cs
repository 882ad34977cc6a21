using System.Net;
using System.Text.Json;
using Patron.Domain;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Earning.EarningTestData;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Earning;

/// <summary>
/// Customers moving between VIP tiers (docs/API.md VIP tiers and Events): promotion on lifetime
/// points and on spend, demotion when spend leaves a tier's window or a tier changes, the tier's
/// multiplier on earning, and <c>tier.changed</c>.
/// </summary>
public sealed class TierEvaluationTests
{
    [Theory, DatabaseData]
    public async Task Crossing_a_points_threshold_promotes_the_customer_with_a_tier_changed_event(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var silver = await CreateTierAsync(server.Client, new { name = "Silver", points_required = 100 });
        var gold = await CreateTierAsync(server.Client, new { name = "Gold", points_required = 500 });
        var customer = await NewCustomerAsync(server.Client);

        await PostPointsAsync(server.Client, customer, 99);
        (await TierOfAsync(server.Client, customer)).ShouldBeNull();
        (await TierEventsAsync(server.Client)).ShouldBeEmpty();

        await PostPointsAsync(server.Client, customer, 1);
        (await TierOfAsync(server.Client, customer)).ShouldBe("Silver");
        var promoted = (await TierEventsAsync(server.Client)).ShouldHaveSingleItem();
        promoted.GetProperty("object").GetString().ShouldBe("tier_change");
        promoted.GetProperty("customer_id").GetString().ShouldBe(customer);
        promoted.GetProperty("previous_tier").ValueKind.ShouldBe(JsonValueKind.Null);
        promoted.GetProperty("new_tier").GetProperty("id").GetString().ShouldBe(silver);
        promoted.GetProperty("new_tier").GetProperty("name").GetString().ShouldBe("Silver");
        promoted.GetProperty("direction").GetString().ShouldBe("promotion");
        promoted.GetProperty("reason").GetString().ShouldBe("lifetime_points");

        // Straight past Gold's threshold with an adjustment: one move, to the highest tier.
        await PostPointsAsync(server.Client, customer, 450, "adjusted");
        (await TierOfAsync(server.Client, customer)).ShouldBe("Gold");
        var events = await TierEventsAsync(server.Client);
        events.Count.ShouldBe(2);
        events[0].GetProperty("previous_tier").GetProperty("id").GetString().ShouldBe(silver);
        events[0].GetProperty("new_tier").GetProperty("id").GetString().ShouldBe(gold);
        events[0].GetProperty("new_tier").GetProperty("name").GetString().ShouldBe("Gold");

        // Spending points never takes lifetime points, or the tier, away; neither does a downward adjustment.
        (await server.Client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = -500 }))
            .Status.ShouldBe(HttpStatusCode.Created);
        (await server.Client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = -50, type = "adjusted" }))
            .Status.ShouldBe(HttpStatusCode.Created);
        (await TierOfAsync(server.Client, customer)).ShouldBe("Gold");
        (await TierEventsAsync(server.Client)).Count.ShouldBe(2);
    }

    [Theory, DatabaseData]
    public async Task The_customer_list_filters_by_tier_id_or_name(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var silver = await CreateTierAsync(server.Client, new { name = "Silver", points_required = 100 });
        await CreateTierAsync(server.Client, new { name = "Gold", points_required = 500 });
        var a = await NewCustomerAsync(server.Client);
        var b = await NewCustomerAsync(server.Client);
        var c = await NewCustomerAsync(server.Client);
        await PostPointsAsync(server.Client, a, 150);
        await PostPointsAsync(server.Client, b, 600);
        await PostPointsAsync(server.Client, c, 10);

        async Task<List<string>> ListAsync(string tier) =>
            (await server.Client.GetJsonAsync($"/api/v1/customers?tier={Uri.EscapeDataString(tier)}"))["data"]
                .EnumerateArray().Select(x => x.GetProperty("id").GetString()!).ToList();

        (await ListAsync("Silver")).ShouldBe(new[] { a });
        (await ListAsync(silver)).ShouldBe(new[] { a });
        (await ListAsync("Gold")).ShouldBe(new[] { b });
        (await ListAsync("Bronze")).ShouldBeEmpty();
        var list = await server.Client.GetJsonAsync("/api/v1/customers?tier=Gold");
        list.Long("total_count").ShouldBe(1);
        list["data"][0].GetProperty("vip_tier").GetString().ShouldBe("Gold");

        // Another program cannot see the tier by its name or id.
        var (_, other) = await server.CreateProgramAsync();
        (await other.GetJsonAsync($"/api/v1/customers?tier={silver}")).Long("total_count").ShouldBe(0);
        (await other.GetJsonAsync("/api/v1/customers?tier=Silver")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Pending_points_count_for_tiers_when_they_become_available(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        await CreateTierAsync(server.Client, new { name = "Silver", points_required = 100 });
        var customer = await NewCustomerAsync(server.Client);
        var due = clock.GetUtcNow().AddDays(2).ToUnixTimeMilliseconds();
        await server.WritePath.RunAsync(context => Ledger.PostAsync(context, new Ledger.Entry(
            server.ProgramId, customer, 150, PointsTypes.Earned, "Order", null, "test", AvailableAtMs: due)));

        (await TierOfAsync(server.Client, customer)).ShouldBeNull();
        clock.Advance(TimeSpan.FromDays(2));
        await server.RunJobsAsync();

        var after = await server.Client.GetJsonAsync($"/api/v1/customers/{customer}");
        after.Long("lifetime_points").ShouldBe(150);
        after.Str("vip_tier").ShouldBe("Silver");
        (await TierEventsAsync(server.Client)).ShouldHaveSingleItem().GetProperty("reason").GetString().ShouldBe("lifetime_points");
    }

    [Theory, DatabaseData]
    public async Task The_tier_multiplier_is_what_earning_multiplies_by(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var gold = await CreateTierAsync(server.Client, new { name = "Gold", points_required = 100, multiplier = 2.5 });
        var customer = await NewCustomerAsync(server.Client);

        (await server.WritePath.RunAsync(context => Tiers.MultiplierAsync(context.Sql, gold))).ShouldBe(2.5m);
        (await server.WritePath.RunAsync(context => Tiers.MultiplierAsync(context.Sql, null))).ShouldBe(1m);
        (await server.WritePath.RunAsync(context => Tiers.MultiplierAsync(context.Sql, "tier_missing"))).ShouldBe(1m);

        // An order paid by a Gold customer earns 2.5 times the program's 1 point per 1.00.
        await PostPointsAsync(server.Client, customer, 100);
        var order = await server.Client.PostJsonAsync("/api/v1/orders",
            new { id = "order-1", customer_id = customer, total = 40, currency = "USD", status = "paid" });
        order.Status.ShouldBe(HttpStatusCode.Created, order.Raw);
        order.Long("points_earned").ShouldBe(100);
        (await BalanceAsync(server.Client, customer)).ShouldBe(200);

        // A deleted tier multiplies nothing any more.
        (await server.Client.DeleteJsonAsync($"{TiersPath}/{gold}")).Status.ShouldBe(HttpStatusCode.OK);
        (await server.WritePath.RunAsync(context => Tiers.MultiplierAsync(context.Sql, gold))).ShouldBe(1m);
    }

    [Theory, DatabaseData]
    public async Task A_spend_tier_demotes_when_the_spend_leaves_its_window(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        var silver = await CreateTierAsync(server.Client, new { name = "Silver", spend_required = 50, spend_window_days = 365 });
        var gold = await CreateTierAsync(server.Client, new { name = "Gold", spend_required = 100, spend_window_days = 30 });
        var customer = await NewCustomerAsync(server.Client);
        var bystander = await NewCustomerAsync(server.Client);
        await server.RunJobsAsync();

        // A paid order of 150.00, as the orders code records it, then evaluated as it does after a payment.
        await PaidOrderAsync(server, customer, "o-1", 150m, refunded: 0m);
        await PaidOrderAsync(server, bystander, "o-2", 120m, refunded: 80m);
        (await TierOfAsync(server.Client, customer)).ShouldBe("Gold");
        (await TierOfAsync(server.Client, bystander)).ShouldBeNull();
        var promoted = (await TierEventsAsync(server.Client)).ShouldHaveSingleItem();
        promoted.GetProperty("new_tier").GetProperty("id").GetString().ShouldBe(gold);
        promoted.GetProperty("reason").GetString().ShouldBe("spend");

        // Still inside Gold's 30 days: the daily check keeps the customer there.
        clock.Advance(TimeSpan.FromDays(29));
        await server.RunJobsAsync();
        (await TierOfAsync(server.Client, customer)).ShouldBe("Gold");

        // Past 30 days the 150.00 only counts for Silver's 365-day window.
        clock.Advance(TimeSpan.FromDays(2));
        await server.RunJobsAsync();
        (await TierOfAsync(server.Client, customer)).ShouldBe("Silver");
        var demoted = await TierEventsAsync(server.Client);
        demoted.Count.ShouldBe(2);
        demoted[0].GetProperty("previous_tier").GetProperty("id").GetString().ShouldBe(gold);
        demoted[0].GetProperty("new_tier").GetProperty("id").GetString().ShouldBe(silver);
        demoted[0].GetProperty("direction").GetString().ShouldBe("demotion");
        demoted[0].GetProperty("reason").GetString().ShouldBe("spend_window");

        // A year on, nothing is left in any window.
        clock.Advance(TimeSpan.FromDays(340));
        await server.RunJobsAsync();
        (await TierOfAsync(server.Client, customer)).ShouldBeNull();
        var dropped = await TierEventsAsync(server.Client);
        dropped.Count.ShouldBe(3);
        dropped[0].GetProperty("new_tier").ValueKind.ShouldBe(JsonValueKind.Null);
        dropped[0].GetProperty("previous_tier").GetProperty("name").GetString().ShouldBe("Silver");
        (await TierOfAsync(server.Client, bystander)).ShouldBeNull();
    }

    [Theory, DatabaseData]
    public async Task Creating_raising_and_deleting_tiers_moves_existing_customers_at_the_next_job_pass(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var rich = await NewCustomerAsync(server.Client);
        var modest = await NewCustomerAsync(server.Client);
        await PostPointsAsync(server.Client, rich, 800);
        await PostPointsAsync(server.Client, modest, 150);

        var silver = await CreateTierAsync(server.Client, new { name = "Silver", points_required = 100 });
        var gold = await CreateTierAsync(server.Client, new { name = "Gold", points_required = 500 });
        await server.RunJobsAsync();
        (await TierOfAsync(server.Client, rich)).ShouldBe("Gold");
        (await TierOfAsync(server.Client, modest)).ShouldBe("Silver");
        var created = await TierEventsAsync(server.Client);
        created.Count.ShouldBe(2);
        created.ShouldAllBe(e => e.GetProperty("reason").GetString() == "tier_settings");

        // Raising Gold above the rich customer's lifetime points demotes them to Silver.
        (await server.Client.PatchJsonAsync($"{TiersPath}/{gold}", new { points_required = 1000 })).Status.ShouldBe(HttpStatusCode.OK);
        await server.RunJobsAsync();
        (await TierOfAsync(server.Client, rich)).ShouldBe("Silver");
        var raised = await TierEventsAsync(server.Client);
        raised.Count.ShouldBe(3);
        raised[0].GetProperty("direction").GetString().ShouldBe("demotion");

        // Deleting Silver leaves both without a tier; the event still names the deleted tier.
        (await server.Client.DeleteJsonAsync($"{TiersPath}/{silver}")).Status.ShouldBe(HttpStatusCode.OK);
        (await TierOfAsync(server.Client, rich)).ShouldBeNull();
        await server.RunJobsAsync();
        var events = await TierEventsAsync(server.Client);
        events.Count.ShouldBe(5);
        events.Take(2).ShouldAllBe(e =>
            e.GetProperty("previous_tier").GetProperty("id").GetString() == silver
            && e.GetProperty("previous_tier").GetProperty("name").GetString() == "Silver"
            && e.GetProperty("new_tier").ValueKind == JsonValueKind.Null);
        (await server.Client.GetJsonAsync("/api/v1/customers?tier=Silver")).Long("total_count").ShouldBe(0);

        // Nothing left to do: another pass moves nobody.
        await server.RunJobsAsync();
        (await TierEventsAsync(server.Client)).Count.ShouldBe(5);
    }

    [Theory, DatabaseData]
    public async Task An_award_moves_a_customer_whose_tier_the_job_has_not_checked_yet_and_only_when_their_tier_differs(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await NewCustomerAsync(server.Client);
        await PostPointsAsync(server.Client, customer, 800);
        var silver = await CreateTierAsync(server.Client, new { name = "Silver", points_required = 100 });
        var gold = await CreateTierAsync(server.Client, new { name = "Gold", points_required = 500 });
        (await TierOfAsync(server.Client, customer)).ShouldBeNull();

        // Qualifying for both tiers already: the next award moves the customer straight to the higher one.
        await PostPointsAsync(server.Client, customer, 1);
        (await TierOfAsync(server.Client, customer)).ShouldBe("Gold");
        var promoted = (await TierEventsAsync(server.Client)).ShouldHaveSingleItem();
        promoted.GetProperty("new_tier").GetProperty("id").GetString().ShouldBe(gold);
        promoted.GetProperty("reason").GetString().ShouldBe("lifetime_points");

        // Gold raised above the customer's lifetime points, the job not run yet: the next award moves them down.
        (await server.Client.PatchJsonAsync($"{TiersPath}/{gold}", new { points_required = 1000 })).Status.ShouldBe(HttpStatusCode.OK);
        await PostPointsAsync(server.Client, customer, 1);
        (await TierOfAsync(server.Client, customer)).ShouldBe("Silver");
        var demoted = await TierEventsAsync(server.Client);
        demoted.Count.ShouldBe(2);
        demoted[0].GetProperty("new_tier").GetProperty("id").GetString().ShouldBe(silver);
        demoted[0].GetProperty("direction").GetString().ShouldBe("demotion");

        // In the right tier, short of the next: no move. Reaching Gold's threshold exactly: promoted.
        await PostPointsAsync(server.Client, customer, 197);
        (await TierOfAsync(server.Client, customer)).ShouldBe("Silver");
        (await TierEventsAsync(server.Client)).Count.ShouldBe(2);
        await PostPointsAsync(server.Client, customer, 1);
        (await TierOfAsync(server.Client, customer)).ShouldBe("Gold");
        (await TierEventsAsync(server.Client)).Count.ShouldBe(3);
    }

    [Theory, DatabaseData]
    public async Task Without_tiers_earning_moves_nobody(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await NewCustomerAsync(server.Client);

        await PostPointsAsync(server.Client, customer, 1_000_000);
        await server.RunJobsAsync();

        (await TierOfAsync(server.Client, customer)).ShouldBeNull();
        (await TierEventsAsync(server.Client)).ShouldBeEmpty();
        (await server.WritePath.RunAsync(context => Tiers.EvaluateAsync(context, server.ProgramId, customer, "test"))).ShouldBeFalse();
    }

    [Fact]
    public void The_highest_qualifying_tier_wins_and_moves_are_ranked_by_requirement()
    {
        var silver = new TierThreshold("tier_s", "Silver", 100, null, null);
        var gold = new TierThreshold("tier_g", "Gold", 500, null, null);
        var none = new Dictionary<int, long>();
        TierRules.Highest([gold, silver], 99, none).ShouldBeNull();
        TierRules.Highest([gold, silver], 100, none).ShouldBe(silver);
        TierRules.Highest([gold, silver], 10_000, none).ShouldBe(gold);
        TierRules.Direction(null, silver).ShouldBe(TierRules.Promotion);
        TierRules.Direction(silver, gold).ShouldBe(TierRules.Promotion);
        TierRules.Direction(gold, silver).ShouldBe(TierRules.Demotion);
        TierRules.Direction(silver, null).ShouldBe(TierRules.Demotion);

        var monthly = new TierThreshold("tier_m", "Monthly", null, Money.ToE4(100m), 30);
        var yearly = new TierThreshold("tier_y", "Yearly", null, Money.ToE4(50m), 365);
        string.Join(",", TierRules.SpendWindows([monthly, yearly, silver]).Order()).ShouldBe("30,365");
        TierRules.Highest([monthly, yearly], 0, new Dictionary<int, long> { [30] = Money.ToE4(99.99m), [365] = Money.ToE4(500m) })
            .ShouldBe(yearly);
        TierRules.Highest([monthly, yearly], 0, new Dictionary<int, long> { [30] = Money.ToE4(100m), [365] = Money.ToE4(100m) })
            .ShouldBe(monthly);
        TierRules.Highest([monthly, yearly], 0, none).ShouldBeNull();
    }

    private static async Task<string?> TierOfAsync(HttpClient client, string customerId)
    {
        var customer = await CustomerAsync(client, customerId);
        return customer["vip_tier"].GetString();
    }

    /// <summary>The data of every tier.changed event, most recent first.</summary>
    private static async Task<List<JsonElement>> TierEventsAsync(HttpClient client)
    {
        var events = await client.GetJsonAsync("/api/v1/events?type=tier.changed&limit=100");
        events.Status.ShouldBe(HttpStatusCode.OK, events.Raw);
        return events["data"].EnumerateArray()
            .Select(e => e.GetProperty("type").GetString() == "tier.changed" ? e.GetProperty("data") : throw new InvalidOperationException(e.ToString()))
            .ToList();
    }

    /// <summary>A paid order written as the orders code stores it, then the evaluation orders run after a payment.</summary>
    private static Task<int> PaidOrderAsync(PatronServer server, string customerId, string orderId, decimal total, decimal refunded) =>
        server.WritePath.RunAsync(async context =>
        {
            await context.Sql.ExecuteAsync(
                """
                INSERT INTO orders (program_id, id, customer_id, status, currency, total_e4, refunded_e4, paid_at, created_at, updated_at)
                VALUES (@p, @id, @c, @s, 'USD', @t, @r, @now, @now, @now)
                """,
                ("p", server.ProgramId), ("id", orderId), ("c", customerId), ("s", refunded > 0 ? OrderStatus.Refunded : OrderStatus.Paid),
                ("t", Money.ToE4(total)), ("r", Money.ToE4(refunded)), ("now", context.NowMs));
            await Tiers.EvaluateAsync(context, server.ProgramId, customerId, TierRules.Reasons.Spend);
            return 0;
        });
}
