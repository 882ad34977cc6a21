using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Hardening;

/// <summary>
/// The inputs the hostile review found answering 500: each is refused with a 4xx naming the field, or
/// (stacked multipliers) saturates, and the books stay whole.
/// </summary>
public sealed class NumberBoundsTests
{
    private const string Orders = "/api/v1/orders";

    [Theory, DatabaseData]
    public async Task Referral_points_of_the_64_bit_maximum_are_refused_with_422(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        foreach (var field in new[] { "referrer_points", "referee_points" })
        {
            var answer = await server.Client.PatchJsonAsync("/api/v1/program",
                new Dictionary<string, object> { ["referral"] = new Dictionary<string, object> { [field] = long.MaxValue } });

            answer.Code.ShouldBe(422, answer.Raw);
            answer["error"].GetProperty("param").GetString().ShouldBe($"referral.{field}", answer.Raw);
        }
        var analytics = await server.Client.GetJsonAsync("/api/v1/analytics/referrals");
        analytics.Code.ShouldBeLessThan(500, analytics.Raw);
    }

    [Theory, DatabaseData]
    public async Task A_reward_value_with_more_than_four_decimals_is_refused_rather_than_stored_as_another_number(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var kept = await server.Client.PostJsonAsync("/api/v1/rewards", new { name = "Kept", type = "amount_discount", value = 1.2345m, points_cost = 1 });
        kept.Code.ShouldBe(201, kept.Raw);

        foreach (var value in new[] { 0.00005m, 1.23456789m })
        {
            var created = await server.Client.PostJsonAsync("/api/v1/rewards", new { name = "Tiny", type = "amount_discount", value, points_cost = 1 });
            var patched = await server.Client.PatchJsonAsync($"/api/v1/rewards/{kept.Str("id")}", new { value });

            created.Code.ShouldBe(422, created.Raw);
            created.ErrorParam.ShouldBe("value");
            patched.Code.ShouldBe(422, patched.Raw);
            patched.ErrorParam.ShouldBe("value");
        }
        (await server.Client.GetJsonAsync("/api/v1/rewards")).Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync($"/api/v1/rewards/{kept.Str("id")}"))["value"].GetDecimal().ShouldBe(1.2345m);
    }

    [Theory, DatabaseData]
    public async Task A_program_rate_or_point_value_with_more_than_four_decimals_is_refused_rather_than_rounded(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var before = await server.Client.GetJsonAsync("/api/v1/program");

        foreach (var (field, value) in new[] { ("points_per_unit", 0.00001m), ("points_per_unit", 1.23456789m), ("point_value", 1.00001m) })
        {
            var answer = await server.Client.PatchJsonAsync("/api/v1/program", new Dictionary<string, object> { [field] = value });

            answer.Code.ShouldBe(422, answer.Raw);
            answer.ErrorParam.ShouldBe(field);
        }
        var after = await server.Client.GetJsonAsync("/api/v1/program");
        after["points_per_unit"].GetDecimal().ShouldBe(before["points_per_unit"].GetDecimal());
        after["point_value"].ValueKind.ShouldBe(before["point_value"].ValueKind);
        (await server.Client.PatchJsonAsync("/api/v1/program", new { points_per_unit = 1.2345m })).Code.ShouldBe(200);
    }

    [Theory, DatabaseData]
    public async Task A_referral_min_order_total_of_1e20_is_refused_with_422(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var answer = await server.Client.PatchJsonAsync("/api/v1/program", new { referral = new { min_order_total = 1e20m } });

        answer.Code.ShouldBe(422, answer.Raw);
        answer["error"].GetProperty("param").GetString().ShouldBe("referral.min_order_total", answer.Raw);
    }

    [Theory, DatabaseData]
    public async Task A_refund_of_9_2e14_and_a_refunded_total_past_1e20_are_refused_with_422(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await TestKit.NewCustomerAsync(server.Client);
        await TestKit.OkAsync(server.Client.PostJsonAsync(Orders, new { id = "N-1", customer_id = c, total = 100m, status = "paid" }));

        var refund = await server.Client.PostJsonAsync($"{Orders}/N-1/refunds", new { amount = 920_000_000_000_000m });
        var refunded = await server.Client.PatchJsonAsync($"{Orders}/N-1", new { refunded_total = 100_000_000_000_000_000_001m });

        refund.Code.ShouldBe(422, refund.Raw);
        refunded.Code.ShouldBe(422, refunded.Raw);
        refunded["error"].GetProperty("param").GetString().ShouldBe("refunded_total");
        (await TestKit.CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(100);
    }

    [Theory, DatabaseData]
    public async Task Stacked_campaign_multipliers_saturate_at_the_points_bound_instead_of_failing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await TestKit.SetProgramAsync(server.Client, new { points_per_unit = 1_000_000 });
        await TestKit.CreatedIdAsync(server.Client, "/api/v1/vip_tiers", new { name = "Top", points_required = 1, multiplier = 100 });
        for (var i = 0; i < 16; i++)
        {
            await TestKit.OkAsync(server.Client.PostJsonAsync("/api/v1/earn_rules", new { type = "place_order", multiplier = 100, name = $"x{i}" }));
        }
        var c = await TestKit.NewCustomerAsync(server.Client, points: 1);
        (await TestKit.CustomerAsync(server.Client, c)).Str("vip_tier").ShouldBe("Top");

        var paid = await server.Client.PostJsonAsync(Orders, new { id = "N-2", customer_id = c, total = 1_000_000_000_000m, status = "paid" });

        paid.Code.ShouldBe(201, paid.Raw);
        paid.Long("points_earned").ShouldBe(1_000_000_000_000);
        var customer = await TestKit.CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe((await TestKit.LedgerAsync(server.Client, c)).Sum(e => e.Points));
    }

    [Theory, DatabaseData]
    public async Task Stacked_multipliers_on_an_activity_saturate_instead_of_failing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await TestKit.OkAsync(server.Client.PostJsonAsync("/api/v1/earn_rules", new { type = "review", points = 1_000_000_000_000 }));
        for (var i = 0; i < 16; i++)
        {
            await TestKit.OkAsync(server.Client.PostJsonAsync("/api/v1/earn_rules", new { type = "review", multiplier = 100, name = $"x{i}" }));
        }
        var c = await TestKit.NewCustomerAsync(server.Client);

        var answer = await server.Client.PostJsonAsync("/api/v1/activities", new { customer_id = c, type = "review" });

        answer.Code.ShouldBeLessThan(500, answer.Raw);
        var customer = await TestKit.CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBeLessThanOrEqualTo(1_000_000_000_000);
        customer.Long("points_balance").ShouldBe((await TestKit.LedgerAsync(server.Client, c)).Sum(e => e.Points));
    }

    [Theory, DatabaseData]
    public async Task A_balance_never_passes_its_bound_and_the_credit_that_would_is_refused(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await TestKit.NewCustomerAsync(server.Client);
        ApiResponse? last = null;
        for (var i = 0; i < 12; i++)
        {
            last = await server.Client.PostJsonAsync(TestKit.PointsPath(c), new { points = 1_000_000_000_000 });
            last.Code.ShouldBeLessThan(500, last.Raw);
        }

        last!.Code.ShouldBe(422, last.Raw);
        last.ErrorCode.ShouldBe("balance_limit");
        var customer = await TestKit.CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(10_000_000_000_000);
        customer.Long("points_balance").ShouldBe((await TestKit.LedgerAsync(server.Client, c)).Sum(e => e.Points));
    }
}
