using Patron.Api;

namespace Patron.Mcp;

/// <summary>The API key behind an MCP tool call: every tool reads and writes in its program only, within its scope.</summary>
public interface IMcpCaller
{
    Caller Current { get; }
}

/// <summary>
/// Over HTTP: the key <see cref="McpAuthentication"/> checked on this request, kept in the request's
/// scope (stateless MCP builds each request's tools from it), so no request pays for an
/// <c>IHttpContextAccessor</c>.
/// </summary>
public sealed class HttpMcpCaller : IMcpCaller
{
    public Caller? Checked { get; set; }

    public Caller Current => Checked ?? throw new InvalidOperationException("An MCP tool ran outside an authenticated HTTP request.");
}

/// <summary>Over stdio (<c>patron mcp</c>): the one key given when the process started.</summary>
public sealed class FixedMcpCaller(Caller caller) : IMcpCaller
{
    public Caller Current => caller;
}
