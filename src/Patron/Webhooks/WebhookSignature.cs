using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Patron.Webhooks;

/// <summary>
/// Signs and verifies Patron's webhook deliveries (docs/WEBHOOKS.md). Each delivery carries two
/// signatures made with the endpoint's secret (<c>whsec_</c> + base64 of 32 random bytes):
/// <list type="bullet">
/// <item>Standard Webhooks: <c>webhook-id</c>, <c>webhook-timestamp</c> (Unix seconds) and
/// <c>webhook-signature: v1,&lt;base64 HMAC-SHA256 of "id.timestamp.body"&gt;</c>, keyed with the
/// base64-decoded part of the secret after <c>whsec_</c>;</item>
/// <item><c>Patron-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.body"&gt;</c>, keyed with the
/// whole secret string as UTF-8 (the Stripe-style scheme).</item>
/// </list>
/// Receivers written in C# call <see cref="Verify(string, IEnumerable{KeyValuePair{string, string}}, ReadOnlySpan{byte}, TimeSpan, DateTimeOffset?)"/>
/// with the raw request body, before parsing it.
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    public const string PatronSignatureHeader = "Patron-Signature";

    /// <summary>Sent besides the others to endpoints with <c>signature_scheme: "loyalino"</c>; the same value as <see cref="PatronSignatureHeader"/>.</summary>
    public const string LoyalinoSignatureHeader = "Loyalino-Signature";

    /// <summary>The tolerance receivers should use unless they have a reason not to (as Standard Webhooks and Stripe do).</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    private const int SecretBytes = 32;

    /// <summary>A new endpoint secret: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>True when <paramref name="secret"/> has the shape of a Patron endpoint secret.</summary>
    public static bool IsWellFormedSecret(string? secret) => secret is not null && TryKeyBytes(secret, out _);

    /// <summary>The Standard Webhooks signature value: <c>v1,&lt;base64&gt;</c>.</summary>
    public static string StandardSignature(string secret, string id, long timestamp, ReadOnlySpan<byte> body) =>
        "v1," + Convert.ToBase64String(StandardMac(KeyBytes(secret), id, timestamp, body));

    /// <summary>The <c>Patron-Signature</c> value: <c>t=&lt;timestamp&gt;,v1=&lt;hex&gt;</c>.</summary>
    public static string PatronSignature(string secret, long timestamp, ReadOnlySpan<byte> body) =>
        $"t={timestamp.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(PatronMac(secret, timestamp, body))}";

    /// <summary>Every signing header of one delivery attempt, as Patron sends them.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Headers(string secret, string eventId, DateTimeOffset at, ReadOnlySpan<byte> body) =>
        Headers(new SigningKey(secret), eventId, at, body);

    /// <summary>The same, with the secret's two keys prepared once (the dispatcher signs many deliveries per endpoint).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Headers(SigningKey key, string eventId, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(key);
        var timestamp = at.ToUnixTimeSeconds();
        var ts = timestamp.ToString(CultureInfo.InvariantCulture);
        Span<byte> mac = stackalloc byte[32];
        Sign(key.Standard, $"{eventId}.{ts}.", body, mac);
        var standard = "v1," + Convert.ToBase64String(mac);
        Sign(key.Patron, $"{ts}.", body, mac);
        var patron = $"t={ts},v1={Convert.ToHexStringLower(mac)}";
        return
        [
            new(IdHeader, eventId),
            new(TimestampHeader, ts),
            new(SignatureHeader, standard),
            new(PatronSignatureHeader, patron),
        ];
    }

    /// <summary>An endpoint secret's two HMAC keys: the decoded bytes after <c>whsec_</c>, and the whole string as UTF-8.</summary>
    public sealed class SigningKey
    {
        public SigningKey(string secret)
        {
            Standard = KeyBytes(secret);
            Patron = Encoding.UTF8.GetBytes(secret);
        }

        internal byte[] Standard { get; }
        internal byte[] Patron { get; }
    }

    /// <summary>HMAC-SHA256 of an ASCII prefix followed by the body, in one call.</summary>
    private static void Sign(byte[] key, string prefix, ReadOnlySpan<byte> body, Span<byte> mac)
    {
        var length = prefix.Length + body.Length;
        var rented = length <= 1024 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        var buffer = rented is null ? stackalloc byte[length] : rented.AsSpan(0, length);
        var written = Encoding.UTF8.GetBytes(prefix, buffer);
        body.CopyTo(buffer[written..]);
        HMACSHA256.HashData(key, buffer[..(written + body.Length)], mac);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// True when the delivery is authentic and fresh: its <c>webhook-signature</c> (Standard Webhooks)
    /// verifies, or, when that header is absent, its <c>Patron-Signature</c> does; and the signed
    /// timestamp is within <paramref name="tolerance"/> of <paramref name="now"/> (default: the
    /// current time), so that a captured delivery cannot be replayed later.
    /// </summary>
    /// <param name="headers">The request's headers (names are matched case-insensitively).</param>
    /// <param name="body">The raw request body, exactly as received.</param>
    public static bool Verify(
        string secret, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body, TimeSpan tolerance, DateTimeOffset? now = null)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            map.TryAdd(name, value);
        }
        return Verify(secret, name => map.GetValueOrDefault(name), body, tolerance, now);
    }

    /// <summary>The same check over ASP.NET Core's request headers.</summary>
    public static bool Verify(string secret, IHeaderDictionary headers, ReadOnlySpan<byte> body, TimeSpan tolerance, DateTimeOffset? now = null) =>
        Verify(secret, name => headers.TryGetValue(name, out var v) && v.Count > 0 ? v.ToString() : null, body, tolerance, now);

    /// <summary>The same check over a string body (UTF-8).</summary>
    public static bool Verify(string secret, IEnumerable<KeyValuePair<string, string>> headers, string body, TimeSpan tolerance, DateTimeOffset? now = null) =>
        Verify(secret, headers, Encoding.UTF8.GetBytes(body), tolerance, now);

    /// <summary>The same check with a header lookup of the caller's own.</summary>
    public static bool Verify(string secret, Func<string, string?> header, ReadOnlySpan<byte> body, TimeSpan tolerance, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        var standard = header(SignatureHeader);
        return standard is not null
            ? VerifyStandard(secret, header(IdHeader), header(TimestampHeader), standard, body, tolerance, now)
            : header(PatronSignatureHeader) is { } patron && VerifyPatron(secret, patron, body, tolerance, now);
    }

    /// <summary>Checks the Standard Webhooks headers only (any of several space-separated <c>v1,</c> signatures may match).</summary>
    public static bool VerifyStandard(
        string secret, string? id, string? timestamp, string? signature, ReadOnlySpan<byte> body, TimeSpan tolerance, DateTimeOffset? now = null)
    {
        if (string.IsNullOrEmpty(id) || signature is null || !TryKeyBytes(secret, out var key)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var ts)
            || !Fresh(ts, tolerance, now))
        {
            return false;
        }
        var expected = StandardMac(key, id, ts, body);
        Span<byte> given = stackalloc byte[64];
        foreach (var part in signature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("v1,", StringComparison.Ordinal)
                && Convert.TryFromBase64String(part[3..], given, out var written)
                && CryptographicOperations.FixedTimeEquals(given[..written], expected))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Checks the <c>Patron-Signature</c> header only (<c>t=...,v1=...[,v1=...]</c>).</summary>
    public static bool VerifyPatron(string secret, string? header, ReadOnlySpan<byte> body, TimeSpan tolerance, DateTimeOffset? now = null)
    {
        if (header is null || string.IsNullOrEmpty(secret))
        {
            return false;
        }
        long? ts = null;
        var candidates = new List<string>(1);
        foreach (var item in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }
            var (k, v) = (item[..eq], item[(eq + 1)..]);
            if (k == "t" && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                ts = t;
            }
            else if (k == "v1")
            {
                candidates.Add(v);
            }
        }
        if (ts is not { } timestamp || !Fresh(timestamp, tolerance, now))
        {
            return false;
        }
        var expected = PatronMac(secret, timestamp, body);
        Span<byte> given = stackalloc byte[32];
        foreach (var candidate in candidates)
        {
            if (candidate.Length == 64 && Convert.FromHexString(candidate, given, out _, out var written) == System.Buffers.OperationStatus.Done
                && CryptographicOperations.FixedTimeEquals(given[..written], expected))
            {
                return true;
            }
        }
        return false;
    }

    private static bool Fresh(long timestamp, TimeSpan tolerance, DateTimeOffset? now)
    {
        var current = (now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        return Math.Abs(current - timestamp) <= (long)tolerance.TotalSeconds;
    }

    private static byte[] KeyBytes(string secret) =>
        TryKeyBytes(secret, out var key) ? key : throw new ArgumentException("A webhook secret is 'whsec_' followed by base64.", nameof(secret));

    private static bool TryKeyBytes(string secret, out byte[] key)
    {
        key = [];
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var encoded = secret.AsSpan(SecretPrefix.Length);
        var buffer = new byte[encoded.Length];
        if (encoded.Length == 0 || !Convert.TryFromBase64Chars(encoded, buffer, out var written) || written == 0)
        {
            return false;
        }
        key = buffer[..written];
        return true;
    }

    private static byte[] StandardMac(byte[] key, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var mac = new byte[32];
        Sign(key, $"{id}.{timestamp.ToString(CultureInfo.InvariantCulture)}.", body, mac);
        return mac;
    }

    private static byte[] PatronMac(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var mac = new byte[32];
        Sign(Encoding.UTF8.GetBytes(secret), $"{timestamp.ToString(CultureInfo.InvariantCulture)}.", body, mac);
        return mac;
    }
}
