using System.Security.Cryptography;
using System.Text;
using Patron.Webhooks;

namespace Patron.Security;

/// <summary>
/// The answers an <c>Idempotency-Key</c> keeps for 24 hours, encrypted at rest: they can hold secrets
/// shown once (a new API key's secret, a webhook endpoint's signing secret, a gift card's code) and
/// personal data, which would otherwise sit in clear in the database, its write-ahead log and its
/// backups. AES-256-GCM with a key derived (HKDF) from the key that protects webhook secrets
/// (<see cref="WebhookSecrets"/>), so there is one key to configure and keep. Each answer is bound to
/// its program, Idempotency-Key, request hash and status code: a stored value copied onto another
/// row does not decrypt. See docs/SECURITY.md.
/// </summary>
/// <remarks>
/// Stored form: <c>pa1:&lt;key id&gt;:&lt;customer ids, comma-separated&gt;\n</c> then nonce, ciphertext and tag.
/// The customer ids (opaque ids, no personal data) stay readable so that erasing a customer can still
/// find and drop the answers about them (<c>Operations.CustomerAccounts.CustomerOperations.EraseAsync</c>); they are
/// authenticated with the ciphertext.
/// </remarks>
public sealed class StoredAnswers
{
    public const string Purpose = "patron/idempotency-answers/v1";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int CustomerIdLength = 4 + 26;
    private static ReadOnlySpan<byte> Magic => "pa1:"u8;

    private readonly byte[] _key;
    private readonly string _keyId;

    public StoredAnswers(WebhookSecrets secrets)
        : this(secrets.DeriveKey(Purpose))
    {
    }

    public StoredAnswers(byte[] key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("The key of stored answers must be 32 bytes.", nameof(key));
        }
        _key = key;
        _keyId = Convert.ToHexStringLower(SHA256.HashData(key))[..8];
    }

    /// <summary>The answer to store for this request.</summary>
    public byte[] Protect(string programId, string key, string requestHash, int status, byte[] answer)
    {
        var header = Encoding.ASCII.GetBytes($"pa1:{_keyId}:{string.Join(',', CustomerIds(answer))}\n");
        var output = new byte[header.Length + NonceBytes + answer.Length + TagBytes];
        header.CopyTo(output, 0);
        var nonce = output.AsSpan(header.Length, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagBytes);
        aes.Encrypt(nonce, answer, output.AsSpan(header.Length + NonceBytes, answer.Length),
            output.AsSpan(header.Length + NonceBytes + answer.Length, TagBytes), Associated(programId, key, requestHash, status, header));
        return output;
    }

    /// <summary>
    /// The answer as it was first sent. A value without the header is an answer stored in clear by an
    /// earlier release (at most 24 hours old) and is returned as it is.
    /// </summary>
    public byte[] Unprotect(string programId, string key, string requestHash, int status, byte[] stored)
    {
        if (!stored.AsSpan().StartsWith(Magic))
        {
            return stored;
        }
        var end = stored.AsSpan().IndexOf((byte)'\n');
        if (end < 0 || stored.Length - end - 1 < NonceBytes + TagBytes)
        {
            throw new CryptographicException("A stored idempotent answer is damaged.");
        }
        var header = stored.AsSpan(0, end + 1);
        var keyId = Encoding.ASCII.GetString(header[Magic.Length..]).Split(':')[0];
        if (keyId != _keyId)
        {
            throw new CryptographicException(
                $"A stored idempotent answer was encrypted with another key ({keyId}, this process has {_keyId}): " +
                "every Patron process must use the same Patron:Webhooks:EncryptionKey (or share the data directory's key file).");
        }
        var body = stored.AsSpan(end + 1);
        var length = body.Length - NonceBytes - TagBytes;
        var answer = new byte[length];
        using var aes = new AesGcm(_key, TagBytes);
        aes.Decrypt(body[..NonceBytes], body.Slice(NonceBytes, length), body[(NonceBytes + length)..], answer,
            Associated(programId, key, requestHash, status, header));
        return answer;
    }

    /// <summary>The customer ids the answer names anywhere in its text, each once, in order of appearance.</summary>
    public static IReadOnlyList<string> CustomerIds(ReadOnlySpan<byte> answer)
    {
        var ids = new List<string>();
        var prefix = "cus_"u8;
        var at = 0;
        while (at < answer.Length)
        {
            var found = answer[at..].IndexOf(prefix);
            if (found < 0)
            {
                break;
            }
            var start = at + found;
            at = start + prefix.Length;
            if (start + CustomerIdLength <= answer.Length && IsIdText(answer.Slice(at, CustomerIdLength - prefix.Length)))
            {
                var id = Encoding.ASCII.GetString(answer.Slice(start, CustomerIdLength));
                if (!ids.Contains(id))
                {
                    ids.Add(id);
                }
                at = start + CustomerIdLength;
            }
        }
        return ids;
    }

    private static bool IsIdText(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
        {
            if (b is not ((>= (byte)'0' and <= (byte)'9') or (>= (byte)'A' and <= (byte)'Z')))
            {
                return false;
            }
        }
        return true;
    }

    private static byte[] Associated(string programId, string key, string requestHash, int status, ReadOnlySpan<byte> header)
    {
        var binding = Encoding.UTF8.GetBytes($"{programId.Length}:{programId}{key.Length}:{key}{requestHash.Length}:{requestHash}{status}\n");
        return [.. binding, .. header];
    }
}
