using System.Security.Cryptography;
using System.Text;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// API key rows: a new secret, its SHA-256 (the only form stored) and its hint, and the insert of a
/// new key inside a write. The secret is returned once, to the caller that creates the key.
/// </summary>
public static class ApiKeyRows
{
    public static string NewSecret() => "sk_" + Ids.Secret();

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string Hint(string secret) =>
        secret.Length > 10 ? string.Concat(secret.AsSpan(0, 3), "...", secret.AsSpan(secret.Length - 4)) : "sk_...";

    /// <summary>Adds a key inside a write; the secret is returned here and never again.</summary>
    public static async Task<(ApiKeyRow Row, string Secret)> CreateAsync(
        PatronDb db, long nowMs, string programId, string scope, string? name,
        long? expiresAtMs = null, int? rateLimitPerMinute = null, string? secret = null)
    {
        secret ??= NewSecret();
        var row = new ApiKeyRow
        {
            Id = Ids.New("key_"),
            ProgramId = programId,
            Name = name,
            Scope = scope,
            SecretHash = Hash(secret),
            SecretHint = Hint(secret),
            RateLimitPerMinute = rateLimitPerMinute,
            ExpiresAt = expiresAtMs,
            CreatedAt = nowMs,
        };
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync();
        return (row, secret);
    }
}
