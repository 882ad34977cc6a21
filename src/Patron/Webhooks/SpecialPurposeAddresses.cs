using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Patron.Webhooks;

/// <summary>
/// What kind of place an address is, for the webhook SSRF rules (docs/WEBHOOKS.md, "Where deliveries
/// can go"). The blocks are transcribed from the IANA "IPv4 Special-Purpose Address Registry" and
/// "IPv6 Special-Purpose Address Registry" (RFC 6890;
/// https://www.iana.org/assignments/iana-ipv4-special-registry and
/// https://www.iana.org/assignments/iana-ipv6-special-registry): an address takes its most specific
/// block, and a block whose "Globally Reachable" column is False (or N/A) is refused, with a more specific
/// entry marked True (such as 192.0.0.9/32 inside 192.0.0.0/24) allowed again. IPv4 addresses carried
/// inside IPv6 ones are unwrapped and judged as IPv4 first.
/// </summary>
public static class SpecialPurposeAddresses
{
    /// <summary>
    /// One registry entry. <paramref name="GloballyReachable"/> is the registry's column, null where it
    /// says N/A (treated as not reachable); <paramref name="Kind"/> is what the rules make of a block
    /// that is not globally reachable.
    /// </summary>
    public sealed record Block(Prefix Prefix, string Name, string Rfc, bool? GloballyReachable, TargetKind Kind = TargetKind.Reserved);

    private static Block B(string cidr, string name, string rfc, bool? globallyReachable, TargetKind kind = TargetKind.Reserved) =>
        new(Prefix.Parse(cidr), name, rfc, globallyReachable, kind);

    /// <summary>
    /// An address prefix compared bit by bit. (<see cref="IPNetwork.Contains"/> is not used: it never
    /// matches an IPv4-mapped IPv6 address, which is one of the forms this class must see.)
    /// </summary>
    public sealed record Prefix(byte[] Bytes, int Length)
    {
        public static Prefix Parse(string cidr)
        {
            var slash = cidr.IndexOf('/');
            var bytes = IPAddress.Parse(cidr[..slash]).GetAddressBytes();
            var length = int.Parse(cidr[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            var prefix = new Prefix(bytes, length);
            // The block's own address must be its first one: a typo in the table cannot widen or narrow it silently.
            var first = bytes.ToArray();
            for (var bit = length; bit < bytes.Length * 8; bit++)
            {
                first[bit / 8] &= (byte)~(0x80 >> (bit % 8));
            }
            return length >= 0 && length <= bytes.Length * 8 && first.AsSpan().SequenceEqual(bytes) ? prefix : throw new FormatException(cidr);
        }

        public bool Contains(ReadOnlySpan<byte> address)
        {
            if (address.Length != Bytes.Length)
            {
                return false;
            }
            var whole = Length / 8;
            if (!address[..whole].SequenceEqual(Bytes.AsSpan(0, whole)))
            {
                return false;
            }
            var bits = Length % 8;
            var mask = (byte)(0xff << (8 - bits));
            return bits == 0 || (address[whole] & mask) == (Bytes[whole] & mask);
        }

        public override string ToString() => $"{new IPAddress(Bytes)}/{Length}";
    }

    /// <summary>Cloud metadata services, which no registry lists: refused even where private targets are allowed.</summary>
    public static readonly IReadOnlyList<IPAddress> Metadata =
    [
        IPAddress.Parse("169.254.169.254"), // AWS, GCP, Azure, Oracle, DigitalOcean, ...
        IPAddress.Parse("169.254.170.2"),   // AWS ECS task metadata
        IPAddress.Parse("100.100.100.200"), // Alibaba Cloud
        IPAddress.Parse("fd00:ec2::254"),   // AWS over IPv6
    ];

    /// <summary>IANA IPv4 Special-Purpose Address Registry, every entry, plus multicast and the deprecated 6to4 relay block.</summary>
    public static readonly IReadOnlyList<Block> IPv4 =
    [
        B("0.0.0.0/8", "\"This network\"", "RFC 791", false, TargetKind.Unspecified),
        B("0.0.0.0/32", "\"This host on this network\"", "RFC 1122", false, TargetKind.Unspecified),
        B("10.0.0.0/8", "Private-Use", "RFC 1918", false, TargetKind.Private),
        B("100.64.0.0/10", "Shared Address Space", "RFC 6598", false, TargetKind.Private),
        B("127.0.0.0/8", "Loopback", "RFC 1122", false, TargetKind.Loopback),
        B("169.254.0.0/16", "Link Local", "RFC 3927", false, TargetKind.LinkLocal),
        B("172.16.0.0/12", "Private-Use", "RFC 1918", false, TargetKind.Private),
        B("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890", false),
        B("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335", false),
        B("192.0.0.8/32", "IPv4 dummy address", "RFC 7600", false),
        B("192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723", true),
        B("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155", true),
        B("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 7050", false),
        B("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 7050", false),
        B("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737", false),
        B("192.31.196.0/24", "AS112-v4", "RFC 7535", true),
        B("192.52.193.0/24", "AMT", "RFC 7450", true),
        B("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526", null),
        B("192.168.0.0/16", "Private-Use", "RFC 1918", false, TargetKind.Private),
        B("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534", true),
        B("198.18.0.0/15", "Benchmarking", "RFC 2544", false),
        B("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737", false),
        B("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737", false),
        B("240.0.0.0/4", "Reserved", "RFC 1112", false),
        B("255.255.255.255/32", "Limited Broadcast", "RFC 919", false),
        // Not special-purpose unicast, never a webhook target: the multicast space (RFC 5771).
        B("224.0.0.0/4", "Multicast", "RFC 5771", false),
    ];

    /// <summary>IANA IPv6 Special-Purpose Address Registry, every entry, plus a few blocks from the IPv6 address space.</summary>
    public static readonly IReadOnlyList<Block> IPv6 =
    [
        B("::1/128", "Loopback Address", "RFC 4291", false, TargetKind.Loopback),
        B("::/128", "Unspecified Address", "RFC 4291", false, TargetKind.Unspecified),
        B("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291", false), // unwrapped first, like the other IPv4-carrying forms
        B("64:ff9b::/96", "IPv4-IPv6 Translat.", "RFC 6052", true),
        B("64:ff9b:1::/48", "IPv4-IPv6 Translat. (local use)", "RFC 8215", false),
        B("100::/64", "Discard-Only Address Block", "RFC 6666", false),
        B("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780", false),
        B("2001::/23", "IETF Protocol Assignments", "RFC 2928", false),
        B("2001::/32", "TEREDO", "RFC 4380", null),
        B("2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723", true),
        B("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155", true),
        B("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665", true),
        B("2001:2::/48", "Benchmarking", "RFC 5180", false),
        B("2001:3::/32", "AMT", "RFC 7450", true),
        B("2001:4:112::/48", "AS112-v6", "RFC 7535", true),
        B("2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843", false),
        B("2001:20::/28", "ORCHIDv2", "RFC 7343", true),
        B("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374", true),
        B("2001:db8::/32", "Documentation", "RFC 3849", false),
        B("2002::/16", "6to4", "RFC 3056", null),
        B("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534", true),
        B("3fff::/20", "Documentation", "RFC 9637", false),
        B("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602", false),
        B("fc00::/7", "Unique-Local", "RFC 4193", false, TargetKind.Private),
        B("fe80::/10", "Link-Local Unicast", "RFC 4291", false, TargetKind.LinkLocal),
        // From the IPv6 address space rather than the special-purpose registry: deprecated
        // IPv4-compatible addresses (RFC 4291 2.5.5.1), deprecated site-local (RFC 3879), multicast.
        B("::/96", "IPv4-compatible (deprecated)", "RFC 4291", false),
        B("fec0::/10", "Site-local (deprecated)", "RFC 3879", false, TargetKind.Private),
        B("ff00::/8", "Multicast", "RFC 4291", false),
    ];

    /// <summary>The global unicast space (IANA IPv6 Address Space); an address outside it and every block above reaches nothing.</summary>
    private static readonly Prefix GlobalUnicast = Prefix.Parse("2000::/3");

    private static readonly Prefix Mapped = Prefix.Parse("::ffff:0:0/96");
    private static readonly Prefix Translated = Prefix.Parse("::ffff:0:0:0/96"); // RFC 2765 (SIIT)
    private static readonly Prefix Nat64 = Prefix.Parse("64:ff9b::/96");
    private static readonly Prefix SixToFour = Prefix.Parse("2002::/16");
    private static readonly Prefix Teredo = Prefix.Parse("2001::/32");

    /// <summary>The IPv4 addresses an IPv6 address carries, if it is one of the forms that carry one; else empty.</summary>
    public static IReadOnlyList<IPAddress> EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return [];
        }
        var b = address.GetAddressBytes();
        if (Mapped.Contains(b) || Translated.Contains(b) || Nat64.Contains(b))
        {
            return [new IPAddress(b[12..16])];
        }
        if (SixToFour.Contains(b))
        {
            return [new IPAddress(b[2..6])];
        }
        if (Teredo.Contains(b))
        {
            // The server's address as is, then the client's, stored with every bit inverted (RFC 4380 section 4).
            var client = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(client, ~BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(12, 4)));
            return [new IPAddress(b[4..8]), new IPAddress(client)];
        }
        return [];
    }

    /// <summary>The most specific registry block holding the address, or null when none does.</summary>
    public static Block? BlockOf(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        Block? best = null;
        foreach (var block in address.AddressFamily == AddressFamily.InterNetwork ? IPv4 : IPv6)
        {
            if (block.Prefix.Contains(bytes) && (best is null || block.Prefix.Length > best.Prefix.Length))
            {
                best = block;
            }
        }
        return best;
    }

    /// <summary>
    /// The kind of an address: IPv4 inside IPv6 is judged as that IPv4 address (the stricter one for
    /// Teredo's two); otherwise the most specific block decides, and an address in no block is public
    /// (for IPv6, only inside the global unicast space).
    /// </summary>
    public static TargetKind Classify(IPAddress address)
    {
        var embedded = EmbeddedIPv4(address);
        if (embedded.Count > 0)
        {
            return embedded.Select(Classify).MaxBy(Strictness);
        }
        if (Metadata.Contains(address))
        {
            return TargetKind.Metadata;
        }
        if (BlockOf(address) is { } block)
        {
            return block.GloballyReachable == true ? TargetKind.Public : block.Kind;
        }
        return address.AddressFamily == AddressFamily.InterNetworkV6 && !GlobalUnicast.Contains(address.GetAddressBytes())
            ? TargetKind.Reserved
            : TargetKind.Public;
    }

    /// <summary>Public, then what <c>AllowPrivateTargets</c> may allow, then what is always refused.</summary>
    private static int Strictness(TargetKind kind) => kind switch
    {
        TargetKind.Public => 0,
        TargetKind.Private or TargetKind.Loopback => 1,
        _ => 2,
    };
}
