using Microsoft.EntityFrameworkCore;
using Patron.Api;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>Program and key administration shared by the command line and the test suite.</summary>
public static class Admin
{
    public static Task<ProgramRow> CreateProgramAsync(IWritePath path, string name, string currency = "USD", Actor? actor = null) =>
        path.RunAsync(async context =>
        {
            await using var db = PatronDb.For(context, null);
            var row = new ProgramRow
            {
                Id = Ids.New("prog_"),
                Name = name.Trim(),
                Currency = currency,
                CreatedAt = context.NowMs,
                UpdatedAt = context.NowMs,
            };
            db.Programs.Add(row);
            await db.SaveChangesAsync();
            await AuditTrail.RecordAsync(context, actor ?? Actor.Cli, row.Id, AuditActions.ProgramCreated, row.Id, null,
                new { name = row.Name, currency = row.Currency });
            return row;
        });

    /// <returns>The new key and its secret, or null when the program does not exist.</returns>
    public static Task<(ApiKeyRow Row, string Secret)?> CreateKeyAsync(
        IWritePath path, string programId, Scope scope, string? name = null,
        DateTimeOffset? expiresAt = null, int? rateLimitPerMinute = null, Actor? actor = null) =>
        path.RunAsync(async context =>
        {
            await using var db = PatronDb.For(context, null);
            if (!await db.Programs.AnyAsync(p => p.Id == programId))
            {
                return ((ApiKeyRow, string)?)null;
            }
            var created = await ApiKeyService.CreateAsync(db, context.NowMs, programId, scope, name,
                expiresAt?.ToUnixTimeMilliseconds(), rateLimitPerMinute);
            await AuditTrail.RecordAsync(context, actor ?? Actor.Cli, programId, AuditActions.ApiKeyCreated, created.Row.Id, null,
                ApiKeysEndpoints.ApiKeyDto.From(created.Row));
            return ((ApiKeyRow, string)?)created;
        });

    public static Task<bool> RevokeKeyAsync(IWritePath path, string keyId, Actor? actor = null) =>
        path.RunAsync(async context =>
        {
            await using var db = PatronDb.For(context, null);
            var before = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyId && k.RevokedAt == null);
            if (before is null || await db.ApiKeys.Where(k => k.Id == keyId && k.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(k => k.RevokedAt, context.NowMs)) != 1)
            {
                return false;
            }
            var dto = ApiKeysEndpoints.ApiKeyDto.From(before);
            await AuditTrail.RecordAsync(context, actor ?? Actor.Cli, before.ProgramId, AuditActions.ApiKeyRevoked, keyId,
                dto, dto with { RevokedAt = context.Now });
            return true;
        });
}
