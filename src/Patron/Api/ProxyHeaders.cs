using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Patron.Api;

/// <summary>
/// <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> from a reverse proxy (docs/OPERATIONS.md),
/// honoured only on connections that come from an address in <c>Patron:ForwardedHeaders:KnownProxies</c>
/// or <c>KnownNetworks</c>. With neither set (the default) the headers are ignored: the client
/// address is the connection's, which is what the failed-authentication throttle counts by.
/// </summary>
public static class ProxyHeaders
{
    public const string Section = "Patron:ForwardedHeaders";

    /// <summary>The options for the configured proxies, or null when none is configured.</summary>
    public static ForwardedHeadersOptions? Options(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var proxies = Values(section.GetSection("KnownProxies"));
        var networks = Values(section.GetSection("KnownNetworks"));
        if (proxies.Count == 0 && networks.Count == 0)
        {
            return null;
        }
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // Walk X-Forwarded-For from the right for as long as each hop is a configured proxy; the
            // first address that is not one is the client.
            ForwardLimit = null,
        };
        // The framework trusts loopback by default; only what is configured is trusted here.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in proxies)
        {
            if (!IPAddress.TryParse(proxy, out var address))
            {
                throw new InvalidOperationException(
                    $"{Section}:KnownProxies: '{proxy}' is not an IP address (write networks in KnownNetworks, e.g. 10.0.0.0/8).");
            }
            options.KnownProxies.Add(address); // the middleware also matches an IPv4 peer seen as ::ffff:a.b.c.d
        }
        foreach (var network in networks)
        {
            if (!System.Net.IPNetwork.TryParse(network, out var parsed))
            {
                throw new InvalidOperationException(
                    $"{Section}:KnownNetworks: '{network}' is not a network in CIDR notation such as 10.0.0.0/8 or fd00::/8.");
            }
            options.KnownIPNetworks.Add(parsed);
        }
        return options;
    }

    /// <summary>Honours the forwarded headers of configured proxies; does nothing when none is configured.</summary>
    public static void UsePatronForwardedHeaders(this WebApplication app)
    {
        if (Options(app.Configuration) is { } options)
        {
            app.UseForwardedHeaders(options);
        }
    }

    /// <summary>A list given as array entries (<c>KnownProxies:0</c>, ...) or as one comma-separated value.</summary>
    private static List<string> Values(IConfigurationSection section)
    {
        var values = new List<string>();
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            values.AddRange(section.Value.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        values.AddRange(section.GetChildren().Select(c => c.Value).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()));
        return values;
    }
}
