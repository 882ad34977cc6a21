using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Patron.Storage;

/// <summary>
/// Applies the numbered SQL scripts under <c>Storage/Migrations/{provider}/</c> that the database
/// has not seen yet, each in its own transaction, and records them in <c>schema_migrations</c>.
/// A later release adds <c>0002_...sql</c> and every existing database upgrades in place on start.
/// </summary>
public static class Migrator
{
    // Any constant works; it only has to be the same for every Patron process on one PostgreSQL database.
    private const long PostgresLockId = 0x5041_5452_4F4E; // "PATRON"

    /// <summary>SQLite's ANALYZE, sampling at most 1,000 rows per index: milliseconds at any size.</summary>
    public const string SqliteStatistics = "PRAGMA analysis_limit=1000; ANALYZE;";

    public static IReadOnlyList<(int Version, string Name, string Sql)> Scripts(DatabaseProvider provider)
    {
        var folder = provider == DatabaseProvider.Sqlite ? "sqlite" : "postgres";
        var assembly = Assembly.GetExecutingAssembly();
        var prefix = $"Patron.Storage.Migrations.{folder}.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var name = n[prefix.Length..^4];
                var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)));
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (version, name, reader.ReadToEnd());
            })
            .OrderBy(s => s.version)
            .ToList();
    }

    /// <summary>
    /// SQLite: gathers the query planner's statistics (<see cref="SqliteStatistics"/>). A server calls it after
    /// the migrations, before any reader opens (Jobs.SqliteStatisticsJob keeps them current); a one-off
    /// command does not need it. PostgreSQL keeps its own (autovacuum): nothing is done.
    /// </summary>
    public static async Task AnalyzeAsync(Database db, CancellationToken ct = default)
    {
        if (!db.IsSqlite)
        {
            return;
        }
        await using var connection = await db.OpenAsync(ct);
        await new Sql(connection).ExecuteAsync(SqliteStatistics);
    }

    /// <summary>Applies the scripts not applied yet; statistics are left to <see cref="AnalyzeAsync"/>.</summary>
    /// <returns>The names of the scripts applied by this call.</returns>
    public static Task<IReadOnlyList<string>> MigrateAsync(Database db, CancellationToken ct = default) => MigrateAsync(db, null, ct);

    /// <summary>Applies the scripts not applied yet, up to version <paramref name="through"/> (all when null).</summary>
    /// <remarks>Tests use a version to build a database as an older release left it.</remarks>
    internal static async Task<IReadOnlyList<string>> MigrateAsync(Database db, int? through, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        // A migration may rewrite a large table (0028 on PostgreSQL: about 10 s per million ledger entries), and an
        // instance that starts beside the one migrating waits for its lock as long: neither is cut off by the
        // connection's command timeout (Npgsql's default is 30 s).
        var sql = new Sql(connection, timeoutSeconds: Sql.NoTimeout);
        if (db.IsSqlite)
        {
            // WAL lets readers run beside the single writer; the mode is stored in the file.
            await sql.ExecuteAsync("PRAGMA journal_mode=WAL;");
        }
        else
        {
            await sql.ExecuteAsync("SELECT pg_advisory_lock(@id)", ("id", PostgresLockId));
        }

        try
        {
            await sql.ExecuteAsync(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            var applied = (await sql.ListAsync("SELECT version FROM schema_migrations", r => Convert.ToInt32(r.GetValue(0))))
                .ToHashSet();
            var scripts = Scripts(db.Provider);
            var known = scripts.Count == 0 ? 0 : scripts[^1].Version;
            if (applied.Count > 0 && applied.Max() > known)
            {
                throw new InvalidOperationException(
                    $"The database schema (version {applied.Max()}) is newer than this Patron (version {known}): run the Patron release that upgraded it, or a later one.");
            }
            var done = new List<string>();
            foreach (var (version, name, script) in scripts)
            {
                if (applied.Contains(version) || version > through)
                {
                    continue;
                }
                await using var tx = connection is SqliteConnection sqlite
                    ? sqlite.BeginTransaction(deferred: false)
                    : await connection.BeginTransactionAsync(ct);
                var inTx = new Sql(connection, tx, timeoutSeconds: Sql.NoTimeout);
                // A concurrent SQLite process may have applied it while we waited for the write lock.
                if (await inTx.ScalarAsync("SELECT 1 FROM schema_migrations WHERE version = @v", ("v", version)) is not null)
                {
                    continue;
                }
                await inTx.ExecuteAsync(script);
                await inTx.ExecuteAsync(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)",
                    ("v", version), ("n", name), ("t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                await tx.CommitAsync(ct);
                done.Add(name);
            }
            if (!db.IsSqlite)
            {
                await CustomerSearch.EnsurePostgresIndexesAsync(sql, scripts);
            }
            return done;
        }
        finally
        {
            if (!db.IsSqlite)
            {
                await sql.ExecuteAsync("SELECT pg_advisory_unlock(@id)", ("id", PostgresLockId));
            }
        }
    }
}
