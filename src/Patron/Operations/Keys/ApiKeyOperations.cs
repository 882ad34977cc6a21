using Microsoft.EntityFrameworkCore;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Keys;

/// <summary>
/// A key to create: its name, scope (<c>read</c>, <c>write</c> or <c>admin</c>), when it expires and its
/// own rate limit per minute (0 is none; null takes the server's).
/// </summary>
public sealed record ApiKeyRequest(string? Name, string Scope, DateTimeOffset? ExpiresAt = null, int? RateLimitPerMinute = null);

/// <summary>
/// API keys of a program (docs/API.md, API keys): create and revoke, from the native API, the dashboard
/// and the command line alike. Each change is audited here (docs/AUDIT.md) with the front door's actor.
/// A front door that caches keys forgets a revoked one after the write commits.
/// </summary>
public static class ApiKeyOperations
{
    /// <summary>
    /// What every front door refuses of a new key: the setting at fault (its JSON name) and why, or
    /// null when the key may be created.
    /// </summary>
    public static (string Field, string Reason)? Refusal(string? name, DateTimeOffset? expiresAt, int? rateLimitPerMinute, DateTimeOffset now) =>
        rateLimitPerMinute is < 0 ? ("rate_limit_per_minute", "cannot be negative (0 means no limit).")
        : expiresAt is { } at && at <= now ? ("expires_at", "must be in the future.")
        : name is { Length: > Limits.NameLength } ? ("name", $"is limited to {Limits.NameLength} characters.")
        : null;

    /// <summary>
    /// Refuses a request that <see cref="Refusal"/> or the scope rule refuses. The expiry is checked
    /// against <paramref name="now"/>, the time the caller asked; front doors check before the write.
    /// </summary>
    public static void Validate(ApiKeyRequest request, DateTimeOffset now) => Check(request, now);

    private static void Check(ApiKeyRequest request, DateTimeOffset? now)
    {
        if (!ApiKeyScopes.IsValid(request.Scope))
        {
            throw OperationException.Invalid("scope", "'scope' must be 'read', 'write' or 'admin'.");
        }
        if (Refusal(request.Name, now is null ? null : request.ExpiresAt, request.RateLimitPerMinute, now ?? default) is { } refusal)
        {
            throw OperationException.Invalid(refusal.Field, $"'{refusal.Field}' {refusal.Reason}");
        }
    }

    /// <summary>
    /// Creates a key in the caller's write and audits it: the key as the API shows it (without its secret)
    /// and the secret, returned here and never again.
    /// </summary>
    public static async Task<(ApiKeyDto Key, string Secret)> CreateAsync(
        WriteContext context, Actor actor, string programId, ApiKeyRequest request, string? secret = null)
    {
        // The expiry was checked when the caller asked: a busy write path must not refuse it later.
        Check(request, null);
        await using var db = await PatronDb.ForAsync(context, programId);
        var (row, plain) = await ApiKeyRows.CreateAsync(db, context.NowMs, programId, request.Scope, request.Name,
            request.ExpiresAt?.ToUnixTimeMilliseconds(), request.RateLimitPerMinute, secret);
        var key = ApiKeyDto.From(row);
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.ApiKeyCreated, row.Id, null, key);
        return (key, plain);
    }

    /// <summary>
    /// Revokes a key of the program at once; revoking a revoked key changes nothing. The key as it was,
    /// and whether this call revoked it; a key of another program is not found.
    /// </summary>
    public static async Task<(ApiKeyDto Before, bool Revoked)> RevokeAsync(WriteContext context, Actor actor, string programId, string keyId)
    {
        await using var db = await PatronDb.ForAsync(context, programId);
        var before = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == keyId)
            ?? throw OperationException.NotFound("API key", keyId);
        var changed = await db.ApiKeys.Where(k => k.Id == keyId && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, context.NowMs));
        var dto = ApiKeyDto.From(before);
        if (changed > 0)
        {
            await AuditTrail.RecordAsync(context, actor, programId, AuditActions.ApiKeyRevoked, keyId, dto, dto with { RevokedAt = context.Now });
        }
        return (dto, changed > 0);
    }
}
