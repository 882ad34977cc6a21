using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Rewards.RewardsTestKit;

namespace Patron.Tests.Rewards;

/// <summary>Stamp cards (docs/API.md, Stamps).</summary>
public sealed class StampsApiTests
{
    private static string StampsPath(string customer) => $"/api/v1/customers/{customer}/stamps";

    [Theory, DatabaseData]
    public async Task A_full_card_issues_the_stamp_reward_and_keeps_the_remainder(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client, points: 40);
        var coffee = await NewRewardAsync(client, new { name = "Free coffee", type = "free_product", points_cost = 1000, code_prefix = "CUP" });
        (await client.PatchJsonAsync("/api/v1/program", new { stamps_required = 4, stamp_reward_id = coffee })).Code.ShouldBe(200);

        var first = await client.PostJsonAsync(StampsPath(customer), new { stamps = 3 });
        first.Code.ShouldBe(201, first.Raw);
        first.Long("current_stamps").ShouldBe(3);
        first["reward_earned"].GetBoolean().ShouldBeFalse();
        first["rewards"].GetArrayLength().ShouldBe(0);

        var second = await client.PostJsonAsync(StampsPath(customer), new { stamps = 2 });
        second["reward_earned"].GetBoolean().ShouldBeTrue();
        second.Long("current_stamps").ShouldBe(1);
        var issued = second["rewards"][0];
        issued.GetProperty("object").GetString().ShouldBe("redemption");
        issued.GetProperty("points_spent").GetInt64().ShouldBe(0);
        issued.GetProperty("reward_id").GetString().ShouldBe(coffee);
        issued.GetProperty("discount_code").GetString()!.ShouldStartWith("CUP");

        // 1 + 10 = 11 stamps: two full cards of four, three left.
        var third = await client.PostJsonAsync(StampsPath(customer), new { stamps = 10 });
        third["rewards"].GetArrayLength().ShouldBe(2);
        third.Long("current_stamps").ShouldBe(3);

        var after = await client.GetJsonAsync($"/api/v1/customers/{customer}");
        after.Long("current_stamps").ShouldBe(3);
        after.Long("points_balance").ShouldBe(40);
        (await client.GetJsonAsync($"/api/v1/customers/{customer}/redemptions")).Long("total_count").ShouldBe(3);
        (await client.GetJsonAsync("/api/v1/events?type=stamp.added")).Long("total_count").ShouldBe(3);
        (await client.GetJsonAsync("/api/v1/events?type=reward.earned")).Long("total_count").ShouldBe(3);
    }

    [Theory, DatabaseData]
    public async Task A_repeated_reference_counts_once_even_in_parallel(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client);
        var reward = await NewRewardAsync(client, new { name = "Free", type = "custom", points_cost = 0 });
        await client.PatchJsonAsync("/api/v1/program", new { stamps_required = 2, stamp_reward_id = reward });

        var responses = await ParallelAsync(10, _ => client.PostJsonAsync(StampsPath(customer), new { stamps = 3, reference = "visit-1" }));

        responses.Count(r => r.Code == 201).ShouldBe(1);
        responses.Count(r => r.Code == 200).ShouldBe(9);
        responses.Select(r => r.Str("id")).Distinct().Count().ShouldBe(1);
        responses.Select(r => r["rewards"][0].GetProperty("discount_code").GetString()).Distinct().Count().ShouldBe(1);
        (await client.GetJsonAsync($"/api/v1/customers/{customer}")).Long("current_stamps").ShouldBe(1);
        (await client.GetJsonAsync($"/api/v1/customers/{customer}/redemptions")).Long("total_count").ShouldBe(1);
        (await client.PostJsonAsync(StampsPath(customer), new { stamps = 1, reference = "visit-2" }))["reward_earned"].GetBoolean().ShouldBeTrue();
    }

    [Theory, DatabaseData]
    public async Task Bad_stamp_requests_are_refused(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client);
        (await client.PostJsonAsync(StampsPath(customer), new { stamps = 0 })).ErrorCode.ShouldBe("parameter_invalid");
        (await client.PostJsonAsync(StampsPath(customer), new { stamps = 11 })).ErrorCode.ShouldBe("parameter_invalid");
        (await client.PostJsonAsync(StampsPath(customer), new { })).ErrorCode.ShouldBe("parameter_missing");
        (await client.PostJsonAsync(StampsPath("cus_missing"), new { stamps = 1 })).Code.ShouldBe(404);
        await client.PatchJsonAsync($"/api/v1/customers/{customer}", new { status = "blocked" });
        var blocked = await client.PostJsonAsync(StampsPath(customer), new { stamps = 1 });
        blocked.Code.ShouldBe(403);
        blocked.ErrorCode.ShouldBe("customer_blocked");
        (await client.GetJsonAsync($"/api/v1/customers/{customer}")).Long("current_stamps").ShouldBe(0);
    }
}
