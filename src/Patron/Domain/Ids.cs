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
    private const string TokenAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
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
    public static string Token(int length, string alphabet = TokenAlphabet)
    {
        return RandomNumberGenerator.GetString(alphabet, length);
    }

    /// <summary>
    /// A customer's QR value: <c>pq_</c>, the Unix time in milliseconds modulo 31^9 (9 characters, a cycle of
    /// about 840 years) and 15 random characters (about 74 bits), all from <see cref="Token"/>'s alphabet. The
    /// time comes first so that values made together sort together: a batch of new customers adds to a few pages
    /// of the QR index instead of one page per customer (docs/PERFORMANCE.md), while the random part keeps the
    /// value unguessable.
    /// </summary>
    public static string QrValue(TimeProvider? clock = null) =>
        string.Concat("pq_", TimePrefix((clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds(), 9), Token(15));

    /// <summary>
    /// A referral code: 8 characters of <see cref="Token"/>'s alphabet, short enough to read out. The first 3 are
    /// the Unix second of creation modulo 31^3 (a cycle of about 8.3 hours), and the other 5 are random (about
    /// 28.6 million per second). As with <see cref="QrValue"/>, codes made together sort together, so that a
    /// batch of new customers touches a few pages of the referral-code index; the caller still draws again
    /// when a code is taken.
    /// </summary>
    public static string ReferralCode(TimeProvider? clock = null) =>
        string.Concat(TimePrefix((clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeSeconds(), 3), Token(5));

    /// <summary>
    /// <paramref name="time"/> (Unix time in some unit) modulo 31^<paramref name="length"/>, as
    /// <paramref name="length"/> characters of <see cref="Token"/>'s alphabet, most significant first.
    /// </summary>
    private static string TimePrefix(long time, int length)
    {
        var value = (ulong)time;
        Span<char> chars = stackalloc char[length];
        for (var i = length - 1; i >= 0; i--)
        {
            chars[i] = TokenAlphabet[(int)(value % (ulong)TokenAlphabet.Length)];
            value /= (ulong)TokenAlphabet.Length;
        }
        return new string(chars);
    }

    /// <summary>A URL-safe random secret body of 40 characters (about 238 bits).</summary>
    public static string Secret() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40);
}
