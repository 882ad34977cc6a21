using ModelContextProtocol.AspNetCore;

namespace Patron.Mcp;

/// <summary>
/// The MCP front door over Streamable HTTP at <c>/mcp</c> (docs/MCP.md): stateless, so that each request is
/// authenticated by its own bearer key and any server behind a load balancer can answer it.
/// </summary>
public static class McpServerSetup
{
    public const string Path = "/mcp";

    public static IServiceCollection AddPatronMcp(this IServiceCollection services)
    {
        services.AddScoped<HttpMcpCaller>();
        services.AddScoped<IMcpCaller>(sp => sp.GetRequiredService<HttpMcpCaller>());
        services.AddMcpServer(PatronTools.Configure)
            .WithHttpTransport(o => o.Stateless = true)
            .WithTools<PatronTools>();
        return services;
    }

    public static WebApplication MapPatronMcp(this WebApplication app)
    {
        app.UseWhen(http => http.Request.Path.StartsWithSegments(Path, StringComparison.Ordinal),
            branch => branch.UseMiddleware<McpAuthentication>());
        // The native API document describes the REST API only: MCP clients read tools/list instead.
        app.MapMcp(Path).ExcludeFromDescription();
        return app;
    }
}
