using System.Collections.Concurrent;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Patron.Domain;
using Patron.Operations.Keys;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// API key secrets: made, hashed (only the SHA-256 is stored), and checked on every request through
/// a short-lived cache. A revocation in this process clears the cache at once; other processes on
/// the same PostgreSQL database refuse the key on their next write (each write confirms its key in its own
/// transaction there, <see cref="WriteKey"/>) and on other requests within <see cref="CacheTtl"/>.
/// </summary>
public sealed class ApiKeyService(Database database, TimeProvider clock)
{
    public static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, CachedKey> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _revokedAt = new(StringComparer.Ordinal);

    public async Task<Caller> AuthenticateAsync(string secret)
    {
        var hash = ApiKeyRows.Hash(secret);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (!_cache.TryGetValue(hash, out var cached) || now - cached.FetchedAtMs > CacheTtl.TotalMilliseconds
            || (cached.Row is { } seen && _revokedAt.TryGetValue(seen.Id, out var revokedAt) && cached.FetchedAtMs <= revokedAt))
        {
            // Plain SQL rather than EF Core: a context of its own with its query cost more server CPU than
            // an award itself (docs/PERFORMANCE.md).
            var row = await database.ReadAsync(sql => sql.SingleAsync(FindByHash, ReadRow, ("hash", hash)));
            cached = new CachedKey(row, now);
            if (row is not null)
            {
                _cache[hash] = cached;
            }
        }

        var key = cached.Row;
        // The index found the row by hash; compare again in constant time, as docs/SECURITY.md asks.
        if (key is null || !CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(key.SecretHash), Encoding.ASCII.GetBytes(hash)))
        {
            throw ApiException.Unauthorized("invalid_api_key", "The API key is not valid.");
        }
        if (key.RevokedAt is not null)
        {
            throw ApiException.Unauthorized("api_key_revoked", "The API key has been revoked.");
        }
        if (key.ExpiresAt is { } expires && expires <= now)
        {
            throw ApiException.Unauthorized("api_key_expired", "The API key has expired.");
        }
        return new Caller(key.Id, key.ProgramId, Caller.ParseScope(key.Scope) ?? Scope.Read, key.RateLimitPerMinute, key.ExpiresAt);
    }

    /// <summary>
    /// Drops a key from this process's cache (after a revocation commits), and remembers when, so
    /// that a lookup which read the key just before the revocation cannot put it back.
    /// </summary>
    public void Forget(string keyId)
    {
        _revokedAt[keyId] = clock.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var (hash, entry) in _cache)
        {
            if (entry.Row?.Id == keyId)
            {
                _cache.TryRemove(hash, out _);
            }
        }
    }

    /// <summary>
    /// What <c>POST /api_keys</c>, the dashboard and <c>keys create</c> all refuse: the setting at fault
    /// (its JSON name) and why, or null when the key may be created.
    /// </summary>
    public static (string Field, string Reason)? Refusal(string? name, DateTimeOffset? expiresAt, int? rateLimitPerMinute, DateTimeOffset now) =>
        ApiKeyOperations.Refusal(name, expiresAt, rateLimitPerMinute, now);

    private const string FindByHash =
        "SELECT id, program_id, name, scope, secret_hash, secret_hint, rate_limit_per_minute, expires_at, revoked_at, created_at " +
        "FROM api_keys WHERE secret_hash = @hash";

    private static ApiKeyRow ReadRow(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        ProgramId = r.GetString(1),
        Name = r.StringOrNull(2),
        Scope = r.GetString(3),
        SecretHash = r.GetString(4),
        SecretHint = r.GetString(5),
        RateLimitPerMinute = r.Int64OrNull(6) is { } limit ? checked((int)limit) : null,
        ExpiresAt = r.Int64OrNull(7),
        RevokedAt = r.Int64OrNull(8),
        CreatedAt = r.GetInt64(9),
    };

    /// <summary>
    /// Makes the calling request's writes confirm, in their own transaction, that its key is not revoked: on PostgreSQL,
    /// where another instance may have revoked it since this one cached it (<see cref="WriteKey"/>). A revoked key's
    /// write fails with the <see cref="OperationException"/> <c>api_key_revoked</c> (401).
    /// </summary>
    public void ConfirmInWrites(Caller caller)
    {
        if (!database.IsSqlite)
        {
            WriteKey.Require(caller.KeyId);
        }
    }

    private sealed record CachedKey(ApiKeyRow? Row, long FetchedAtMs);
}
