using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Patron.Webhooks;

namespace Patron.Dashboard;

/// <summary>
/// Seals the dashboard's session cookies and antiforgery tokens with AES-256-GCM under a key derived
/// (HKDF) from Patron's encryption key and the purpose chain, so no key ring is kept on disk in plain text
/// and all processes sharing the configured key accept each other's cookies.
/// </summary>
public sealed class AdminDataProtection(WebhookSecrets secrets) : IDataProtectionProvider
{
    private readonly byte[] _root = secrets.DeriveKey("patron-admin-data-protection");

    public IDataProtector CreateProtector(string purpose) => new Protector(_root, purpose);

    private sealed class Protector(byte[] root, string purposes) : IDataProtector
    {
        private const int NonceBytes = 12;
        private const int TagBytes = 16;
        private readonly byte[] _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, root, 32, salt: [], info: Encoding.UTF8.GetBytes(purposes));

        public IDataProtector CreateProtector(string purpose) => new Protector(root, purposes + "\n" + purpose);

        public byte[] Protect(byte[] plaintext)
        {
            var output = new byte[NonceBytes + plaintext.Length + TagBytes];
            var nonce = output.AsSpan(0, NonceBytes);
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(_key, TagBytes);
            aes.Encrypt(nonce, plaintext, output.AsSpan(NonceBytes, plaintext.Length), output.AsSpan(NonceBytes + plaintext.Length));
            return output;
        }

        public byte[] Unprotect(byte[] protectedData)
        {
            if (protectedData.Length < NonceBytes + TagBytes)
            {
                throw new CryptographicException("The protected data is too short.");
            }
            var length = protectedData.Length - NonceBytes - TagBytes;
            var plaintext = new byte[length];
            using var aes = new AesGcm(_key, TagBytes);
            aes.Decrypt(protectedData.AsSpan(0, NonceBytes), protectedData.AsSpan(NonceBytes, length),
                protectedData.AsSpan(NonceBytes + length), plaintext);
            return plaintext;
        }
    }
}
