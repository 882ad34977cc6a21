using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Earning.EarningTestData;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Earning;

/// <summary>Birthday points from the background job (docs/API.md, Earn rules: <c>birthday</c>).</summary>
public sealed class BirthdayJobTests
{
    [Theory, DatabaseData]
    public async Task The_birthday_rule_awards_once_on_the_day_however_often_the_job_runs_and_again_next_year(string database)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        await using var server = await PatronServer.StartAsync(database, clock);
        var rule = await CreateRuleAsync(server.Client, new { name = "Happy birthday", type = "birthday", points = 200 });
        var customer = await NewCustomerAsync(server.Client, birthday: "1990-01-16");
        var other = await NewCustomerAsync(server.Client, birthday: "1990-06-01");

        await server.RunJobsAsync();
        (await BalanceAsync(server.Client, customer)).ShouldBe(0); // the day before

        clock.Advance(TimeSpan.FromHours(12)); // 16 January 00:00
        for (var i = 0; i < 3; i++)
        {
            await server.RunJobsAsync();
        }
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => server.RunJobsAsync()));
        clock.Advance(TimeSpan.FromHours(23));
        await server.RunJobsAsync();

        (await BalanceAsync(server.Client, customer)).ShouldBe(200);
        (await EntriesAsync(server.Client, customer)).ShouldBe(1);
        (await BalanceAsync(server.Client, other)).ShouldBe(0);
        var activities = await server.Client.GetJsonAsync($"{Activities}?customer_id={customer}");
        activities.Long("total_count").ShouldBe(1);
        var activity = activities["data"][0];
        activity.GetProperty("type").GetString().ShouldBe("birthday");
        activity.GetProperty("rule_id").GetString().ShouldBe(rule);
        activity.GetProperty("created_by").GetString().ShouldBe("system");
        activity.GetProperty("transaction").GetProperty("description").GetString().ShouldBe("Happy birthday");

        // Posting the birthday activity by hand cannot award the same year twice either.
        var manual = await ActivityAsync(server.Client, new { customer_id = customer, type = "birthday" });
        manual.Code.ShouldBe(422, manual.Raw);
        manual.ErrorCode.ShouldBe("rule_limit_reached");

        clock.Advance(TimeSpan.FromDays(200));
        await server.RunJobsAsync();
        (await BalanceAsync(server.Client, customer)).ShouldBe(200);

        clock.Advance(TimeSpan.FromDays(165) - TimeSpan.FromHours(23)); // 16 January 2027 00:00
        await server.RunJobsAsync();
        await server.RunJobsAsync();
        (await BalanceAsync(server.Client, customer)).ShouldBe(400);
        (await EntriesAsync(server.Client, customer)).ShouldBe(2);
    }

    [Theory, DatabaseData]
    public async Task A_29_february_birthday_is_awarded_on_28_february_in_other_years(string database)
    {
        var clock = new ManualClock(new DateTimeOffset(2027, 2, 27, 12, 0, 0, TimeSpan.Zero));
        await using var server = await PatronServer.StartAsync(database, clock);
        await CreateRuleAsync(server.Client, new { type = "birthday", points = 100 });
        var leapling = await NewCustomerAsync(server.Client, birthday: "2000-02-29");

        await server.RunJobsAsync();
        (await BalanceAsync(server.Client, leapling)).ShouldBe(0);
        clock.Advance(TimeSpan.FromHours(12)); // 28 February 2027 00:00 (2027 has no 29th)
        await server.RunJobsAsync();
        (await BalanceAsync(server.Client, leapling)).ShouldBe(100);
        clock.Advance(TimeSpan.FromDays(1)); // 1 March 2027
        await server.RunJobsAsync();
        (await BalanceAsync(server.Client, leapling)).ShouldBe(100);

        clock.Advance(TimeSpan.FromDays(364)); // 28 February 2028: a leap year, so not yet
        await server.RunJobsAsync();
        (await BalanceAsync(server.Client, leapling)).ShouldBe(100);
        clock.Advance(TimeSpan.FromDays(1)); // 29 February 2028
        await server.RunJobsAsync();
        await server.RunJobsAsync();
        (await BalanceAsync(server.Client, leapling)).ShouldBe(200);
    }

    [Theory, DatabaseData]
    public async Task A_missed_birthday_is_caught_up_within_a_week_but_older_ones_are_not_awarded(string database)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        await using var server = await PatronServer.StartAsync(database, clock);
        await CreateRuleAsync(server.Client, new { type = "birthday", points = 100 });
        var lastWeek = await NewCustomerAsync(server.Client, birthday: "1985-01-09");
        var tooLongAgo = await NewCustomerAsync(server.Client, birthday: "1985-01-07");
        var yearEnd = await NewCustomerAsync(server.Client, birthday: "1985-12-31");

        await server.RunJobsAsync();

        (await BalanceAsync(server.Client, lastWeek)).ShouldBe(100);
        (await BalanceAsync(server.Client, tooLongAgo)).ShouldBe(0);
        (await BalanceAsync(server.Client, yearEnd)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Tier_specific_birthday_rules_blocked_customers_and_disabled_rules_are_respected(string database)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 10, 8, 0, 0, TimeSpan.Zero));
        await using var server = await PatronServer.StartAsync(database, clock);
        var gold = await CreateTierAsync(server.Client, new { name = "Gold", points_required = 1000, multiplier = 1m });
        await CreateRuleAsync(server.Client, new { type = "birthday", points = 100 });
        await CreateRuleAsync(server.Client, new { type = "birthday", points = 500, tier_ids = new[] { gold } });
        var member = await NewCustomerAsync(server.Client, birthday: "1979-03-10");
        var plain = await NewCustomerAsync(server.Client, birthday: "1979-03-10");
        var blocked = await NewCustomerAsync(server.Client, birthday: "1979-03-10");
        await JoinTierAsync(server.Client, member, 1000, "Gold");
        (await server.Client.PatchJsonAsync($"/api/v1/customers/{blocked}", new { status = "blocked" })).Status.ShouldBe(HttpStatusCode.OK);

        await server.RunJobsAsync();

        (await BalanceAsync(server.Client, member)).ShouldBe(1000 + 500);
        (await BalanceAsync(server.Client, plain)).ShouldBe(100);
        (await BalanceAsync(server.Client, blocked)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Without_an_enabled_birthday_rule_the_job_awards_nothing(string database)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 10, 8, 0, 0, TimeSpan.Zero));
        await using var server = await PatronServer.StartAsync(database, clock);
        var rule = await CreateRuleAsync(server.Client, new { type = "birthday", points = 100, enabled = false });
        var customer = await NewCustomerAsync(server.Client, birthday: "1979-03-10");

        await server.RunJobsAsync();
        (await BalanceAsync(server.Client, customer)).ShouldBe(0);

        (await server.Client.PatchJsonAsync($"{Rules}/{rule}", new { enabled = true })).Status.ShouldBe(HttpStatusCode.OK);
        await server.RunJobsAsync();
        (await BalanceAsync(server.Client, customer)).ShouldBe(100);
    }
}
