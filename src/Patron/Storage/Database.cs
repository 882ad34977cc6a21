using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Patron.Storage;

/// <summary>
/// Where the data lives and how to reach it: the provider, its connection string, and the few
/// SQL differences between SQLite and PostgreSQL. Everything else is written once in portable SQL.
/// </summary>
public sealed class Database : IDisposable
{
    private readonly NpgsqlDataSource? _pg;

    public Database(DatabaseProvider provider, string connectionString)
    {
        Provider = provider;
        ConnectionString = connectionString;
        if (provider == DatabaseProvider.Postgres)
        {
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            // Patron runs the same few statements over and over: unless the connection string says
            // otherwise, each connection prepares its most used ones, so PostgreSQL parses and plans
            // them once instead of on every call.
            if (!SetsKeyword(connectionString, "maxautoprepare"))
            {
                builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
                builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
            }
            // Patron sets no session state (no SET, LISTEN or temporary tables), so a connection given
            // back to the pool needs no reset: that saves a round trip per open (docs/SCALING.md).
            if (!SetsKeyword(connectionString, "noresetonclose"))
            {
                builder.ConnectionStringBuilder.NoResetOnClose = true;
            }
            _pg = builder.Build();
        }
    }

    /// <summary>Whether the connection string itself gives the keyword (spaces and case aside).</summary>
    private static bool SetsKeyword(string connectionString, string keyword) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(k => k.Replace(" ", "", StringComparison.Ordinal).Equals(keyword, StringComparison.OrdinalIgnoreCase));

    public DatabaseProvider Provider { get; }
    public string ConnectionString { get; }

    /// <summary>
    /// Whether a failure means the database could not serve the request right now, not that the request
    /// or Patron is wrong: no free connection in the pool within its wait, a connection refused or cut,
    /// PostgreSQL out of connections or shutting down, SQLite busy. Such a request wrote nothing and may
    /// be retried.
    /// </summary>
    public static bool IsUnavailable(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                // Class 08: connection exception; 53: insufficient resources (too many connections);
                // 57P01-57P03: the server is shutting down or cannot accept connections yet.
                case PostgresException pg:
                    return pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal)
                        || pg.SqlState is "57P01" or "57P02" or "57P03";
                case NpgsqlException npgsql when npgsql.IsTransient:
                    return true;
                case SqliteException sqlite:
                    return sqlite.SqliteErrorCode is 5 or 6; // SQLITE_BUSY, SQLITE_LOCKED
            }
        }
        return false;
    }

    /// <summary>
    /// PostgreSQL's one connection pool, for EF Core too: a connection-string pool of its own would
    /// outlive this object and could hold up to another 100 connections per process.
    /// </summary>
    public NpgsqlDataSource? PostgresDataSource => _pg;
    public bool IsSqlite => Provider == DatabaseProvider.Sqlite;

    /// <summary>Case-insensitive LIKE operator of this provider.</summary>
    public string ILike => IsSqlite ? "LIKE" : "ILIKE";

    public static Database FromConfiguration(IConfiguration configuration)
    {
        var options = configuration.GetSection("Patron").Get<PatronOptions>() ?? new PatronOptions();
        var provider = options.Database.Provider.Trim().ToLowerInvariant() switch
        {
            "sqlite" or "" => DatabaseProvider.Sqlite,
            "postgres" or "postgresql" or "npgsql" => DatabaseProvider.Postgres,
            var other => throw new InvalidOperationException(
                $"Patron:Database:Provider must be 'sqlite' or 'postgres', not '{other}'."),
        };

        if (provider == DatabaseProvider.Postgres)
        {
            var cs = configuration.GetConnectionString("Patron");
            if (string.IsNullOrWhiteSpace(cs))
            {
                throw new InvalidOperationException(
                    "PostgreSQL needs ConnectionStrings:Patron (environment: ConnectionStrings__Patron).");
            }
            return new Database(provider, cs);
        }

        var dir = Path.GetFullPath(options.DataDir);
        Directory.CreateDirectory(dir);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dir, "patron.db"),
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        };
        return new Database(provider, builder.ToString());
    }

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        if (_pg is not null)
        {
            return await _pg.OpenConnectionAsync(ct);
        }
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    public DbConnection Open()
    {
        if (_pg is not null)
        {
            return _pg.OpenConnection();
        }
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    /// <summary>
    /// Runs a read on a connection of its own. On SQLite (where readers never wait for the writer in
    /// WAL mode) the connections are long-lived and keep their statements prepared: compiling the
    /// SQL was most of the cost of a read.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<Sql, Task<T>> query)
    {
        if (!IsSqlite)
        {
            await using var connection = await OpenAsync();
            return await query(new Sql(connection));
        }
        var generation = Volatile.Read(ref _readerGeneration);
        if (!_readers.TryTake(out var reader) || reader.Generation != generation)
        {
            reader?.Dispose();
            reader = new Reader((SqliteConnection)Open(), new StatementCache(), generation);
        }
        var healthy = false;
        try
        {
            var result = await query(new Sql(reader.Connection, null, reader.Statements));
            healthy = true;
            return result;
        }
        finally
        {
            if (healthy && reader.Generation == Volatile.Read(ref _readerGeneration) && _readers.Count < MaxIdleReaders)
            {
                _readers.Add(reader);
            }
            else
            {
                reader.Dispose();
            }
        }
    }

    private const int MaxIdleReaders = 16;
    private readonly System.Collections.Concurrent.ConcurrentBag<Reader> _readers = [];

    private int _readerGeneration;

    /// <summary>
    /// SQLite: retires the pooled read connections, so that reads from now on run on new ones. A connection
    /// reads the planner's statistics when it opens, and ANALYZE elsewhere does not reach it
    /// (Jobs.SqliteStatisticsJob).
    /// </summary>
    public void RenewReaders()
    {
        Interlocked.Increment(ref _readerGeneration);
        if (IsSqlite)
        {
            // Microsoft.Data.Sqlite pools the handles underneath: a "new" connection would be an old one.
            using var any = new SqliteConnection(ConnectionString);
            SqliteConnection.ClearPool(any);
        }
    }

    private sealed record Reader(SqliteConnection Connection, StatementCache Statements, int Generation) : IDisposable
    {
        public void Dispose()
        {
            Statements.Dispose();
            Connection.Dispose();
        }
    }

    /// <summary>True when the exception says a unique index or a concurrent transaction got there first.</summary>
    public static bool IsConflict(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.UniqueViolation
            or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected,
        SqliteException sq => sq.SqliteErrorCode == 19 && sq.SqliteExtendedErrorCode is 2067 or 1555,
        _ => false,
    };

    public void Dispose()
    {
        _pg?.Dispose();
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }
    }
}
