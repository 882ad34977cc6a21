using System.Net;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Rewards.RewardsTestKit;

namespace Patron.Tests.Rewards;

/// <summary>Rewards CRUD (docs/API.md, Rewards): every type, fixed and variable pricing, validation, admin only.</summary>
public sealed class RewardsApiTests
{
    [Theory, DatabaseData]
    public async Task Every_reward_type_can_be_created_read_listed_changed_and_deleted(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var ids = new List<string>
        {
            await NewRewardAsync(client, new { name = "5 off", type = "amount_discount", value = 5.00m, points_cost = 500, code_prefix = "FIVE-" }),
            await NewRewardAsync(client, new { name = "10%", type = "percentage_discount", value = 10, points_cost = 800 }),
            await NewRewardAsync(client, new { name = "Ship", type = "free_shipping", points_cost = 300, enabled = false }),
            await NewRewardAsync(client, new { name = "Mug", type = "free_product", product_id = "sku-mug", points_cost = 900 }),
            await NewRewardAsync(client, new { name = "Credit", type = "store_credit", variable = new { points_per_unit = 100, min_points = 100, max_points = 5000 } }),
            await NewRewardAsync(client, new { name = "Tour", type = "custom", points_cost = 0, limit_per_customer = 1, expires_in_days = 30, code_source = "pool" }),
        };

        var mug = await client.GetJsonAsync($"{RewardsPath}/{ids[3]}");
        mug.Str("type").ShouldBe("free_product");
        mug.Str("product_id").ShouldBe("sku-mug");
        mug.Long("points_cost").ShouldBe(900);
        mug.Str("code_source").ShouldBe("generated");
        mug["enabled"].GetBoolean().ShouldBeTrue();
        var credit = await client.GetJsonAsync($"{RewardsPath}/{ids[4]}");
        credit["points_cost"].ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        credit["variable"].GetProperty("points_per_unit").GetInt64().ShouldBe(100);
        credit["variable"].GetProperty("max_points").GetInt64().ShouldBe(5000);
        (await client.GetJsonAsync($"{RewardsPath}/{ids[0]}"))["value"].GetDecimal().ShouldBe(5.00m);
        var tour = await client.GetJsonAsync($"{RewardsPath}/{ids[5]}");
        tour.Long("limit_per_customer").ShouldBe(1);
        tour.Long("expires_in_days").ShouldBe(30);
        tour.Str("code_source").ShouldBe("pool");

        var all = await client.GetJsonAsync(RewardsPath);
        all.Long("total_count").ShouldBe(6);
        all["data"][0].GetProperty("id").GetString().ShouldBe(ids[5]);
        (await client.GetJsonAsync($"{RewardsPath}?enabled=true")).Long("total_count").ShouldBe(5);
        (await client.GetJsonAsync($"{RewardsPath}?enabled=false")).Long("total_count").ShouldBe(1);
        (await client.GetJsonAsync($"{RewardsPath}?enabled=maybe")).Code.ShouldBe(422);

        var patched = await client.PatchJsonAsync($"{RewardsPath}/{ids[2]}", new { enabled = true, points_cost = 250, description = "Any order" });
        patched.Status.ShouldBe(HttpStatusCode.OK, patched.Raw);
        patched.Long("points_cost").ShouldBe(250);
        patched.Str("description").ShouldBe("Any order");
        patched.Str("name").ShouldBe("Ship");
        (await client.GetJsonAsync($"{RewardsPath}/{ids[2]}"))["enabled"].GetBoolean().ShouldBeTrue();
        var toFixed = await client.PatchJsonAsync($"{RewardsPath}/{ids[4]}", new { points_cost = 1000, value = 10m });
        toFixed["variable"].ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        toFixed.Long("points_cost").ShouldBe(1000);
        (await client.PatchJsonAsync($"{RewardsPath}/{ids[0]}", new { type = "percentage_discount", value = 500 })).ErrorCode.ShouldBe("parameter_invalid");

        var deleted = await client.DeleteJsonAsync($"{RewardsPath}/{ids[1]}");
        deleted.Status.ShouldBe(HttpStatusCode.OK);
        deleted["deleted"].GetBoolean().ShouldBeTrue();
        (await client.GetJsonAsync($"{RewardsPath}/{ids[1]}")).Code.ShouldBe(404);
        (await client.DeleteJsonAsync($"{RewardsPath}/{ids[1]}")).Code.ShouldBe(404);
        (await client.GetJsonAsync(RewardsPath)).Long("total_count").ShouldBe(5);
    }

    [Theory, DatabaseData]
    public async Task Invalid_rewards_are_refused_naming_the_parameter(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        async Task Refused(object body, string param, string code = "parameter_invalid")
        {
            var r = await server.Client.PostJsonAsync(RewardsPath, body);
            r.Code.ShouldBe(422, r.Raw);
            r.ErrorCode.ShouldBe(code);
            r["error"].GetProperty("param").GetString().ShouldBe(param);
        }
        await Refused(new { type = "custom", points_cost = 1 }, "name", "parameter_missing");
        await Refused(new { name = "x", points_cost = 1 }, "type", "parameter_missing");
        await Refused(new { name = "x", type = "bogus", points_cost = 1 }, "type");
        await Refused(new { name = "x", type = "custom" }, "points_cost", "parameter_missing");
        await Refused(new { name = "x", type = "custom", points_cost = -5 }, "points_cost");
        await Refused(new { name = "x", type = "amount_discount", points_cost = 5 }, "value", "parameter_missing");
        await Refused(new { name = "x", type = "percentage_discount", value = 150, points_cost = 5 }, "value");
        await Refused(new { name = "x", type = "free_shipping", variable = new { points_per_unit = 10, min_points = 1, max_points = 5 } }, "variable");
        await Refused(new { name = "x", type = "store_credit", variable = new { points_per_unit = 0, min_points = 1, max_points = 5 } }, "variable.points_per_unit");
        await Refused(new { name = "x", type = "store_credit", variable = new { points_per_unit = 10, min_points = 50, max_points = 5 } }, "variable.max_points");
        await Refused(new { name = "x", type = "custom", points_cost = 1, code_source = "magic" }, "code_source");
        await Refused(new { name = "x", type = "custom", points_cost = 1, code_prefix = "has space" }, "code_prefix");
        await Refused(new { name = "x", type = "custom", points_cost = 1, expires_in_days = 0 }, "expires_in_days");
        await Refused(new { name = "x", type = "custom", points_cost = 1, limit_per_customer = -1 }, "limit_per_customer");
        await Refused(new { name = "x", type = "custom", points_cost = 1, min_tier = "tier_nope" }, "min_tier");
        await Refused(new { name = "x", type = "custom", points_cost = "lots" }, "points_cost");
        (await server.Client.GetJsonAsync(RewardsPath)).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Only_admin_keys_change_rewards_and_other_programs_see_none(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewRewardAsync(server.Client, new { name = "Mug", type = "free_product", points_cost = 10 });
        var writer = await server.ClientWithScopeAsync(Scope.Write);
        var reader = await server.ClientWithScopeAsync(Scope.Read);

        (await writer.PostJsonAsync(RewardsPath, new { name = "y", type = "custom", points_cost = 1 })).Code.ShouldBe(403);
        (await writer.PatchJsonAsync($"{RewardsPath}/{id}", new { name = "z" })).Code.ShouldBe(403);
        (await writer.DeleteJsonAsync($"{RewardsPath}/{id}")).Code.ShouldBe(403);
        (await writer.PostJsonAsync($"{RewardsPath}/{id}/voucher_codes", new List<string> { "A1" })).Code.ShouldBe(403);
        (await writer.GetJsonAsync($"{RewardsPath}/{id}/voucher_codes/stats")).Code.ShouldBe(403);
        (await reader.GetJsonAsync($"{RewardsPath}/{id}")).Str("name").ShouldBe("Mug");
        (await reader.GetJsonAsync(RewardsPath)).Long("total_count").ShouldBe(1);

        var (_, other) = await server.CreateProgramAsync();
        (await other.GetJsonAsync($"{RewardsPath}/{id}")).Code.ShouldBe(404);
        (await other.PatchJsonAsync($"{RewardsPath}/{id}", new { name = "mine" })).Code.ShouldBe(404);
        (await other.GetJsonAsync(RewardsPath)).Long("total_count").ShouldBe(0);
        var customer = await NewCustomerAsync(other, points: 100);
        (await RedeemAsync(other, customer, new { reward_id = id })).Code.ShouldBe(404);
        (await server.Client.GetJsonAsync($"{RewardsPath}/{id}")).Str("name").ShouldBe("Mug");
    }
}
