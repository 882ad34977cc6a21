using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Patron.Storage;

namespace Patron.Webhooks;

/// <summary>
/// Endpoint secrets at rest (docs/SECURITY.md): Patron must sign with the plain secret, so it cannot
/// keep only a hash; it keeps the secret encrypted with AES-256-GCM instead, bound to its endpoint
/// id (a ciphertext copied onto another endpoint does not decrypt). The key comes from
/// <c>Patron:Webhooks:EncryptionKey</c> (base64 of 32 bytes) or, when that is not set, from the file
/// <c>webhook-secrets.key</c> in the data directory, created on first use. Every Patron process on one
/// PostgreSQL database needs the same key: configure it, or share the data directory.
/// </summary>
public sealed class WebhookSecrets
{
    public const string KeyFileName = "webhook-secrets.key";
    private const string Version = "v1";
    private const int KeyBytes = 32;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private readonly byte[] _key;
    private readonly string _keyId;

    public WebhookSecrets(IOptions<PatronOptions> options)
        : this(LoadKey(options.Value))
    {
    }

    public WebhookSecrets(byte[] key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"The webhook encryption key must be {KeyBytes} bytes.", nameof(key));
        }
        _key = key;
        _keyId = Convert.ToHexStringLower(SHA256.HashData(key))[..8];
    }

    /// <summary>
    /// A separate 32-byte key for another kind of data at rest (HKDF-SHA256 of this key, with
    /// <paramref name="purpose"/> as its info): one configured key protects them all, and no two
    /// purposes share a key.
    /// </summary>
    public byte[] DeriveKey(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, KeyBytes, salt: [], info: Encoding.UTF8.GetBytes(purpose));

    /// <summary>The secret, encrypted for storage: <c>v1:&lt;key id&gt;:&lt;base64 nonce|ciphertext|tag&gt;</c>.</summary>
    public string Protect(string endpointId, string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var output = new byte[NonceBytes + plain.Length + TagBytes];
        var nonce = output.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(_key, TagBytes))
        {
            aes.Encrypt(nonce, plain, output.AsSpan(NonceBytes, plain.Length), output.AsSpan(NonceBytes + plain.Length), Encoding.UTF8.GetBytes(endpointId));
        }
        return $"{Version}:{_keyId}:{Convert.ToBase64String(output)}";
    }

    /// <summary>The plain secret, or an exception that says why it cannot be had (wrong key, damaged value).</summary>
    public string Unprotect(string endpointId, string stored)
    {
        var parts = stored.Split(':');
        if (parts.Length != 3 || parts[0] != Version)
        {
            throw new CryptographicException("The stored webhook secret has an unknown format.");
        }
        if (parts[1] != _keyId)
        {
            throw new CryptographicException(
                $"The webhook secret was encrypted with another key ({parts[1]}, this process has {_keyId}): " +
                "every Patron process must use the same Patron:Webhooks:EncryptionKey (or share the data directory's key file).");
        }
        var data = Convert.FromBase64String(parts[2]);
        if (data.Length < NonceBytes + TagBytes)
        {
            throw new CryptographicException("The stored webhook secret is damaged.");
        }
        var length = data.Length - NonceBytes - TagBytes;
        var plain = new byte[length];
        using (var aes = new AesGcm(_key, TagBytes))
        {
            aes.Decrypt(data.AsSpan(0, NonceBytes), data.AsSpan(NonceBytes, length), data.AsSpan(NonceBytes + length), plain,
                Encoding.UTF8.GetBytes(endpointId));
        }
        return Encoding.UTF8.GetString(plain);
    }

    private static byte[] LoadKey(PatronOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Webhooks.EncryptionKey))
        {
            var configured = TryDecode(options.Webhooks.EncryptionKey);
            return configured ?? throw new InvalidOperationException(
                $"Patron:Webhooks:EncryptionKey must be base64 of {KeyBytes} bytes (e.g. `openssl rand -base64 32`).");
        }

        var dir = Path.GetFullPath(options.DataDir);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, KeyFileName);
        if (!File.Exists(path))
        {
            // Written aside and moved into place, so that two processes starting together agree on one key.
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var created = Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes));
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var stream = new FileStream(temp, fileOptions))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(created);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp);
            }
        }
        return TryDecode(File.ReadAllText(path))
            ?? throw new InvalidOperationException($"{path} does not hold base64 of {KeyBytes} bytes; restore it from a backup.");
    }

    private static byte[]? TryDecode(string text)
    {
        var buffer = new byte[KeyBytes + 3];
        return Convert.TryFromBase64String(text.Trim(), buffer, out var written) && written == KeyBytes ? buffer[..KeyBytes] : null;
    }
}
