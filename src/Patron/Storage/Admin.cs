using Microsoft.EntityFrameworkCore;
using Patron.Api;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>Program and key administration shared by the command line and the test suite.</summary>
public static class Admin
{
    public static Task<ProgramRow> CreateProgramAsync(IWritePath path, string name, string currency = "USD") =>
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
            return row;
        });

    /// <returns>The new key and its secret, or null when the program does not exist.</returns>
    public static Task<(ApiKeyRow Row, string Secret)?> CreateKeyAsync(
        IWritePath path, string programId, Scope scope, string? name = null,
        DateTimeOffset? expiresAt = null, int? rateLimitPerMinute = null) =>
        path.RunAsync(async context =>
        {
            await using var db = PatronDb.For(context, null);
            if (!await db.Programs.AnyAsync(p => p.Id == programId))
            {
                return ((ApiKeyRow, string)?)null;
            }
            return await ApiKeyService.CreateAsync(db, context.NowMs, programId, scope, name,
                expiresAt?.ToUnixTimeMilliseconds(), rateLimitPerMinute);
        });

    public static Task<bool> RevokeKeyAsync(IWritePath path, string keyId) =>
        path.RunAsync(async context =>
        {
            await using var db = PatronDb.For(context, null);
            return await db.ApiKeys.Where(k => k.Id == keyId && k.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(k => k.RevokedAt, context.NowMs)) == 1;
        });
}
