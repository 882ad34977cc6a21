using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Patron.Domain;

/// <summary>
/// A storefront customer's credential (docs/WIDGET.md): the shop's server signs
/// <c>{program_id}:{customer_id}:{timestamp}</c> (UTF-8; <c>customer_id</c> is the customer's
/// <c>external_id</c>, <c>timestamp</c> Unix seconds) with HMAC-SHA256 keyed by a member secret (its
/// UTF-8 bytes), and sends the lowercase hex digest. Pure rules, no I/O.
/// </summary>
public static class MemberCredential
{
    public const int DefaultMaxAgeSeconds = 86_400;
    public const int MinMaxAgeSeconds = 60;
    public const int MaxMaxAgeSeconds = 30 * 86_400;

    /// <summary>A timestamp this far ahead of Patron's clock is still taken (clocks drift).</summary>
    public const int AllowedClockSkewSeconds = 300;

    public const int MaxCustomerIdLength = 255;

    /// <summary>The exact string signed.</summary>
    public static string Message(string programId, string customerId, long timestamp) =>
        string.Create(CultureInfo.InvariantCulture, $"{programId}:{customerId}:{timestamp}");

    /// <summary>The signature, as the shop computes it: lowercase hex of HMAC-SHA256.</summary>
    public static string Sign(string secret, string programId, string customerId, long timestamp) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(Message(programId, customerId, timestamp))));

    /// <summary>Whether <paramref name="signature"/> (hex, any case) is this secret's, compared in constant time.</summary>
    public static bool Matches(string secret, string programId, string customerId, long timestamp, string signature)
    {
        if (signature.Length != 64 || !signature.All(char.IsAsciiHexDigit))
        {
            return false;
        }
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(Message(programId, customerId, timestamp)));
        return CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(signature));
    }

    /// <summary>Whether a credential signed at <paramref name="timestamp"/> is still good at <paramref name="nowSeconds"/>.</summary>
    public static bool IsFresh(long timestamp, long nowSeconds, int maxAgeSeconds) =>
        timestamp <= nowSeconds + AllowedClockSkewSeconds && nowSeconds - timestamp <= maxAgeSeconds;

    /// <summary>Parses Unix seconds: digits only, no sign, no spaces.</summary>
    public static bool TryParseTimestamp(string? raw, out long timestamp)
    {
        timestamp = 0;
        return raw is { Length: > 0 and <= 12 } && raw.All(char.IsAsciiDigit)
            && long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out timestamp);
    }

    /// <summary>
    /// A browser origin as Patron compares it: <c>scheme://host[:port]</c>, lowercase, no path and no
    /// trailing slash; null when <paramref name="raw"/> is not an http(s) origin.
    /// </summary>
    public static string? NormalizeOrigin(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw) || !Uri.TryCreate(raw.Trim(), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https") || uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0
            || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0 || raw.Trim().TrimEnd('/').Length < uri.Scheme.Length + 3 + uri.Host.Length)
        {
            return null;
        }
        return uri.IsDefaultPort ? $"{uri.Scheme}://{uri.IdnHost}".ToLowerInvariant() : $"{uri.Scheme}://{uri.IdnHost}:{uri.Port}".ToLowerInvariant();
    }
}
