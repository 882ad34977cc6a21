using ModelContextProtocol.Client;
using Patron.Tests.Api;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Mcp;

/// <summary>
/// docs/MCP.md, "Desktop assistants": <c>patron mcp</c> started by the SDK's stdio client, as a desktop assistant
/// starts it, on the database of a running server; the key comes from <c>--key</c> or <c>PATRON_API_KEY</c>.
/// </summary>
public sealed class McpStdioTests(SharedServers servers) : IClassFixture<SharedServers>
{
    [Theory, DatabaseData]
    public async Task Patron_mcp_over_stdio_lists_the_tools_and_its_award_shows_in_the_API(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewMcpTenantAsync("mcp stdio");
        var customer = await NewCustomerAsync(tenant.Admin, email: "stdio@example.com");
        await using var client = await StartAsync(server, ["--key", tenant.WriteSecret]);

        client.ServerInfo.ShouldNotBeNull().Name.ShouldBe("patron");
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        tools.Select(t => t.Name).Order(StringComparer.Ordinal).ShouldBe(McpKit.ToolNames);
        (await client.CallAsync("find_customer", new { identifier = "stdio@example.com" })).GetProperty("id").GetString().ShouldBe(customer);
        await client.CallAsync("award_points", new { customer, points = 30, reason = "Welcome gift", idempotencyKey = "stdio-1" });
        await client.CallAsync("award_points", new { customer, points = 30, reason = "Welcome gift", idempotencyKey = "stdio-1" });

        (await BalanceAsync(tenant.Admin, customer)).ShouldBe(30);
    }

    [Theory, DatabaseData]
    public async Task Patron_mcp_takes_its_key_from_PATRON_API_KEY_and_keeps_a_read_key_to_reads(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewMcpTenantAsync("mcp stdio env");
        var customer = await NewCustomerAsync(tenant.Admin, points: 20);
        await using var client = await StartAsync(server, [], new Dictionary<string, string?> { ["PATRON_API_KEY"] = tenant.ReadSecret });

        (await client.CallAsync("get_balance_and_history", new { customer })).GetProperty("points_balance").GetInt64().ShouldBe(20);
        (await client.CallFailingAsync("deduct_points", new { customer, points = 5, reason = "No" })).ShouldContain("insufficient_scope");
        (await BalanceAsync(tenant.Admin, customer)).ShouldBe(20);
    }

    [Theory, DatabaseData]
    public async Task Patron_mcp_without_a_valid_key_exits_with_a_message(string database)
    {
        var server = await servers.ForAsync(database);
        var missing = await PatronCliProcess.RunAsync(server.DataDir, ["mcp", .. server.DatabaseArgs]);
        missing.Exit.ShouldBe(2, missing.Output);
        missing.Stderr.ShouldContain("PATRON_API_KEY");
        missing.Stdout.ShouldBeEmpty();

        var wrong = await PatronCliProcess.RunAsync(server.DataDir, ["mcp", "--key", "sk_not_a_key", .. server.DatabaseArgs]);
        wrong.Exit.ShouldBe(2, wrong.Output);
        wrong.Stderr.ShouldContain("invalid_api_key");
        wrong.Stdout.ShouldBeEmpty();
    }

    private static Task<McpClient> StartAsync(PatronServer server, string[] args, Dictionary<string, string?>? environment = null)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        // Settings inherited from the test run's environment must not point the command elsewhere.
        var env = new Dictionary<string, string?>(environment ?? [])
        {
            ["ConnectionStrings__Patron"] = null,
            ["Patron__Database__Provider"] = null,
            ["Patron__DataDir"] = null,
        };
        env.TryAdd("PATRON_API_KEY", null);
        return McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = host,
            Arguments = [PatronProcess.PatronDll, "mcp", .. args, .. server.DatabaseArgs],
            WorkingDirectory = server.DataDir,
            EnvironmentVariables = env,
            Name = "patron",
        }), cancellationToken: TestContext.Current.CancellationToken);
    }
}
