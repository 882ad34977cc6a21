using System.Net;
using System.Text.Json;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Earning.EarningTestData;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Earning;

/// <summary>Activities earning per the earn rules (docs/API.md, Activities and Earn rules; section 5, guarantee 3).</summary>
public sealed class ActivitiesApiTests
{
    // Thursday 2026-01-15 12:00 UTC.
    private static readonly DateTimeOffset Start = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    [Theory, DatabaseData]
    public async Task An_activity_earns_the_rule_s_points_and_answers_the_activity_with_its_transaction(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var rule = await CreateRuleAsync(server.Client, new { name = "Newsletter", type = "newsletter_signup", points = 40 });
        var customer = await NewCustomerAsync(server.Client, "ada@example.com");

        var activity = await ActivityAsync(server.Client, new
        {
            customer_id = "ada@example.com",
            type = "newsletter_signup",
            properties = new { list = "weekly" },
        });

        activity.Status.ShouldBe(HttpStatusCode.Created, activity.Raw);
        activity.Str("object").ShouldBe("activity");
        activity.Str("id").ShouldStartWith("act_");
        activity.Str("type").ShouldBe("newsletter_signup");
        activity.Str("customer_id").ShouldBe(customer);
        activity.Long("points_awarded").ShouldBe(40);
        activity.Str("rule_id").ShouldBe(rule);
        activity["properties"].GetProperty("list").GetString().ShouldBe("weekly");
        var transaction = activity["transaction"];
        transaction.GetProperty("object").GetString().ShouldBe("points_transaction");
        transaction.GetProperty("points").GetInt64().ShouldBe(40);
        transaction.GetProperty("type").GetString().ShouldBe("earned");
        transaction.GetProperty("description").GetString().ShouldBe("Newsletter");
        transaction.GetProperty("balance_after").GetInt64().ShouldBe(40);
        (await BalanceAsync(server.Client, customer)).ShouldBe(40);
        (await server.Client.GetJsonAsync($"/api/v1/customers/{customer}")).Long("lifetime_points").ShouldBe(40);

        var read = await server.Client.GetJsonAsync($"{Activities}/{activity.Str("id")}");
        read.Status.ShouldBe(HttpStatusCode.OK);
        read.Raw.ShouldBe(activity.Raw);
        var list = await server.Client.GetJsonAsync($"{Activities}?customer_id=ada@example.com&type=newsletter_signup");
        list.Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync($"{Activities}?type=review")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Explicit_points_are_awarded_exactly_without_a_rule(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await NewCustomerAsync(server.Client);

        var activity = await ActivityAsync(server.Client, new { customer_id = customer, type = "attended_workshop", points = 250 });

        activity.Status.ShouldBe(HttpStatusCode.Created, activity.Raw);
        activity.Long("points_awarded").ShouldBe(250);
        activity["rule_id"].ValueKind.ShouldBe(JsonValueKind.Null);
        activity["transaction"].GetProperty("description").GetString().ShouldBe("Activity: attended_workshop");
        (await BalanceAsync(server.Client, customer)).ShouldBe(250);
    }

    [Theory, DatabaseData]
    public async Task A_type_without_an_enabled_rule_or_points_is_422_and_credits_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await NewCustomerAsync(server.Client);
        await CreateRuleAsync(server.Client, new { type = "review", points = 10, enabled = false });
        await CreateRuleAsync(server.Client, new { type = "social_follow", multiplier = 2 });

        foreach (var type in new[] { "review", "social_follow", "never_heard_of_it" })
        {
            var refused = await ActivityAsync(server.Client, new { customer_id = customer, type });
            refused.Code.ShouldBe(422, refused.Raw);
            refused.ErrorCode.ShouldBe("no_matching_rule");
        }
        (await EntriesAsync(server.Client, customer)).ShouldBe(0);
        (await server.Client.GetJsonAsync(Activities)).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Dollar_signup_is_signup_and_a_once_rule_awards_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await CreateRuleAsync(server.Client, new { type = "signup", points = 100, limit_period = "once" });
        var customer = await NewCustomerAsync(server.Client);

        var first = await ActivityAsync(server.Client, new { customer_id = customer, type = "$signup" });
        first.Status.ShouldBe(HttpStatusCode.Created, first.Raw);
        first.Str("type").ShouldBe("signup");
        first.Long("points_awarded").ShouldBe(100);

        foreach (var type in new[] { "$signup", "signup" })
        {
            var again = await ActivityAsync(server.Client, new { customer_id = customer, type });
            again.Code.ShouldBe(422, again.Raw);
            again.ErrorCode.ShouldBe("rule_limit_reached");
        }
        // Explicit points do not get around the rule's limit.
        (await ActivityAsync(server.Client, new { customer_id = customer, type = "signup", points = 5 })).ErrorCode.ShouldBe("rule_limit_reached");
        (await BalanceAsync(server.Client, customer)).ShouldBe(100);

        var other = await NewCustomerAsync(server.Client);
        (await ActivityAsync(server.Client, new { customer_id = other, type = "signup" })).Long("points_awarded").ShouldBe(100);
    }

    [Theory, DatabaseData]
    public async Task A_per_day_limit_counts_per_calendar_day(string database)
    {
        var clock = new ManualClock(Start);
        await using var server = await PatronServer.StartAsync(database, clock);
        await CreateRuleAsync(server.Client, new { type = "review", points = 10, limit_period = "day", limit_count = 2 });
        var customer = await NewCustomerAsync(server.Client);

        (await Review(server, customer)).Code.ShouldBe(201);
        (await Review(server, customer)).Code.ShouldBe(201);
        (await Review(server, customer)).ErrorCode.ShouldBe("rule_limit_reached");
        clock.Advance(TimeSpan.FromHours(11.9)); // 23:54 the same day
        (await Review(server, customer)).ErrorCode.ShouldBe("rule_limit_reached");
        clock.Advance(TimeSpan.FromMinutes(7)); // 00:01 the next day
        (await Review(server, customer)).Code.ShouldBe(201);
        (await Review(server, customer)).Code.ShouldBe(201);
        (await Review(server, customer)).ErrorCode.ShouldBe("rule_limit_reached");

        (await BalanceAsync(server.Client, customer)).ShouldBe(40);
    }

    [Theory, DatabaseData]
    public async Task A_per_week_limit_starts_again_on_monday(string database)
    {
        var clock = new ManualClock(Start);
        await using var server = await PatronServer.StartAsync(database, clock);
        await CreateRuleAsync(server.Client, new { type = "review", points = 10, limit_period = "week" });
        var customer = await NewCustomerAsync(server.Client);

        (await Review(server, customer)).Code.ShouldBe(201);
        clock.Advance(TimeSpan.FromDays(3) + TimeSpan.FromHours(11)); // Sunday 23:00
        (await Review(server, customer)).ErrorCode.ShouldBe("rule_limit_reached");
        clock.Advance(TimeSpan.FromHours(2)); // Monday 01:00
        (await Review(server, customer)).Code.ShouldBe(201);
        (await Review(server, customer)).ErrorCode.ShouldBe("rule_limit_reached");

        (await BalanceAsync(server.Client, customer)).ShouldBe(20);
    }

    [Theory, DatabaseData]
    public async Task A_per_month_limit_starts_again_on_the_first(string database)
    {
        var clock = new ManualClock(Start);
        await using var server = await PatronServer.StartAsync(database, clock);
        await CreateRuleAsync(server.Client, new { type = "review", points = 10, limit_period = "month", limit_count = 3 });
        var customer = await NewCustomerAsync(server.Client);

        for (var i = 0; i < 3; i++)
        {
            (await Review(server, customer)).Code.ShouldBe(201);
        }
        clock.Advance(TimeSpan.FromDays(16) + TimeSpan.FromHours(11)); // 31 January 23:00
        (await Review(server, customer)).ErrorCode.ShouldBe("rule_limit_reached");
        clock.Advance(TimeSpan.FromHours(2)); // 1 February 01:00
        (await Review(server, customer)).Code.ShouldBe(201);

        (await BalanceAsync(server.Client, customer)).ShouldBe(40);
    }

    [Theory, DatabaseData]
    public async Task A_rule_earns_only_inside_its_date_window(string database)
    {
        var clock = new ManualClock(Start);
        await using var server = await PatronServer.StartAsync(database, clock);
        await CreateRuleAsync(server.Client, new
        {
            type = "social_follow",
            points = 30,
            starts_at = "2026-01-20T00:00:00Z",
            ends_at = "2026-01-25T00:00:00Z",
        });
        var customer = await NewCustomerAsync(server.Client);

        (await Follow()).ErrorCode.ShouldBe("no_matching_rule");
        clock.Advance(TimeSpan.FromDays(4.5)); // 20 January 00:00
        (await Follow()).Long("points_awarded").ShouldBe(30);
        clock.Advance(TimeSpan.FromDays(5) - TimeSpan.FromMilliseconds(1)); // the last millisecond inside
        (await Follow()).Long("points_awarded").ShouldBe(30);
        clock.Advance(TimeSpan.FromMilliseconds(1)); // 25 January 00:00: ended
        (await Follow()).ErrorCode.ShouldBe("no_matching_rule");

        (await BalanceAsync(server.Client, customer)).ShouldBe(60);

        Task<ApiResponse> Follow() => ActivityAsync(server.Client, new { customer_id = customer, type = "social_follow" });
    }

    [Theory, DatabaseData]
    public async Task A_tier_filter_and_the_tier_multiplier_decide_what_a_customer_earns(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var gold = await CreateTierAsync(server.Client, new { name = "Gold", points_required = 1000, multiplier = 1.5m });
        await CreateRuleAsync(server.Client, new { type = "review", points = 100 });
        var goldRule = await CreateRuleAsync(server.Client, new { type = "review", points = 300, tier_ids = new[] { gold } });
        var goldOnly = await CreateRuleAsync(server.Client, new { type = "vip_event", points = 50, tier_ids = new[] { gold } });
        var member = await NewCustomerAsync(server.Client);
        var plain = await NewCustomerAsync(server.Client);
        await JoinTierAsync(server.Client, member, 1000, "Gold");

        // The plain customer earns from the general rule, without a multiplier.
        (await ActivityAsync(server.Client, new { customer_id = plain, type = "review" })).Long("points_awarded").ShouldBe(100);
        (await ActivityAsync(server.Client, new { customer_id = plain, type = "vip_event" })).ErrorCode.ShouldBe("no_matching_rule");

        // The gold member earns from the gold rule (the more specific one), times the tier's 1.5.
        var review = await ActivityAsync(server.Client, new { customer_id = member, type = "review" });
        review.Str("rule_id").ShouldBe(goldRule);
        review.Long("points_awarded").ShouldBe(450);
        var vip = await ActivityAsync(server.Client, new { customer_id = member, type = "vip_event" });
        vip.Str("rule_id").ShouldBe(goldOnly);
        vip.Long("points_awarded").ShouldBe(75);
        // Explicit points are exact: no tier multiplier.
        (await ActivityAsync(server.Client, new { customer_id = member, type = "vip_event", points = 10 })).Long("points_awarded").ShouldBe(10);

        (await BalanceAsync(server.Client, member)).ShouldBe(1000 + 450 + 75 + 10);
    }

    [Theory, DatabaseData]
    public async Task A_campaign_multiplies_its_own_type_only_and_only_inside_its_window(string database)
    {
        var clock = new ManualClock(Start);
        await using var server = await PatronServer.StartAsync(database, clock);
        await CreateRuleAsync(server.Client, new { type = "review", points = 25 });
        await CreateRuleAsync(server.Client, new { type = "social_follow", points = 10 });
        await CreateRuleAsync(server.Client, new
        {
            name = "Double review days",
            type = "review",
            multiplier = 2,
            starts_at = "2026-01-16T00:00:00Z",
            ends_at = "2026-01-18T00:00:00Z",
        });
        var customer = await NewCustomerAsync(server.Client);

        (await Review(server, customer)).Long("points_awarded").ShouldBe(25);
        clock.Advance(TimeSpan.FromHours(12)); // 16 January 00:00: the campaign runs
        (await Review(server, customer)).Long("points_awarded").ShouldBe(50);
        (await ActivityAsync(server.Client, new { customer_id = customer, type = "social_follow" })).Long("points_awarded").ShouldBe(10);
        (await ActivityAsync(server.Client, new { customer_id = customer, type = "review", points = 7 })).Long("points_awarded").ShouldBe(7);
        clock.Advance(TimeSpan.FromDays(2)); // 18 January 00:00: it is over
        (await Review(server, customer)).Long("points_awarded").ShouldBe(25);

        (await BalanceAsync(server.Client, customer)).ShouldBe(25 + 50 + 10 + 7 + 25);
    }

    [Theory, DatabaseData]
    public async Task Twenty_concurrent_activities_award_exactly_the_limit(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await CreateRuleAsync(server.Client, new { type = "signup", points = 100, limit_period = "once" });
        await CreateRuleAsync(server.Client, new { type = "review", points = 10, limit_period = "day", limit_count = 3 });
        var customer = await NewCustomerAsync(server.Client);

        var signups = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            ActivityAsync(server.Client, new { customer_id = customer, type = "$signup" })));
        var reviews = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Review(server, customer)));

        signups.Count(a => a.Code == 201).ShouldBe(1);
        signups.Where(a => a.Code != 201).ShouldAllBe(a => a.ErrorCode == "rule_limit_reached");
        reviews.Count(a => a.Code == 201).ShouldBe(3);
        reviews.Where(a => a.Code != 201).ShouldAllBe(a => a.ErrorCode == "rule_limit_reached");
        (await BalanceAsync(server.Client, customer)).ShouldBe(130);
        (await EntriesAsync(server.Client, customer)).ShouldBe(4);
    }

    [Theory, DatabaseData]
    public async Task A_repeated_reference_answers_the_original_activity_and_credits_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await CreateRuleAsync(server.Client, new { type = "review", points = 10 });
        var customer = await NewCustomerAsync(server.Client);
        var body = new { customer_id = customer, type = "review", reference = "review-981" };

        var first = await ActivityAsync(server.Client, body);
        var again = await ActivityAsync(server.Client, body);

        first.Status.ShouldBe(HttpStatusCode.Created, first.Raw);
        again.Status.ShouldBe(HttpStatusCode.OK, again.Raw);
        again.Raw.ShouldBe(first.Raw);
        first.Str("reference").ShouldBe("review-981");
        first["transaction"].GetProperty("reference").GetString().ShouldBe("review-981");

        var racing = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            ActivityAsync(server.Client, new { customer_id = customer, type = "review", reference = "review-982" })));
        racing.Count(a => a.Code == 201).ShouldBe(1);
        racing.Count(a => a.Code == 200).ShouldBe(19);
        racing.Select(a => a.Str("id")).Distinct().Count().ShouldBe(1);

        (await BalanceAsync(server.Client, customer)).ShouldBe(20);
        (await EntriesAsync(server.Client, customer)).ShouldBe(2);
    }

    [Theory, DatabaseData]
    public async Task A_reference_already_on_another_points_transaction_is_409(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await NewCustomerAsync(server.Client);
        (await server.Client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = 5, reference = "x-1" }))
            .Code.ShouldBe(201);

        var clash = await ActivityAsync(server.Client, new { customer_id = customer, type = "review", points = 10, reference = "x-1" });

        clash.Code.ShouldBe(409, clash.Raw);
        clash.ErrorCode.ShouldBe("reference_in_use");
        (await BalanceAsync(server.Client, customer)).ShouldBe(5);
    }

    [Theory, DatabaseData]
    public async Task A_blocked_customer_earns_nothing_but_a_repeat_of_an_earlier_activity_still_answers(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await CreateRuleAsync(server.Client, new { type = "review", points = 10 });
        var customer = await NewCustomerAsync(server.Client);
        var earlier = await ActivityAsync(server.Client, new { customer_id = customer, type = "review", reference = "r-1" });
        (await server.Client.PatchJsonAsync($"/api/v1/customers/{customer}", new { status = "blocked" })).Code.ShouldBe(200);

        var blocked = await ActivityAsync(server.Client, new { customer_id = customer, type = "review" });
        blocked.Code.ShouldBe(403);
        blocked.ErrorType.ShouldBe("permission_error");
        blocked.ErrorCode.ShouldBe("customer_blocked");
        (await ActivityAsync(server.Client, new { customer_id = customer, type = "review", points = 3 })).ErrorCode.ShouldBe("customer_blocked");
        var repeat = await ActivityAsync(server.Client, new { customer_id = customer, type = "review", reference = "r-1" });
        repeat.Code.ShouldBe(200);
        repeat.Str("id").ShouldBe(earlier.Str("id"));

        (await BalanceAsync(server.Client, customer)).ShouldBe(10);
    }

    [Theory, DatabaseData]
    public async Task Bad_activities_are_refused_with_the_parameter_named(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await CreateRuleAsync(server.Client, new { type = "review", points = 10 });
        var customer = await NewCustomerAsync(server.Client);

        async Task Refused(string body, int status, string code, string? param)
        {
            var answer = await server.Client.SendRawAsync(HttpMethod.Post, Activities, body);
            answer.Code.ShouldBe(status, body + " -> " + answer.Raw);
            answer.ErrorCode.ShouldBe(code, body);
            if (param is not null)
            {
                answer.Body.GetProperty("error").GetProperty("param").GetString().ShouldBe(param, body);
            }
        }

        await Refused("""{"type":"review"}""", 422, "parameter_missing", "customer_id");
        await Refused($$"""{"customer_id":"{{customer}}"}""", 422, "parameter_missing", "type");
        await Refused($$"""{"customer_id":"{{customer}}","type":"two words"}""", 422, "parameter_invalid", "type");
        await Refused($$"""{"customer_id":"{{customer}}","type":"place_order"}""", 422, "parameter_invalid", "type");
        await Refused($$"""{"customer_id":"{{customer}}","type":"review","points":0}""", 422, "parameter_invalid", "points");
        await Refused($$"""{"customer_id":"{{customer}}","type":"review","points":-4}""", 422, "parameter_invalid", "points");
        await Refused($$"""{"customer_id":"{{customer}}","type":"review","points":"lots"}""", 422, "parameter_invalid", "points");
        await Refused($$"""{"customer_id":"{{customer}}","type":"review","properties":[1,2]}""", 422, "parameter_invalid", "properties");
        await Refused($$"""{"customer_id":"{{customer}}","type":"review","reference":""}""", 422, "parameter_invalid", "reference");
        await Refused(JsonSerializer.Serialize(new { customer_id = customer, type = "review", properties = new { note = new string('x', 17_000) } }),
            422, "parameter_invalid", "properties");
        await Refused("""{"customer_id":"nobody@example.com","type":"review"}""", 404, "resource_missing", null);
        await Refused("""{"customer_id":"cus_missing","type":"review"}""", 404, "resource_missing", null);
        await Refused("[1]", 400, "invalid_body", null);

        (await EntriesAsync(server.Client, customer)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_read_key_cannot_post_activities_and_another_program_s_customer_is_not_found(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await CreateRuleAsync(server.Client, new { type = "review", points = 10 });
        var customer = await NewCustomerAsync(server.Client);
        var read = await server.ClientWithScopeAsync(Scope.Read);
        var write = await server.ClientWithScopeAsync(Scope.Write);
        var (_, other) = await server.CreateProgramAsync();

        (await ActivityAsync(read, new { customer_id = customer, type = "review" })).Code.ShouldBe(403);
        (await ActivityAsync(other, new { customer_id = customer, type = "review", points = 5 })).Code.ShouldBe(404);
        var written = await ActivityAsync(write, new { customer_id = customer, type = "review" });
        written.Code.ShouldBe(201);
        (await other.GetJsonAsync($"{Activities}/{written.Str("id")}")).Code.ShouldBe(404);
        (await BalanceAsync(server.Client, customer)).ShouldBe(10);
    }

    private static Task<ApiResponse> Review(PatronServer server, string customer) =>
        ActivityAsync(server.Client, new { customer_id = customer, type = "review" });
}
