using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Mcp;

/// <summary>A program of its own for MCP tests: an admin HTTP client for set-up and checks, and the secret of a key of each scope.</summary>
public sealed record McpTenant(string ProgramId, HttpClient Admin, string AdminSecret, string WriteSecret, string ReadSecret);

/// <summary>The SDK's MCP client against a test server's <c>/mcp</c>, and tool calls that read as steps.</summary>
public static class McpKit
{
    public static readonly string[] ToolNames =
    [
        "award_points", "deduct_points", "find_customer", "get_balance_and_history", "get_order", "issue_reward",
        "list_rewards", "program_summary",
    ];

    public static async Task<McpTenant> NewMcpTenantAsync(this PatronServer server, string name)
    {
        var program = await Admin.CreateProgramAsync(server.WritePath, name);
        var admin = (await Admin.CreateKeyAsync(server.WritePath, program.Id, Scope.Admin))!.Value.Secret;
        var write = (await Admin.CreateKeyAsync(server.WritePath, program.Id, Scope.Write))!.Value.Secret;
        var read = (await Admin.CreateKeyAsync(server.WritePath, program.Id, Scope.Read))!.Value.Secret;
        return new McpTenant(program.Id, server.ClientWithKey(admin), admin, write, read);
    }

    /// <summary>Connects over Streamable HTTP with the key as bearer token: the client's <c>initialize</c> runs here.</summary>
    public static Task<McpClient> ConnectAsync(PatronServer server, string secret) => ConnectAsync(server.BaseAddress, secret);

    /// <summary>Connects to the server at <paramref name="baseAddress"/> (another process, say).</summary>
    public static Task<McpClient> ConnectAsync(Uri baseAddress, string secret) =>
        McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(baseAddress, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {secret}" },
        }), cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Calls a tool that must succeed, and returns its JSON answer.</summary>
    public static async Task<JsonElement> CallAsync(this McpClient client, string tool, object? arguments = null)
    {
        var result = await client.CallToolAsync(tool, Arguments(arguments), cancellationToken: TestContext.Current.CancellationToken);
        var text = Text(result);
        (result.IsError ?? false).ShouldBeFalse($"{tool} failed: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Calls a tool that must fail, and returns its error text.</summary>
    public static async Task<string> CallFailingAsync(this McpClient client, string tool, object? arguments = null)
    {
        var result = await client.CallToolAsync(tool, Arguments(arguments), cancellationToken: TestContext.Current.CancellationToken);
        var text = Text(result);
        (result.IsError ?? false).ShouldBeTrue($"{tool} should have failed, answered: {text}");
        return text;
    }

    private static string Text(CallToolResult result) =>
        string.Concat(result.Content.OfType<TextContentBlock>().Select(c => c.Text));

    private static Dictionary<string, object?>? Arguments(object? arguments) =>
        arguments is null ? null : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(arguments));
}
