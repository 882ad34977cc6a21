using System.Net;
using System.Net.Sockets;

namespace Patron.Webhooks;

/// <summary>What kind of place an address is, for the SSRF rules (SPEC section 7).</summary>
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
/// SSRF protection for webhooks (SPEC sections 4 and 7). A target is checked twice: its URL at
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

    private static readonly IPAddress[] MetadataAddresses =
    [
        IPAddress.Parse("169.254.169.254"), // AWS, GCP, Azure, Oracle, DigitalOcean, ...
        IPAddress.Parse("169.254.170.2"),   // AWS ECS task metadata
        IPAddress.Parse("100.100.100.200"), // Alibaba Cloud
        IPAddress.Parse("fd00:ec2::254"),   // AWS over IPv6
    ];

    public static bool IsAllowed(TargetKind kind, bool allowPrivate) =>
        kind == TargetKind.Public || (allowPrivate && kind is TargetKind.Loopback or TargetKind.Private);

    public static TargetKind Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return Classify(address.MapToIPv4());
        }
        if (MetadataAddresses.Any(m => m.Equals(address)))
        {
            return TargetKind.Metadata;
        }
        return address.AddressFamily == AddressFamily.InterNetwork ? ClassifyV4(address.GetAddressBytes()) : ClassifyV6(address);
    }

    private static TargetKind ClassifyV4(byte[] b)
    {
        return (b[0], b[1], b[2]) switch
        {
            (0, _, _) => TargetKind.Unspecified,
            (127, _, _) => TargetKind.Loopback,
            (10, _, _) => TargetKind.Private,
            (172, >= 16 and <= 31, _) => TargetKind.Private,
            (192, 168, _) => TargetKind.Private,
            (100, >= 64 and <= 127, _) => TargetKind.Private, // shared address space (carrier-grade NAT)
            (169, 254, _) => TargetKind.LinkLocal,
            (192, 0, 0) or (192, 0, 2) or (192, 88, 99) or (198, 51, 100) or (203, 0, 113) => TargetKind.Reserved,
            (198, 18 or 19, _) => TargetKind.Reserved,
            ( >= 224, _, _) => TargetKind.Reserved, // multicast, class E, broadcast
            _ => TargetKind.Public,
        };
    }

    private static TargetKind ClassifyV6(IPAddress address)
    {
        if (address.Equals(IPAddress.IPv6None))
        {
            return TargetKind.Unspecified;
        }
        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return TargetKind.Loopback;
        }
        var b = address.GetAddressBytes();
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            return TargetKind.Reserved; // IPv4-compatible (deprecated)
        }
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return ClassifyV4(b[12..16]); // NAT64: the embedded IPv4 address is the real target
        }
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return ClassifyV4(b[2..6]); // 6to4
        }
        if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0))
        {
            return TargetKind.Private; // unique local fc00::/7 (fd00::/8), deprecated site-local fec0::/10
        }
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        {
            return TargetKind.LinkLocal;
        }
        if (b[0] == 0xff)
        {
            return TargetKind.Reserved; // multicast
        }
        if (b[0] == 0x20 && b[1] == 0x01 && ((b[2] == 0x0d && b[3] == 0xb8) || (b[2] == 0 && b[3] == 0)))
        {
            return TargetKind.Reserved; // documentation 2001:db8::/32, Teredo 2001::/32
        }
        if (b[0] == 0x01 && b[1] == 0x00 && b.AsSpan(2, 6).IndexOfAnyExcept((byte)0) < 0)
        {
            return TargetKind.Reserved; // discard-only 100::/64
        }
        return TargetKind.Public;
    }

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
        TargetKind.Reserved => "a reserved, documentation or multicast address",
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
