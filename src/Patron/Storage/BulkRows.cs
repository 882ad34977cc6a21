using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Patron.Storage;

/// <summary>
/// Many rows of one table in the caller's transaction, in few statements: multi-row <c>INSERT</c>s on
/// SQLite (one statement per table, the rows in one JSON parameter) and binary <c>COPY</c> on PostgreSQL.
/// Values are <see cref="string"/>, <see cref="long"/> or null, as every column these rows fill is
/// <c>TEXT</c> or an integer. Used by bulk writes that have already decided every row is new (the
/// customer import); a clash with a unique index fails the whole statement, and so the operation.
/// </summary>
public static class BulkRows
{
    private static readonly ConcurrentDictionary<(string Table, string Columns), string> InsertTexts = new();

    public static async Task InsertAsync(WriteContext context, string table, string[] columns, IReadOnlyList<object?[]> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        if (context.Database.IsSqlite)
        {
            await InsertSqliteAsync(context.Sql, table, columns, rows);
        }
        else
        {
            await CopyAsync(context.Sql, table, columns, rows);
        }
    }

    /// <summary>
    /// The most rows one SQLite statement carries. A statement's JSON is held three times over while it runs
    /// (the .NET string, its UTF-8 copy, SQLite's parse of it), so a statement of a whole 2,000-row batch of
    /// events is tens of megabytes; a few statements of 250 rows cost no measurable time and keep that small.
    /// </summary>
    internal const int SqliteRowsPerStatement = 250;

    /// <summary>
    /// Few statements per table: the rows travel as one JSON array of arrays in one parameter and SQLite's
    /// <c>json_each</c> unpacks them, <see cref="SqliteRowsPerStatement"/> at a time. (Named parameters cost
    /// SQLite a linear search each, so a statement of many rows with a parameter per value grows quadratic.)
    /// </summary>
    private static async Task InsertSqliteAsync(Sql sql, string table, string[] columns, IReadOnlyList<object?[]> rows)
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

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> as a JSON array of arrays (a loop run for every batch: compiled optimised from the start).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string Json(string table, IReadOnlyList<object?[]> rows, int start, int count)
    {
        var buffer = new ArrayBufferWriter<byte>(count * rows[start].Length * 16);
        using (var json = new Utf8JsonWriter(buffer))
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
