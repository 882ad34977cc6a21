using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using SQLitePCL;

namespace Patron.Storage;

/// <summary>
/// Many rows of one table in the caller's transaction, with little work per row: on SQLite prepared
/// <c>INSERT</c>s whose values are bound by position straight through SQLite's C API, on PostgreSQL binary
/// <c>COPY</c>. Values are <see cref="string"/>, <see cref="long"/> or null, as every column these rows fill is
/// <c>TEXT</c> or an integer. Used by bulk writes that have already decided every row is new (the customer
/// import); a clash with a unique index fails the statement, and so the operation.
/// </summary>
public static class BulkRows
{
    /// <summary>
    /// Tables whose inserts feed an FTS5 index through a trigger (<c>customers</c>, migration 0023). FTS5 writes
    /// out its pending terms at the end of every statement, and each statement copies the pages it changes first
    /// into its own journal, so these tables get few statements of many rows (<see cref="SqliteRowsPerStatement"/>):
    /// a statement per customer took the customers' inserts from 12.8 to 29 s on a 300,000-row import.
    /// </summary>
    private static readonly HashSet<string> FullTextIndexed = ["customers"];

    /// <summary>
    /// Rows per statement for <see cref="FullTextIndexed"/> tables: 1,000 rows of 19 columns is 19,000
    /// parameters, under SQLite's limit of 32,766. On the 1M-customer import, 100 rows per statement took
    /// 91 s, 500 took 80 s and 1,000 took 79 s (docs/PERFORMANCE.md).
    /// </summary>
    internal const int SqliteRowsPerStatement = 1_000;

    private const int SqliteMaxParameters = 32_766;

    public static async Task InsertAsync(WriteContext context, string table, string[] columns, IReadOnlyList<object?[]> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        if (context.Database.IsSqlite)
        {
            var perStatement = FullTextIndexed.Contains(table) ? Math.Min(SqliteRowsPerStatement, SqliteMaxParameters / columns.Length) : 1;
            InsertSqlite(((SqliteConnection)context.Sql.Connection).Handle!, table, columns, rows, perStatement);
        }
        else
        {
            await CopyAsync(context.Sql, table, columns, rows);
        }
    }

    /// <summary>
    /// The rows through one prepared statement of <paramref name="perStatement"/> rows, run again and again (and
    /// one of the remainder at the end). Bound by position through SQLitePCL rather than through
    /// <c>SqliteCommand</c>, which binds each parameter by name (a search of the statement's names) and builds a
    /// data reader for every execution: nothing to serialise, parse or look up per value. A table without a
    /// full-text index gets one row per statement, which SQLite runs without a statement journal.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InsertSqlite(sqlite3 db, string table, string[] columns, IReadOnlyList<object?[]> rows, int perStatement)
    {
        perStatement = Math.Min(perStatement, rows.Count);
        var statement = Prepare(db, table, columns, perStatement);
        try
        {
            for (var start = 0; start < rows.Count; start += perStatement)
            {
                var count = Math.Min(perStatement, rows.Count - start);
                if (count < perStatement)
                {
                    statement.Dispose();
                    statement = Prepare(db, table, columns, count);
                }
                var position = 1;
                for (var r = start; r < start + count; r++)
                {
                    foreach (var value in rows[r])
                    {
                        SqliteException.ThrowExceptionForRC(value switch
                        {
                            null => raw.sqlite3_bind_null(statement, position),
                            string s => raw.sqlite3_bind_text(statement, position, s),
                            long l => raw.sqlite3_bind_int64(statement, position, l),
                            _ => throw new ArgumentException($"A bulk row of {table} holds a {value.GetType().Name}; only text and integers are written."),
                        }, db);
                        position++;
                    }
                }
                var step = raw.sqlite3_step(statement);
                raw.sqlite3_reset(statement);
                if (step != raw.SQLITE_DONE)
                {
                    SqliteException.ThrowExceptionForRC(step, db);
                }
            }
        }
        finally
        {
            statement.Dispose();
        }
    }

    private static sqlite3_stmt Prepare(sqlite3 db, string table, string[] columns, int rowCount)
    {
        var row = "(" + string.Join(", ", Enumerable.Repeat("?", columns.Length)) + ")";
        var text = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES {string.Join(", ", Enumerable.Repeat(row, rowCount))}";
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(db, text, out var statement), db);
        return statement;
    }

    private static async Task CopyAsync(Sql sql, string table, string[] columns, IReadOnlyList<object?[]> rows)
    {
        await sql.FlushAsync();
        var connection = (NpgsqlConnection)sql.Connection;
        await using var writer = await connection.BeginBinaryImportAsync(
            $"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)");
        foreach (var row in rows)
        {
            await writer.StartRowAsync();
            foreach (var value in row)
            {
                switch (value)
                {
                    case null:
                        await writer.WriteNullAsync();
                        break;
                    case string s:
                        await writer.WriteAsync(s, NpgsqlDbType.Text);
                        break;
                    case long l:
                        await writer.WriteAsync(l, NpgsqlDbType.Bigint);
                        break;
                    default:
                        throw new ArgumentException($"A bulk row of {table} holds a {value.GetType().Name}; only text and integers are written.");
                }
            }
        }
        await writer.CompleteAsync();
    }
}
