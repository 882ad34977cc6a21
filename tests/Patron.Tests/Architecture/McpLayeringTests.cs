using NetArchTest.Rules;
using Shouldly;

namespace Patron.Tests.Architecture;

/// <summary>
/// The MCP server (src/Patron/Mcp) is a front door over the core, beside the native API: it never calls a native
/// endpoint, and of the API's types it uses only the caller and key checking (docs/MCP.md, docs/ARCHITECTURE.md).
/// </summary>
public sealed class McpLayeringTests
{
    private static readonly string[] AllowedApiTypes =
    [
        "Patron.Api.Caller", "Patron.Api.Scope", "Patron.Api.ApiKeyService", "Patron.Api.ApiException",
        "Patron.Api.RateLimits", "Patron.Api.AuthFailureThrottle",
    ];

    [Fact]
    public void The_MCP_tools_use_of_the_native_API_only_the_caller_and_key_checking()
    {
        var apiTypes = typeof(global::Patron.Domain.Limits).Assembly.GetTypes()
            .Where(t => t.Namespace == "Patron.Api" && !AllowedApiTypes.Contains(t.FullName))
            .Select(t => t.FullName!)
            .ToArray();
        apiTypes.ShouldContain("Patron.Api.Writes");
        var result = Types.InAssembly(typeof(global::Patron.Domain.Limits).Assembly)
            .That().ResideInNamespace("Patron.Mcp").ShouldNot().HaveDependencyOnAny(apiTypes).GetResult();
        (result.FailingTypeNames ?? []).ShouldBeEmpty("the MCP front door calls the core, never a native endpoint or the API's plumbing");
    }

    [Fact]
    public void The_core_does_not_know_the_MCP_server()
    {
        var result = Types.InAssembly(typeof(global::Patron.Domain.Limits).Assembly)
            .That().ResideInNamespace("Patron.Domain").Or().ResideInNamespace("Patron.Operations").Or().ResideInNamespace("Patron.Storage")
            .ShouldNot().HaveDependencyOn("Patron.Mcp").GetResult();
        (result.FailingTypeNames ?? []).ShouldBeEmpty();
    }
}
