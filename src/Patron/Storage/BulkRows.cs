using System.Buffers;
using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Patron.Storage;

/// <summary>
/// Many rows of one table in the caller's transaction, with little work per row: on SQLite one prepared
/// <c>INSERT</c> run once per row (or, for a table with a full-text index, multi-row <c>INSERT</c>s whose rows
/// travel in one JSON parameter), binary <c>COPY</c> on PostgreSQL. Values are <see cref="string"/>,
/// <see cref="long"/> or null, as every column these rows fill is <c>TEXT</c> or an integer. Used by bulk
/// writes that have already decided every row is new (the customer import); a clash with a unique index
/// fails the statement, and so the operation.
/// </summary>
public static class BulkRows
{
    private static readonly ConcurrentDictionary<(string Table, string Columns), string> InsertTexts = new();

    /// <summary>
    /// Tables whose inserts feed an FTS5 index through a trigger (<c>customers</c>, migration 0023). FTS5 writes
    /// out its pending terms at the end of every statement, so a statement per row costs a flush per row (on a
    /// 300,000-customer import, customers took 29 s instead of 13 s); these tables get multi-row statements.
    /// </summary>
    private static readonly HashSet<string> FullTextIndexed = ["customers"];

    public static async Task InsertAsync(WriteContext context, string table, string[] columns, IReadOnlyList<object?[]> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        if (!context.Database.IsSqlite)
        {
            await CopyAsync(context.Sql, table, columns, rows);
        }
        else if (FullTextIndexed.Contains(table))
        {
            await InsertSqliteJsonAsync(context.Sql, table, columns, rows);
        }
        else
        {
            InsertSqliteRows(context.Sql, table, columns, rows);
        }
    }

    /// <summary>
    /// The rows one by one through one prepared statement: SQLite binds each value and runs the compiled
    /// statement again, with nothing to serialise or parse (on the 1M-customer import this took 28 s for the
    /// three tables it fills where JSON statements took 46 s; docs/PERFORMANCE.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InsertSqliteRows(Sql sql, string table, string[] columns, IReadOnlyList<object?[]> rows)
    {
        using var command = sql.Connection.CreateCommand();
        command.Transaction = sql.Transaction;
        command.CommandText =
            $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, c) => $"@p{c}"))})";
        var parameters = new DbParameter[columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            parameters[c] = command.CreateParameter();
            parameters[c].ParameterName = $"@p{c}";
            command.Parameters.Add(parameters[c]);
        }
        command.Prepare();
        foreach (var row in rows)
        {
            for (var c = 0; c < columns.Length; c++)
            {
                parameters[c].Value = row[c] switch
                {
                    null => DBNull.Value,
                    string or long => row[c],
                    var other => throw new ArgumentException($"A bulk row of {table} holds a {other.GetType().Name}; only text and integers are written."),
                };
            }
            command.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// The most rows one JSON statement carries. Its JSON is held three times over while it runs (the .NET
    /// string, its UTF-8 copy, SQLite's parse of it); 2,000 customers (the import's batch) are about 1 MB.
    /// </summary>
    internal const int SqliteRowsPerStatement = 2_000;

    /// <summary>
    /// Few statements: the rows travel as one JSON array of arrays in one parameter and SQLite's
    /// <c>json_each</c> unpacks them, <see cref="SqliteRowsPerStatement"/> at a time. (Named parameters cost
    /// SQLite a linear search each, so a statement of many rows with a parameter per value grows quadratic.)
    /// </summary>
    private static async Task InsertSqliteJsonAsync(Sql sql, string table, string[] columns, IReadOnlyList<object?[]> rows)
    {
        var text = InsertTexts.GetOrAdd((table, string.Join(',', columns)), _ =>
            $"INSERT INTO {table} ({string.Join(", ", columns)}) SELECT "
            + string.Join(", ", Enumerable.Range(0, columns.Length).Select(c => $"value ->> {c}"))
            + " FROM json_each(@rows)");
        for (var start = 0; start < rows.Count; start += SqliteRowsPerStatement)
        {
            await sql.ExecuteAsync(text, ("rows", Json(table, rows, start, Math.Min(SqliteRowsPerStatement, rows.Count - start))));
        }
    }

    /// <summary>
    /// JSON that escapes only what JSON requires: the text goes to SQLite's parser, never to a page, so the
    /// HTML-safe escapes of the default encoder (every non-ASCII letter of a name as <c>\uXXXX</c>) are work for nothing.
    /// </summary>
    private static readonly JsonWriterOptions RelaxedEscaping = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> as a JSON array of arrays (a loop run for every batch: compiled optimised from the start).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string Json(string table, IReadOnlyList<object?[]> rows, int start, int count)
    {
        var buffer = new ArrayBufferWriter<byte>(count * rows[start].Length * 16);
        using (var json = new Utf8JsonWriter(buffer, RelaxedEscaping))
        {
            json.WriteStartArray();
            for (var r = start; r < start + count; r++)
            {
                var row = rows[r];
                json.WriteStartArray();
                foreach (var value in row)
                {
                    switch (value)
                    {
                        case null:
                            json.WriteNullValue();
                            break;
                        case string s:
                            json.WriteStringValue(s);
                            break;
                        case long l:
                            json.WriteNumberValue(l);
                            break;
                        default:
                            throw new ArgumentException($"A bulk row of {table} holds a {value.GetType().Name}; only text and integers are written.");
                    }
                }
                json.WriteEndArray();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static async Task CopyAsync(Sql sql, string table, string[] columns, IReadOnlyList<object?[]> rows)
    {
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
