using Microsoft.EntityFrameworkCore;
using Patron.Domain;
using Patron.Operations.Keys;
using Patron.Storage;

namespace Patron.Operations.Programs;

/// <summary>
/// Prepares a database for a server: applies migrations, gathers SQLite's planner statistics, and on a
/// database with no API key at all creates program <c>default</c> with one admin key (docs/CONFIGURATION.md).
/// The key's secret is <c>Patron:Bootstrap:AdminKey</c> when set, else a new random one that is returned
/// for printing once.
/// </summary>
public static class Bootstrap
{
    public sealed record FirstKey(string ProgramId, string KeyId, string Secret, bool Generated);

    public static async Task<FirstKey?> RunAsync(Database database, TimeProvider clock, string? configuredAdminKey)
    {
        await Migrator.MigrateAsync(database);
        // Before any reader of the server opens: a connection reads the statistics as it opens.
        await Migrator.AnalyzeAsync(database);
        if (configuredAdminKey is not null && configuredAdminKey.Trim().Length < 16)
        {
            throw new InvalidOperationException("Patron:Bootstrap:AdminKey must be at least 16 characters long.");
        }

        var path = new TransactionPerOperationWritePath(database, clock);
        return await path.RunAsync(async context =>
        {
            if (!database.IsSqlite)
            {
                // Two instances starting at once on one database must not both bootstrap.
                await context.Sql.ExecuteAsync("LOCK TABLE api_keys IN EXCLUSIVE MODE");
            }
            await using var db = await PatronDb.ForAsync(context, null);
            if (await db.ApiKeys.AnyAsync())
            {
                return null;
            }
            var program = await db.Programs.OrderBy(p => p.CreatedAt).FirstOrDefaultAsync()
                ?? await ProgramOperations.CreateAsync(context, Actor.Cli, "default");
            // Made by the operator who started the server (the serve command), so recorded as the command line's.
            var (key, secret) = await ApiKeyOperations.CreateAsync(context, Actor.Cli, program.Id,
                new ApiKeyRequest("bootstrap admin key", ApiKeyScopes.Admin), configuredAdminKey?.Trim());
            return new FirstKey(program.Id, key.Id, secret, configuredAdminKey is null);
        });
    }
}
