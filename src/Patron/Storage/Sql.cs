using System.Data.Common;

namespace Patron.Storage;

/// <summary>
/// A thin, allocation-light helper over ADO.NET for the hot paths (the ledger, customer lookups),
/// where EF Core's per-call overhead would dominate. Parameters are named <c>@name</c> in both dialects.
/// With a <see cref="StatementCache"/> (the long-lived SQLite writer connection) each SQL text is
/// prepared once and reused. With a <see cref="StatementPrelude"/> (a PostgreSQL group-commit batch) the
/// statements waiting in it go to the server in the same round trip as the next statement.
/// </summary>
public readonly struct Sql(
    DbConnection connection, DbTransaction? transaction = null, StatementCache? cache = null, StatementPrelude? prelude = null,
    int? timeoutSeconds = null)
{
    /// <summary>A <c>timeoutSeconds</c> that lets a statement run as long as it takes (schema migrations).</summary>
    public const int NoTimeout = 0;

    /// <summary>
    /// The connection, for code that runs commands on it other than through this type (EF Core, <c>COPY</c>).
    /// Inside a PostgreSQL group-commit batch, call <see cref="FlushAsync"/> first: until then the batch's
    /// savepoint may not be set yet.
    /// </summary>
    public DbConnection Connection => prelude?.Text is null
        ? connection
        : throw new InvalidOperationException("Statements are waiting to be sent on this connection: call FlushAsync before using it directly.");

    public DbTransaction? Transaction => transaction;

    public bool IsSqlite => connection is Microsoft.Data.Sqlite.SqliteConnection;

    /// <summary>Sends the statements waiting in the prelude, if any, on their own.</summary>
    public async Task FlushAsync()
    {
        if (prelude?.Take() is { } text)
        {
            await new Sql(connection, transaction).ExecuteAsync(text);
        }
    }

    private DbCommand Command(string text, ReadOnlySpan<(string Name, object? Value)> args)
    {
        if (prelude?.Take() is { } waiting)
        {
            // Sent with this statement: they run first, in order, in one round trip. Preludes are used on
            // PostgreSQL only, where no statement cache is kept, so the combined text is never cached.
            text = waiting + ";\n" + text;
        }
        DbCommand cmd;
        if (cache is not null && cache.TryGet(text, out var cached))
        {
            cmd = cached;
            cmd.Parameters.Clear();
        }
        else
        {
            cmd = connection.CreateCommand();
            cmd.CommandText = text;
            cache?.Add(text, cmd);
        }
        cmd.Transaction = transaction;
        if (timeoutSeconds is { } timeout)
        {
            cmd.CommandTimeout = timeout;
        }
        var sqlite = IsSqlite;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = sqlite ? SqliteName(name) : name;
            if (value is TypedNull typed)
            {
                p.DbType = typed.Type;
                p.Value = DBNull.Value;
            }
            else
            {
                p.Value = value ?? DBNull.Value;
            }
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    /// <summary>
    /// A text parameter that may be null, bound as text either way. Give a statement's sometimes-null parameters
    /// their type with this and <see cref="Int64(long?)"/>: Npgsql prepares a statement with the parameter types of
    /// the execution that prepared it, and runs every later execution whose types differ unprepared, parsed and
    /// planned again. A bare null has no type, so a statement whose parameter is null on some calls and a value on
    /// others would be planned anew on one kind of call for as long as the connection lives. SQLite ignores the type.
    /// </summary>
    public static object Text(string? value) => value ?? (object)NullText;

    /// <summary>A 64-bit integer parameter that may be null, bound as one either way (see <see cref="Text"/>).</summary>
    public static object Int64(long? value) => value is { } v ? v : NullInt64;

    private static readonly TypedNull NullText = new(System.Data.DbType.String);
    private static readonly TypedNull NullInt64 = new(System.Data.DbType.Int64);

    private sealed record TypedNull(System.Data.DbType Type);

    public async Task<int> ExecuteAsync(string text, params (string Name, object? Value)[] args)
    {
        var cmd = Command(text, args);
        try
        {
            return await cmd.ExecuteNonQueryAsync();
        }
        finally
        {
            Release(cmd);
        }
    }

    public async Task<object?> ScalarAsync(string text, params (string Name, object? Value)[] args)
    {
        var cmd = Command(text, args);
        try
        {
            var value = await cmd.ExecuteScalarAsync();
            return value is DBNull ? null : value;
        }
        finally
        {
            Release(cmd);
        }
    }

    public async Task<T?> SingleAsync<T>(string text, Func<DbDataReader, T> map, params (string Name, object? Value)[] args)
        where T : class
    {
        var cmd = Command(text, args);
        try
        {
            await using var reader = await cmd.ExecuteReaderAsync();
            return await reader.ReadAsync() ? map(reader) : null;
        }
        finally
        {
            Release(cmd);
        }
    }

    public Task<List<T>> ListAsync<T>(string text, Func<DbDataReader, T> map, params (string Name, object? Value)[] args) =>
        ListUntilAsync(text, map, static _ => false, args);

    /// <summary>
    /// The rows in order up to and including the first for which <paramref name="enough"/> says so; the rest are
    /// never read (SQLite reads a row when it is stepped to, so an indexed scan stops there).
    /// </summary>
    public async Task<List<T>> ListUntilAsync<T>(
        string text, Func<DbDataReader, T> map, Func<T, bool> enough, params (string Name, object? Value)[] args)
    {
        var cmd = Command(text, args);
        try
        {
            await using var reader = await cmd.ExecuteReaderAsync();
            var list = new List<T>();
            while (await reader.ReadAsync())
            {
                var row = map(reader);
                list.Add(row);
                if (enough(row))
                {
                    break;
                }
            }
            return list;
        }
        finally
        {
            Release(cmd);
        }
    }

    // Microsoft.Data.Sqlite finds a parameter named without its prefix by trying the name bare and then
    // with each of '@', '$' and ':' (all three, to refuse an ambiguous name): four lookups, each a scan of
    // the statement's parameter names, on every execution. Named as written in the SQL, it takes one.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> SqliteNames = new(StringComparer.Ordinal);
    private const int MaxCachedSqliteNames = 4096;

    private static string SqliteName(string name)
    {
        if (name.Length == 0 || name[0] is '@' or '$' or ':')
        {
            return name;
        }
        if (SqliteNames.TryGetValue(name, out var prefixed))
        {
            return prefixed;
        }
        prefixed = "@" + name;
        // The names are constants at the call sites (and numbered ones for multi-row statements), so the set
        // stays small; the bound only guards against a caller that builds names from data.
        if (SqliteNames.Count < MaxCachedSqliteNames)
        {
            SqliteNames.TryAdd(name, prefixed);
        }
        return prefixed;
    }

    private void Release(DbCommand cmd)
    {
        if (cache is null)
        {
            cmd.Dispose();
        }
    }
}

/// <summary>
/// Statements to send before the next one on a connection, in the same round trip (PostgreSQL: the savepoint
/// that opens each operation of a group-commit batch). Not thread-safe: one connection, one user.
/// </summary>
public sealed class StatementPrelude
{
    /// <summary>What waits to be sent, or null.</summary>
    public string? Text { get; set; }

    /// <summary>What waits to be sent, now counted as sent.</summary>
    public string? Take()
    {
        var text = Text;
        Text = null;
        return text;
    }
}

/// <summary>Prepared commands of one connection, by SQL text. Not thread-safe: one connection, one user.</summary>
public sealed class StatementCache : IDisposable
{
    private const int MaxStatements = 512;
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    public bool TryGet(string text, out DbCommand command) => _commands.TryGetValue(text, out command!);

    public void Add(string text, DbCommand command)
    {
        // SQL texts are constants in the code, so the set is small; the bound only guards against a mistake.
        if (_commands.Count < MaxStatements)
        {
            _commands[text] = command;
        }
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }
        _commands.Clear();
    }
}

public static class DataReaderExtensions
{
    public static string? StringOrNull(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    public static long? Int64OrNull(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
