using System.Security.Cryptography;

namespace Patron.Domain;

/// <summary>
/// Opaque, prefixed identifiers. The part after the prefix is a monotonic ULID-style value
/// (48-bit millisecond time + 80 random bits, Crockford base32), so that ordering by id is
/// ordering by creation and lists can page by cursor on the primary key.
/// </summary>
public static class Ids
{
    private const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static readonly Lock Gate = new();
    private static long _lastMs;
    private static UInt128 _lastRandom;

    public static string New(string prefix, TimeProvider? clock = null)
    {
        var ms = (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        UInt128 random;
        lock (Gate)
        {
            if (ms <= _lastMs)
            {
                // Same (or an earlier) millisecond: step the random part so ids stay strictly increasing.
                ms = _lastMs;
                random = _lastRandom + 1;
            }
            else
            {
                Span<byte> bytes = stackalloc byte[16];
                RandomNumberGenerator.Fill(bytes);
                random = new UInt128(BitConverter.ToUInt64(bytes[..8]) & 0xFFFF, BitConverter.ToUInt64(bytes[8..]));
                _lastMs = ms;
            }
            random &= (UInt128.One << 80) - 1;
            _lastRandom = random;
        }

        return Encode(prefix, ((UInt128)(ulong)ms << 80) | random);
    }

    /// <summary>
    /// The smallest id with this prefix that can be minted at <paramref name="ms"/> or later: a range
    /// condition <c>id &gt;= Floor(...)</c> on an id index selects what was created since then.
    /// </summary>
    public static string Floor(string prefix, long ms) => Encode(prefix, (UInt128)(ulong)Math.Max(ms, 0) << 80);

    private static string Encode(string prefix, UInt128 value)
    {
        Span<char> chars = stackalloc char[26];
        for (var i = 25; i >= 0; i--)
        {
            chars[i] = Crockford[(int)(value & 31)];
            value >>= 5;
        }
        return string.Concat(prefix, chars);
    }

    /// <summary>An unguessable token of <paramref name="length"/> characters without look-alikes (no 0/O, 1/I/L).</summary>
    public static string Token(int length, string alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    {
        return RandomNumberGenerator.GetString(alphabet, length);
    }

    /// <summary>A URL-safe random secret body of 40 characters (about 238 bits).</summary>
    public static string Secret() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40);
}
