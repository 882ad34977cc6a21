using System.Collections.Concurrent;
using Npgsql;
using Patron.Storage;

[assembly: AssemblyFixture(typeof(Patron.Tests.Infrastructure.TestDatabaseSweep))]

namespace Patron.Tests.Infrastructure;

public static class TestDatabases
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>The name of the trait that says which database a test row runs on.</summary>
    public const string Trait = "Database";

    public static string? PostgresAdmin =>
        Environment.GetEnvironmentVariable("PATRON_TEST_POSTGRES") is { Length: > 0 } cs ? cs : null;

    /// <summary>
    /// Configuration arguments that point a Patron process at a new, empty database of this kind. A
    /// PostgreSQL database made here is dropped at the end of the test run; prefer
    /// <see cref="TestDatabase.CreateAsync"/>, whose database goes when the test disposes of it.
    /// </summary>
    public static async Task<string[]> NewDatabaseArgsAsync(string kind, string dataDir) =>
        (await TestDatabase.CreateAsync(kind, dataDir)).Args;
}

/// <summary>
/// A new, empty database for one test. SQLite: a file the server makes in the data folder (the folder's
/// owner deletes it). PostgreSQL: a database of its own on the <c>PATRON_TEST_POSTGRES</c> cluster,
/// dropped after dispose, even from under connections still open (in the background, see
/// <see cref="PostgresTestDatabases.DropLater"/>; the end of the run waits for it).
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _dataDir;

    private TestDatabase(string kind, string[] args, string? postgresName, string dataDir)
    {
        Kind = kind;
        Args = args;
        PostgresName = postgresName;
        _dataDir = dataDir;
    }

    /// <summary><see cref="TestDatabases.Sqlite"/> or <see cref="TestDatabases.Postgres"/>.</summary>
    public string Kind { get; }

    /// <summary>Configuration arguments that point a Patron process at this database.</summary>
    public string[] Args { get; }

    /// <summary>The PostgreSQL database's name, or null for SQLite.</summary>
    public string? PostgresName { get; }

    /// <summary>PostgreSQL: a connection string to this database, with the cluster's admin credentials.</summary>
    public string PostgresConnectionString =>
        new NpgsqlConnectionStringBuilder(TestDatabases.PostgresAdmin)
        {
            Database = PostgresName ?? throw new InvalidOperationException("This test database is SQLite."),
        }.ConnectionString;

    /// <summary>
    /// This database opened directly, for a test that works below the server (migrations, plain SQL): on SQLite
    /// the file a server keeps in the data folder, on PostgreSQL <see cref="PostgresConnectionString"/>.
    /// </summary>
    public Database Open() => PostgresName is null
        ? new Database(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(_dataDir, "patron.db")};Pooling=False")
        : new Database(DatabaseProvider.Postgres, PostgresConnectionString);

    /// <param name="postgresPool">PostgreSQL only: the server's pool size and the seconds it waits for a free connection.</param>
    public static Task<TestDatabase> CreateAsync(string kind, string dataDir, (int Size, int TimeoutSeconds)? postgresPool = null) =>
        CreateAsync(kind, dataDir, postgresPool, migrated: false);

    /// <summary>
    /// Like <see cref="CreateAsync(string, string, ValueTuple{int, int}?)"/>, but with every migration already
    /// applied (a copy of <see cref="MigratedTemplates"/>), as a server leaves a new database before it makes
    /// its first key. For servers whose tests are not about migrating.
    /// </summary>
    public static Task<TestDatabase> CreateMigratedAsync(string kind, string dataDir, (int Size, int TimeoutSeconds)? postgresPool = null) =>
        CreateAsync(kind, dataDir, postgresPool, migrated: true);

    private static async Task<TestDatabase> CreateAsync(string kind, string dataDir, (int Size, int TimeoutSeconds)? postgresPool, bool migrated)
    {
        switch (kind)
        {
            case TestDatabases.Sqlite:
                if (migrated)
                {
                    await MigratedTemplates.CopySqliteIntoAsync(dataDir);
                }
                return new TestDatabase(kind, ["--Patron:Database:Provider=sqlite", $"--Patron:DataDir={dataDir}"], null, dataDir);
            case TestDatabases.Postgres:
                var admin = TestDatabases.PostgresAdmin ?? throw new InvalidOperationException("PATRON_TEST_POSTGRES is not set.");
                var name = await PostgresTestDatabases.CreateAsync(admin, migrated ? await MigratedTemplates.PostgresAsync() : null);
                // Several test servers share one cluster: keep each pool well under its max_connections.
                var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = postgresPool?.Size ?? 20 };
                if (postgresPool is { TimeoutSeconds: var wait })
                {
                    builder.Timeout = wait;
                }
                return new TestDatabase(kind,
                    ["--Patron:Database:Provider=postgres", $"--ConnectionStrings:Patron={builder.ConnectionString}", $"--Patron:DataDir={dataDir}"],
                    name, dataDir);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "A test database is 'sqlite' or 'postgres'.");
        }
    }

    public ValueTask DisposeAsync()
    {
        if (PostgresName is not null)
        {
            PostgresTestDatabases.DropLater(PostgresName);
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The PostgreSQL databases this test run made and has not dropped yet. Only these are ever dropped:
/// other runs may share the cluster, and their databases are theirs.
/// </summary>
internal static class PostgresTestDatabases
{
    private const string Prefix = "patron_test_";
    private const int DropAttempts = 3;
    private const int DropBatch = 8;
    private static readonly ConcurrentDictionary<string, byte> Live = new();
    private static readonly List<string> Queue = [];
    private static bool _draining;
    private static Task _drainer = Task.CompletedTask;

    /// <summary>Names of the databases made by this run and not dropped yet.</summary>
    public static IReadOnlyCollection<string> Remaining => [.. Live.Keys];

    /// <param name="template">A database to copy (one nobody is connected to), else PostgreSQL's empty <c>template1</c>.</param>
    public static async Task<string> CreateAsync(string admin, string? template = null)
    {
        var name = Prefix + Guid.NewGuid().ToString("N")[..16];
        // Remembered first: a CREATE whose answer is lost may still have made the database.
        Live[name] = 0;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}{(template is null ? "" : $" TEMPLATE {template}")}", connection);
        await create.ExecuteNonQueryAsync();
        return name;
    }

    /// <summary>
    /// Drops the database, closing whatever still uses it (a killed server's sessions, a pool). A failure
    /// is not the test's: the database stays on the list, and the sweep at the end of the run tries again.
    /// </summary>
    public static async Task<bool> DropAsync(string name)
    {
        if (TestDatabases.PostgresAdmin is not { } admin)
        {
            return false;
        }
        for (var attempt = 1; attempt <= DropAttempts; attempt++)
        {
            try
            {
                await using var connection = new NpgsqlConnection(admin);
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection) { CommandTimeout = 120 };
                await drop.ExecuteNonQueryAsync();
                Live.TryRemove(name, out _);
                return true;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                if (attempt < DropAttempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
                }
            }
        }
        return false;
    }

    /// <summary>
    /// Drops the database in the background. Each DROP DATABASE waits for a checkpoint of the whole
    /// cluster (seconds with fsync on); drops issued together share one, so the names queue up and go in
    /// batches, and the test that disposed of its database does not wait for any of it.
    /// </summary>
    public static void DropLater(string name)
    {
        lock (Queue)
        {
            Queue.Add(name);
            if (!_draining)
            {
                _draining = true;
                _drainer = Task.Run(DrainAsync);
            }
        }
    }

    /// <summary>Waits until every database queued by <see cref="DropLater"/> has been dropped (or has failed to).</summary>
    public static async Task DrainedAsync()
    {
        while (true)
        {
            Task drainer;
            lock (Queue)
            {
                if (!_draining)
                {
                    return;
                }
                drainer = _drainer;
            }
            await drainer;
        }
    }

    private static async Task DrainAsync()
    {
        while (true)
        {
            string[] batch;
            lock (Queue)
            {
                if (Queue.Count == 0)
                {
                    _draining = false;
                    return;
                }
                batch = [.. Queue];
                Queue.Clear();
            }
            foreach (var chunk in batch.Chunk(DropBatch))
            {
                // A failed drop stays on the list of live databases, for the sweep at the end of the run.
                await Task.WhenAll(chunk.Select(async name =>
                {
                    try
                    {
                        await DropAsync(name);
                    }
                    catch (Exception)
                    {
                    }
                }));
            }
        }
    }

    /// <summary>Drops every database of this run that is still there.</summary>
    public static async Task DropRemainingAsync()
    {
        await DrainedAsync();
        foreach (var name in Remaining)
        {
            await DropAsync(name);
        }
    }
}

/// <summary>
/// At the end of the run, drops the PostgreSQL databases that no test dropped itself: those of tests that
/// hold only the arguments (<see cref="TestDatabases.NewDatabaseArgsAsync"/>) and those whose drop failed.
/// </summary>
public sealed class TestDatabaseSweep : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await PostgresTestDatabases.DropRemainingAsync();
}
