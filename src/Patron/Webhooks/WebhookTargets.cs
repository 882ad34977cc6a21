using System.Net;
using System.Net.Sockets;

namespace Patron.Webhooks;

/// <summary>What kind of place an address is, for the SSRF rules (docs/SECURITY.md).</summary>
public enum TargetKind
{
    Public,
    Loopback,
    Private,
    LinkLocal,
    Metadata,
    Unspecified,
    Reserved,
}

/// <summary>Why a URL cannot be registered, with the error code the API answers.</summary>
public sealed record UrlProblem(string Code, string Message)
{
    public const string Invalid = "parameter_invalid";
    public const string NotAllowed = "url_not_allowed";
}

/// <summary>A webhook target that the SSRF rules do not let Patron reach.</summary>
public sealed class WebhookTargetRefusedException(string message) : Exception(message);

/// <summary>
/// SSRF protection for webhooks (docs/WEBHOOKS.md and docs/SECURITY.md). A target is checked twice: its URL at
/// registration, and every address actually connected to at delivery (the connection callback
/// resolves the name itself, so a name that later resolves elsewhere, DNS rebinding, is caught
/// too). Loopback and private addresses are refused unless <c>Patron:Webhooks:AllowPrivateTargets</c>
/// is true; link-local, cloud metadata, unspecified, multicast and reserved addresses always are.
/// </summary>
public static class WebhookTargets
{
    public const int MaxUrlLength = 2048;
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    // Names that cloud providers answer with their metadata service.
    private static readonly HashSet<string> MetadataHosts = new(StringComparer.OrdinalIgnoreCase)
    {
        "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
    };

    public static bool IsAllowed(TargetKind kind, bool allowPrivate) =>
        kind == TargetKind.Public || (allowPrivate && kind is TargetKind.Loopback or TargetKind.Private);

    /// <summary>What kind of place an address is: see <see cref="SpecialPurposeAddresses"/>.</summary>
    public static TargetKind Classify(IPAddress address) => SpecialPurposeAddresses.Classify(address);

    /// <summary>What a host name is known to be without asking DNS, if anything.</summary>
    private static TargetKind? KindOfName(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return TargetKind.Loopback;
        }
        return MetadataHosts.Contains(host.TrimEnd('.')) ? TargetKind.Metadata : null;
    }

    public static string Describe(TargetKind kind) => kind switch
    {
        TargetKind.Loopback => "a loopback address",
        TargetKind.Private => "a private address",
        TargetKind.LinkLocal => "a link-local address",
        TargetKind.Metadata => "a cloud metadata address",
        TargetKind.Unspecified => "an unspecified address",
        TargetKind.Reserved => "an address that is not globally reachable (reserved, documentation, multicast, ...)",
        _ => "a public address",
    };

    private static string Hint(TargetKind kind, bool allowPrivate) =>
        kind is TargetKind.Loopback or TargetKind.Private && !allowPrivate
            ? " (Patron:Webhooks:AllowPrivateTargets is false)"
            : "";

    /// <summary>
    /// Checks a URL for registration: absolute, <c>https</c> (or <c>http</c> to loopback when private
    /// targets are allowed), no credentials or fragment, and a host that resolves to no address the
    /// rules refuse. A name that does not resolve now is accepted: every delivery checks again.
    /// </summary>
    /// <returns>The problem (<c>parameter_invalid</c> for a malformed URL, <c>url_not_allowed</c> for a
    /// refused target), or null when the URL is acceptable.</returns>
    public static async Task<UrlProblem?> CheckUrlAsync(string url, bool allowPrivate, CancellationToken ct = default)
    {
        if (url.Length > MaxUrlLength)
        {
            return new(UrlProblem.Invalid, $"'url' is limited to {MaxUrlLength} characters.");
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
        {
            return new(UrlProblem.Invalid, "'url' must be an absolute https URL.");
        }
        if (uri.UserInfo.Length > 0)
        {
            return new(UrlProblem.Invalid, "'url' must not contain credentials.");
        }
        if (uri.Fragment.Length > 0)
        {
            return new(UrlProblem.Invalid, "'url' must not contain a fragment.");
        }

        var host = uri.DnsSafeHost;
        var kinds = new List<(string Address, TargetKind Kind)>();
        if (KindOfName(host) is { } named)
        {
            kinds.Add((host, named));
        }
        else if (IPAddress.TryParse(host, out var literal))
        {
            kinds.Add((literal.ToString(), Classify(literal)));
        }
        else
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(ResolveTimeout);
                foreach (var address in await Dns.GetHostAddressesAsync(host, timeout.Token))
                {
                    kinds.Add((address.ToString(), Classify(address)));
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                // Not resolvable now: nothing to refuse yet; the delivery-time check still applies.
            }
        }

        foreach (var (address, kind) in kinds)
        {
            if (!IsAllowed(kind, allowPrivate))
            {
                return new(UrlProblem.NotAllowed,
                    $"'url' points at {Describe(kind)} ({address}), which webhooks may not reach{Hint(kind, allowPrivate)}.");
            }
        }
        if (uri.Scheme == "http" && !(allowPrivate && kinds.Count > 0 && kinds.All(k => k.Kind == TargetKind.Loopback)))
        {
            return new(UrlProblem.NotAllowed, allowPrivate
                ? "'url' must use https; http is accepted only for loopback targets."
                : "'url' must use https.");
        }
        return null;
    }

    /// <summary>
    /// The HTTP handler for deliveries: no redirects, no proxy, no cookies, and a connection callback
    /// that resolves the target itself and connects only to addresses the rules allow.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(bool allowPrivate, TimeSpan connectTimeout) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = connectTimeout,
        // Names are resolved again for every new connection; pooled ones are renewed now and then.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        MaxResponseDrainSize = 64 * 1024,
        ResponseDrainTimeout = TimeSpan.FromSeconds(1),
        ConnectCallback = (context, ct) => ConnectAsync(context.DnsEndPoint, allowPrivate, ct),
    };

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool allowPrivate, CancellationToken ct)
    {
        var host = endpoint.Host.Trim('[', ']');
        IPAddress[] addresses;
        if (KindOfName(host) is { } named && !IsAllowed(named, allowPrivate))
        {
            throw new WebhookTargetRefusedException($"{host} is {Describe(named)}, which webhooks may not reach{Hint(named, allowPrivate)}.");
        }
        addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);

        Exception? last = null;
        foreach (var address in addresses)
        {
            var kind = Classify(address);
            if (!IsAllowed(kind, allowPrivate))
            {
                last ??= new WebhookTargetRefusedException(
                    $"{host} resolves to {Describe(kind)} ({address}), which webhooks may not reach{Hint(kind, allowPrivate)}.");
                continue;
            }
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}
