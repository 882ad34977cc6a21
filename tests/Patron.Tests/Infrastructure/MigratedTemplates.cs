using Npgsql;
using Patron.Storage;

namespace Patron.Tests.Infrastructure;

/// <summary>
/// One database per kind, migrated once per test run, that new test databases start as a copy of: a
/// server then finds every migration applied and only bootstraps its first key, instead of running each
/// script again (PostgreSQL: one commit, and one fsync, per script). The copy is what a server would have
/// made itself; the migrations' own tests start from empty databases (<see cref="TestDatabase.CreateAsync"/>).
/// </summary>
internal static class MigratedTemplates
{
    private static readonly Lazy<Task<string>> SqliteFile = new(CreateSqliteAsync);
    private static readonly Lazy<Task<string>> PostgresName = new(CreatePostgresAsync);

    /// <summary>Puts a migrated SQLite database (<c>patron.db</c>) into the data folder.</summary>
    public static async Task CopySqliteIntoAsync(string dataDir)
    {
        var template = await SqliteFile.Value;
        File.Copy(template, Path.Combine(dataDir, "patron.db"));
    }

    /// <summary>The name of the migrated PostgreSQL database to give as <c>TEMPLATE</c>.</summary>
    public static Task<string> PostgresAsync() => PostgresName.Value;

    private static async Task<string> CreateSqliteAsync()
    {
        var dir = PatronServer.NewDataDir();
        var file = Path.Combine(dir, "patron.db");
        // No pooling: closing the last connection checkpoints the WAL into the file and removes it.
        using (var db = new Database(DatabaseProvider.Sqlite, $"Data Source={file};Pooling=False"))
        {
            await Migrator.MigrateAsync(db);
        }
        if (File.Exists(file + "-wal"))
        {
            throw new InvalidOperationException($"The template {file} kept its WAL: a copy of the file alone would miss the migrations.");
        }
        return file;
    }

    private static async Task<string> CreatePostgresAsync()
    {
        var admin = TestDatabases.PostgresAdmin ?? throw new InvalidOperationException("PATRON_TEST_POSTGRES is not set.");
        var name = await PostgresTestDatabases.CreateAsync(admin);
        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = false };
        using (var db = new Database(DatabaseProvider.Postgres, builder.ConnectionString))
        {
            await Migrator.MigrateAsync(db);
        }
        return name;
    }
}
