using System.Net;
using System.Text.Json;
using ModelContextProtocol.Client;
using Patron.Tests.Api;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Mcp;

/// <summary>
/// docs/MCP.md: the MCP server at <c>/mcp</c>, driven by the SDK's own client over Streamable HTTP, on both
/// databases. Each test works in a program of its own, and checks what a tool did through the native API.
/// </summary>
public sealed class McpServerTests(SharedServers servers) : IClassFixture<SharedServers>
{
    [Theory, DatabaseData]
    public async Task Initialize_names_Patron_and_tools_list_describes_every_input(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewMcpTenantAsync("mcp list");
        await using var client = await McpKit.ConnectAsync(server, tenant.ReadSecret);

        client.ServerInfo.ShouldNotBeNull().Name.ShouldBe("patron");
        client.ServerCapabilities.Tools.ShouldNotBeNull();
        client.ServerInstructions.ShouldNotBeNullOrWhiteSpace();
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        tools.Select(t => t.Name).Order(StringComparer.Ordinal).ShouldBe(McpKit.ToolNames);
        foreach (var tool in tools)
        {
            tool.Description.ShouldNotBeNullOrWhiteSpace(tool.Name);
            var schema = tool.JsonSchema;
            schema.GetProperty("type").GetString().ShouldBe("object", tool.Name);
            if (schema.TryGetProperty("properties", out var properties))
            {
                foreach (var property in properties.EnumerateObject())
                {
                    property.Value.TryGetProperty("description", out var description).ShouldBeTrue($"{tool.Name}.{property.Name} has no description");
                    description.GetString().ShouldNotBeNullOrWhiteSpace($"{tool.Name}.{property.Name}");
                }
            }
        }
        var award = tools.Single(t => t.Name == "award_points").JsonSchema;
        award.GetProperty("required").EnumerateArray().Select(r => r.GetString()).ShouldBe(["customer", "points", "reason"], ignoreOrder: true);
        award.GetProperty("properties").GetProperty("points").GetProperty("type").GetString().ShouldBe("integer");
        tools.Single(t => t.Name == "find_customer").ProtocolTool.Annotations!.ReadOnlyHint.ShouldBe(true);
        tools.Single(t => t.Name == "deduct_points").ProtocolTool.Annotations!.ReadOnlyHint.ShouldBe(false);
    }

    [Theory, DatabaseData]
    public async Task A_request_without_a_valid_key_is_refused_with_401_and_the_error_envelope(string database)
    {
        var server = await servers.ForAsync(database);
        const string initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";
        var headers = new Dictionary<string, string> { ["Accept"] = "application/json, text/event-stream" };

        var anonymous = await server.ClientWithKey(null).SendRawAsync(HttpMethod.Post, "/mcp", initialize, headers: headers);
        anonymous.Status.ShouldBe(HttpStatusCode.Unauthorized, anonymous.Raw);
        anonymous.ErrorCode.ShouldBe("missing_api_key");

        var wrong = await server.ClientWithKey("sk_not_a_key").SendRawAsync(HttpMethod.Post, "/mcp", initialize, headers: headers);
        wrong.Status.ShouldBe(HttpStatusCode.Unauthorized, wrong.Raw);
        wrong.ErrorCode.ShouldBe("invalid_api_key");

        await Should.ThrowAsync<Exception>(() => McpKit.ConnectAsync(server, "sk_not_a_key"));
    }

    [Theory, DatabaseData]
    public async Task Find_customer_finds_one_customer_by_each_of_its_identifiers(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewMcpTenantAsync("mcp find");
        var created = await OkAsync(tenant.Admin.PostJsonAsync(CustomersPath,
            new { email = "Ada.Lovelace@Example.com", phone = "+44 7700 900123", external_id = "shop-42", first_name = "Ada" }));
        var id = created.Str("id");
        await NewCustomerAsync(tenant.Admin); // another customer, never the answer
        await using var client = await McpKit.ConnectAsync(server, tenant.ReadSecret);

        foreach (var identifier in new[]
                 {
                     id, "ada.lovelace@example.com", "+447700900123", "shop-42", created.Str("referral_code"),
                     created.Str("referral_code").ToLowerInvariant(), created.Str("qr_code"),
                 })
        {
            var found = await client.CallAsync("find_customer", new { identifier });
            found.GetProperty("id").GetString().ShouldBe(id, identifier);
            found.GetProperty("first_name").GetString().ShouldBe("Ada");
            found.GetProperty("points_balance").GetInt64().ShouldBe(0);
        }
        (await client.CallFailingAsync("find_customer", new { identifier = "nobody@example.com" })).ShouldContain("resource_missing");
        (await client.CallFailingAsync("find_customer", new { identifier = " " })).ShouldContain("parameter_missing");
    }

    [Theory, DatabaseData]
    public async Task Points_awarded_and_deducted_by_tools_show_in_the_API_balance_and_ledger(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewMcpTenantAsync("mcp points");
        var customer = await NewCustomerAsync(tenant.Admin, email: "grace@example.com");
        await using var client = await McpKit.ConnectAsync(server, tenant.WriteSecret);

        var awarded = await client.CallAsync("award_points", new { customer = "grace@example.com", points = 150, reason = "Sorry about the late delivery" });
        awarded.GetProperty("points").GetInt64().ShouldBe(150);
        awarded.GetProperty("balance_after").GetInt64().ShouldBe(150);
        awarded.GetProperty("type").GetString().ShouldBe("earned");
        var deducted = await client.CallAsync("deduct_points", new { customer, points = 40, reason = "Points credited twice by mistake" });
        deducted.GetProperty("points").GetInt64().ShouldBe(-40);
        deducted.GetProperty("balance_after").GetInt64().ShouldBe(110);

        (await BalanceAsync(tenant.Admin, customer)).ShouldBe(110);
        var ledger = (await tenant.Admin.AllAsync(PointsPath(customer))).ToList();
        ledger.Select(e => (e.GetProperty("points").GetInt64(), e.GetProperty("description").GetString()))
            .ShouldBe([(-40, "Points credited twice by mistake"), (150, "Sorry about the late delivery")]);
        ledger[0].GetProperty("id").GetString().ShouldBe(deducted.GetProperty("id").GetString());

        (await client.CallFailingAsync("deduct_points", new { customer, points = 111, reason = "Too much" }))
            .ShouldStartWith("An error occurred invoking 'deduct_points': insufficient_points (points):");
        (await client.CallFailingAsync("award_points", new { customer, points = 0, reason = "Nothing" })).ShouldContain("parameter_invalid");
        (await client.CallFailingAsync("award_points", new { customer, points = 5, reason = new string('x', 501) })).ShouldContain("reason");
        (await BalanceAsync(tenant.Admin, customer)).ShouldBe(110);

        var history = await client.CallAsync("get_balance_and_history", new { customer, limit = 1 });
        history.GetProperty("points_balance").GetInt64().ShouldBe(110);
        history.GetProperty("lifetime_points").GetInt64().ShouldBe(150);
        history.GetProperty("history").GetArrayLength().ShouldBe(1);
        history.GetProperty("history")[0].GetProperty("points").GetInt64().ShouldBe(-40);
        (await client.CallAsync("get_balance_and_history", new { customer })).GetProperty("history").GetArrayLength().ShouldBe(2);
    }

    [Theory, DatabaseData]
    public async Task A_retried_award_with_the_same_idempotency_key_credits_once(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewMcpTenantAsync("mcp idempotency");
        var customer = await NewCustomerAsync(tenant.Admin);
        await using var client = await McpKit.ConnectAsync(server, tenant.WriteSecret);
        var key = Guid.NewGuid().ToString();
        var award = new { customer, points = 25, reason = "Birthday treat", idempotencyKey = key };

        var answers = await ParallelAsync(6, _ => client.CallAsync("award_points", award));
        answers.Select(a => a.GetProperty("id").GetString()).Distinct().Count().ShouldBe(1);
        var again = await client.CallAsync("award_points", award);
        again.GetProperty("id").GetString().ShouldBe(answers[0].GetProperty("id").GetString());

        (await BalanceAsync(tenant.Admin, customer)).ShouldBe(25);
        (await tenant.Admin.TotalAsync(PointsPath(customer))).ShouldBe(1);
        (await client.CallFailingAsync("award_points", award with { points = 26 })).ShouldContain("idempotency_key_reused");
        (await BalanceAsync(tenant.Admin, customer)).ShouldBe(25);
    }

    [Theory, DatabaseData]
    public async Task A_read_key_reads_but_every_write_tool_fails_with_insufficient_scope(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewMcpTenantAsync("mcp read key");
        var customer = await NewCustomerAsync(tenant.Admin, points: 500);
        var reward = await CreatedIdAsync(tenant.Admin, "/api/v1/rewards", new { name = "Coffee", type = "custom", points_cost = 100 });
        await using var client = await McpKit.ConnectAsync(server, tenant.ReadSecret);

        (await client.CallAsync("find_customer", new { identifier = customer })).GetProperty("points_balance").GetInt64().ShouldBe(500);
        (await client.CallFailingAsync("award_points", new { customer, points = 10, reason = "Try" })).ShouldContain("insufficient_scope");
        (await client.CallFailingAsync("deduct_points", new { customer, points = 10, reason = "Try" })).ShouldContain("insufficient_scope");
        (await client.CallFailingAsync("issue_reward", new { customer, rewardId = reward })).ShouldContain("insufficient_scope");

        (await BalanceAsync(tenant.Admin, customer)).ShouldBe(500);
        (await tenant.Admin.TotalAsync($"{CustomersPath}/{customer}/redemptions")).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Another_programs_customer_and_order_are_not_found(string database)
    {
        var server = await servers.ForAsync(database);
        var mine = await server.NewMcpTenantAsync("mcp mine");
        var theirs = await server.NewMcpTenantAsync("mcp theirs");
        var customer = await NewCustomerAsync(theirs.Admin, email: "theirs@example.com", points: 100);
        await OkAsync(theirs.Admin.PostJsonAsync("/api/v1/orders", new { id = "their-order", customer_id = customer, total = 10m, status = "paid" }));
        var before = await BalanceAsync(theirs.Admin, customer);
        await using var client = await McpKit.ConnectAsync(server, mine.WriteSecret);

        (await client.CallFailingAsync("find_customer", new { identifier = customer })).ShouldContain("resource_missing");
        (await client.CallFailingAsync("find_customer", new { identifier = "theirs@example.com" })).ShouldContain("resource_missing");
        (await client.CallFailingAsync("award_points", new { customer, points = 10, reason = "Not mine" })).ShouldContain("resource_missing");
        (await client.CallFailingAsync("deduct_points", new { customer, points = 10, reason = "Not mine" })).ShouldContain("resource_missing");
        (await client.CallFailingAsync("get_order", new { orderId = "their-order" })).ShouldContain("resource_missing");
        (await BalanceAsync(theirs.Admin, customer)).ShouldBe(before);
        (await theirs.Admin.TotalAsync(PointsPath(customer))).ShouldBe(2);
    }

    [Theory, DatabaseData]
    public async Task Issue_reward_spends_the_points_and_returns_the_code_as_the_API_shows_it(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewMcpTenantAsync("mcp reward");
        var customer = await NewCustomerAsync(tenant.Admin, points: 250);
        var reward = await CreatedIdAsync(tenant.Admin, "/api/v1/rewards", new { name = "Free coffee", type = "custom", points_cost = 100 });
        var disabled = await CreatedIdAsync(tenant.Admin, "/api/v1/rewards", new { name = "Old reward", type = "custom", points_cost = 10 });
        (await tenant.Admin.PatchJsonAsync($"/api/v1/rewards/{disabled}", new { enabled = false })).Code.ShouldBe(200);
        await using var client = await McpKit.ConnectAsync(server, tenant.WriteSecret);

        var rewards = await client.CallAsync("list_rewards");
        rewards.EnumerateArray().Select(r => (r.GetProperty("id").GetString(), r.GetProperty("points_cost").GetInt64())).ShouldBe([(reward, 100L)]);

        var key = Guid.NewGuid().ToString();
        var redemption = await client.CallAsync("issue_reward", new { customer, rewardId = reward, idempotencyKey = key });
        redemption.GetProperty("points_spent").GetInt64().ShouldBe(100);
        redemption.GetProperty("remaining_balance").GetInt64().ShouldBe(150);
        redemption.GetProperty("discount_code").GetString().ShouldNotBeNullOrEmpty();
        (await client.CallAsync("issue_reward", new { customer, rewardId = reward, idempotencyKey = key }))
            .GetProperty("id").GetString().ShouldBe(redemption.GetProperty("id").GetString());

        (await BalanceAsync(tenant.Admin, customer)).ShouldBe(150);
        var listed = await tenant.Admin.AllAsync($"{CustomersPath}/{customer}/redemptions");
        listed.Select(r => r.GetProperty("id").GetString()).ShouldBe([redemption.GetProperty("id").GetString()]);
        listed[0].GetProperty("discount_code").GetString().ShouldBe(redemption.GetProperty("discount_code").GetString());

        (await client.CallFailingAsync("issue_reward", new { customer, rewardId = "rew_missing" })).ShouldContain("resource_missing");
        (await client.CallFailingAsync("issue_reward", new { customer, rewardId = disabled })).ShouldContain("reward_disabled");
        await client.CallAsync("issue_reward", new { customer, rewardId = reward });
        (await client.CallFailingAsync("issue_reward", new { customer, rewardId = reward })).ShouldContain("insufficient_points");
        (await BalanceAsync(tenant.Admin, customer)).ShouldBe(50);
    }

    [Theory, DatabaseData]
    public async Task Get_order_shows_the_order_and_the_points_it_earned(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewMcpTenantAsync("mcp order");
        var customer = await NewCustomerAsync(tenant.Admin);
        var placed = await OkAsync(tenant.Admin.PostJsonAsync("/api/v1/orders", new { id = "order-1001", customer_id = customer, total = 25m, status = "paid" }));
        await using var client = await McpKit.ConnectAsync(server, tenant.ReadSecret);

        var order = await client.CallAsync("get_order", new { orderId = "order-1001" });
        order.GetProperty("id").GetString().ShouldBe("order-1001");
        order.GetProperty("customer_id").GetString().ShouldBe(customer);
        order.GetProperty("status").GetString().ShouldBe("paid");
        order.GetProperty("total").GetDecimal().ShouldBe(25m);
        order.GetProperty("points_earned").GetInt64().ShouldBe(placed.Long("points_earned"));
        order.GetProperty("points_earned").GetInt64().ShouldBeGreaterThan(0);
        (await client.CallFailingAsync("get_order", new { orderId = "order-9999" })).ShouldContain("resource_missing");
    }

    [Theory, DatabaseData]
    public async Task Program_summary_counts_members_outstanding_points_their_value_and_redemptions(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewMcpTenantAsync("mcp summary");
        await SetProgramAsync(tenant.Admin, new { point_value = 0.01 });
        var first = await NewCustomerAsync(tenant.Admin, points: 300);
        await NewCustomerAsync(tenant.Admin, points: 200);
        var blocked = await NewCustomerAsync(tenant.Admin);
        (await tenant.Admin.PatchJsonAsync($"{CustomersPath}/{blocked}", new { status = "blocked" })).Code.ShouldBe(200);
        var reward = await CreatedIdAsync(tenant.Admin, "/api/v1/rewards", new { name = "Coffee", type = "custom", points_cost = 100 });
        await OkAsync(tenant.Admin.PostJsonAsync($"{CustomersPath}/{first}/redemptions", new { reward_id = reward }));
        await using var client = await McpKit.ConnectAsync(server, tenant.ReadSecret);

        var summary = await client.CallAsync("program_summary", new { days = 7 });
        summary.GetProperty("program_id").GetString().ShouldBe(tenant.ProgramId);
        summary.GetProperty("members").GetInt64().ShouldBe(3);
        summary.GetProperty("blocked_members").GetInt64().ShouldBe(1);
        summary.GetProperty("points_outstanding").GetInt64().ShouldBe(400);
        summary.GetProperty("point_value").GetDecimal().ShouldBe(0.01m);
        summary.GetProperty("outstanding_value").GetDecimal().ShouldBe(4m);
        summary.GetProperty("currency").GetString().ShouldBe("USD");
        summary.GetProperty("days").GetInt32().ShouldBe(7);
        summary.GetProperty("new_members").GetInt64().ShouldBe(3);
        summary.GetProperty("points_earned").GetInt64().ShouldBe(500);
        summary.GetProperty("redemptions").GetInt64().ShouldBe(1);
        summary.GetProperty("points_redeemed").GetInt64().ShouldBe(100);
        summary.GetProperty("redeemed_value").GetDecimal().ShouldBe(1m);
        (await client.CallFailingAsync("program_summary", new { days = 0 })).ShouldContain("parameter_invalid");
    }
}
