using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Patron.Client;

/// <summary>
/// Verifies a webhook delivery from Patron and parses its event (docs/WEBHOOKS.md, Verifying
/// signatures). Patron signs each delivery twice with the endpoint's secret (<c>whsec_...</c>):
/// <list type="bullet">
/// <item><c>Patron-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "{t}.{raw body}"&gt;</c>, keyed with
/// the whole secret string as UTF-8 (also sent as <c>Loyalino-Signature</c> to Loyalino-style endpoints);</item>
/// <item>Standard Webhooks: <c>webhook-id</c>, <c>webhook-timestamp</c> and <c>webhook-signature: v1,&lt;base64
/// HMAC-SHA256 of "{id}.{timestamp}.{raw body}"&gt;</c>, keyed with the base64-decoded bytes after <c>whsec_</c>.</item>
/// </list>
/// Pass the raw body exactly as received, before any JSON parsing.
/// </summary>
public static class WebhookSignature
{
    public const string PatronSignatureHeader = "Patron-Signature";
    public const string LoyalinoSignatureHeader = "Loyalino-Signature";
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    private const string SecretPrefix = "whsec_";

    /// <summary>How far a signed timestamp may be from the clock (5 minutes), so that a captured delivery cannot be replayed later.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Checks the <c>Patron-Signature</c> header against the raw payload and returns the event.
    /// Throws <see cref="WebhookSignatureException"/> when the signature does not match, the
    /// timestamp is outside <paramref name="tolerance"/> (default 5 minutes), or the payload is not an event.
    /// </summary>
    public static Event ConstructEvent(string payload, string? signatureHeader, string secret, TimeSpan? tolerance = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return ConstructEvent(Encoding.UTF8.GetBytes(payload), signatureHeader, secret, tolerance, now);
    }

    /// <inheritdoc cref="ConstructEvent(string, string?, string, TimeSpan?, DateTimeOffset?)"/>
    public static Event ConstructEvent(byte[] payload, string? signatureHeader, string secret, TimeSpan? tolerance = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (string.IsNullOrEmpty(signatureHeader))
        {
            throw new WebhookSignatureException("The delivery has no Patron-Signature header.");
        }
        long? timestamp = null;
        var candidates = new List<string>(1);
        foreach (var item in signatureHeader.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }
            var (name, value) = (item[..eq], item[(eq + 1)..]);
            if (name == "t" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                timestamp = t;
            }
            else if (name == "v1")
            {
                candidates.Add(value);
            }
        }
        if (timestamp is not { } ts || candidates.Count == 0)
        {
            throw new WebhookSignatureException("The Patron-Signature header is not of the form t=<timestamp>,v1=<signature>.");
        }
        CheckFresh(ts, tolerance, now);
        var expected = Mac(Encoding.UTF8.GetBytes(secret), $"{ts.ToString(CultureInfo.InvariantCulture)}.", payload);
        var matched = false;
        foreach (var candidate in candidates)
        {
            if (candidate.Length == 64 && TryHex(candidate, out var given) && CryptographicOperations.FixedTimeEquals(given, expected))
            {
                matched = true;
            }
        }
        if (!matched)
        {
            throw new WebhookSignatureException("No signature in the Patron-Signature header matches the payload and secret.");
        }
        return Parse(payload);
    }

    /// <summary>
    /// Checks the Standard Webhooks headers (<c>webhook-id</c>, <c>webhook-timestamp</c>,
    /// <c>webhook-signature</c>), or the <c>Patron-Signature</c> header when those are absent, and returns
    /// the event. Header names are matched in any case.
    /// </summary>
    public static Event ConstructEvent(
        byte[] payload, IEnumerable<KeyValuePair<string, string>> headers, string secret, TimeSpan? tolerance = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            map.TryAdd(name, value);
        }
        if (!map.TryGetValue(SignatureHeader, out var signature))
        {
            return ConstructEvent(payload, map.GetValueOrDefault(PatronSignatureHeader) ?? map.GetValueOrDefault(LoyalinoSignatureHeader),
                secret, tolerance, now);
        }
        if (!map.TryGetValue(IdHeader, out var id) || string.IsNullOrEmpty(id)
            || !map.TryGetValue(TimestampHeader, out var rawTimestamp)
            || !long.TryParse(rawTimestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var ts))
        {
            throw new WebhookSignatureException("The delivery lacks a webhook-id or a numeric webhook-timestamp header.");
        }
        CheckFresh(ts, tolerance, now);
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("A webhook secret is 'whsec_' followed by base64.", nameof(secret));
        }
        byte[] key;
        try
        {
            key = Convert.FromBase64String(secret[SecretPrefix.Length..]);
        }
        catch (FormatException e)
        {
            throw new ArgumentException("A webhook secret is 'whsec_' followed by base64.", nameof(secret), e);
        }
        var expected = Mac(key, $"{id}.{ts.ToString(CultureInfo.InvariantCulture)}.", payload);
        var matched = false;
        foreach (var part in signature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("v1,", StringComparison.Ordinal) && TryBase64(part[3..], out var given)
                && CryptographicOperations.FixedTimeEquals(given, expected))
            {
                matched = true;
            }
        }
        if (!matched)
        {
            throw new WebhookSignatureException("No signature in the webhook-signature header matches the payload and secret.");
        }
        var parsed = Parse(payload);
        if (parsed.Id != id)
        {
            throw new WebhookSignatureException("The webhook-id header does not name the event in the payload.");
        }
        return parsed;
    }

    private static void CheckFresh(long timestamp, TimeSpan? tolerance, DateTimeOffset? now)
    {
        var current = (now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        if (Math.Abs(current - timestamp) > (long)(tolerance ?? DefaultTolerance).TotalSeconds)
        {
            throw new WebhookSignatureException("The delivery's timestamp is outside the tolerance: it may be a replay.");
        }
    }

    private static byte[] Mac(byte[] key, string prefix, byte[] payload)
    {
        var head = Encoding.UTF8.GetBytes(prefix);
        var signed = new byte[head.Length + payload.Length];
        head.CopyTo(signed, 0);
        payload.CopyTo(signed, head.Length);
        return HMACSHA256.HashData(key, signed);
    }

    private static bool TryHex(string hex, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromHexString(hex);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        if (Convert.TryFromBase64String(text, buffer, out var written))
        {
            bytes = buffer[..written];
            return true;
        }
        bytes = [];
        return false;
    }

    private static Event Parse(byte[] payload)
    {
        try
        {
            var parsed = JsonSerializer.Deserialize<Event>(payload, PatronJson.Options);
            return parsed is { Id.Length: > 0, Type.Length: > 0 } ? parsed : throw new WebhookSignatureException("The payload is not a Patron event.");
        }
        catch (JsonException e)
        {
            throw new WebhookSignatureException("The payload is not valid JSON: " + e.Message);
        }
    }
}

/// <summary>A webhook delivery that is not authentic, not fresh, or not an event.</summary>
public sealed class WebhookSignatureException(string message) : PatronException(message);
