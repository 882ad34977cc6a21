using System.Collections.Concurrent;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Patron.Storage;

/// <summary>
/// Many rows of one table in the caller's transaction, in few statements: multi-row <c>INSERT</c>s on
/// SQLite (prepared once per shape on the writer's connection) and binary <c>COPY</c> on PostgreSQL.
/// Values are <see cref="string"/>, <see cref="long"/> or null, as every column these rows fill is
/// <c>TEXT</c> or an integer. Used by bulk writes that have already decided every row is new (the
/// customer import); a clash with a unique index fails the whole statement, and so the operation.
/// </summary>
public static class BulkRows
{
    /// <summary>Rows per SQLite statement: bounds the statement's parameters (SQLite names each one).</summary>
    private const int MaxRowsPerStatement = 32;

    private static readonly ConcurrentDictionary<(string Table, string Columns, int Rows), string> InsertTexts = new();

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
    /// Statements of 32, 16, 8, 4, 2 or 1 rows, so that a writer's statement cache holds at most six texts per table.
    /// </summary>
    private static async Task InsertSqliteAsync(Sql sql, string table, string[] columns, IReadOnlyList<object?[]> rows)
    {
        var at = 0;
        while (at < rows.Count)
        {
            var n = MaxRowsPerStatement;
            while (n > rows.Count - at)
            {
                n /= 2;
            }
            var text = InsertTexts.GetOrAdd((table, string.Join(',', columns), n), key => InsertText(table, columns, key.Rows));
            var args = new (string, object?)[n * columns.Length];
            for (var r = 0; r < n; r++)
            {
                var row = rows[at + r];
                for (var c = 0; c < columns.Length; c++)
                {
                    args[(r * columns.Length) + c] = (Name(r, c), row[c]);
                }
            }
            await sql.ExecuteAsync(text, args);
            at += n;
        }
    }

    private static readonly ConcurrentDictionary<int, string> Names = new();

    private static string Name(int row, int column) => Names.GetOrAdd((row << 8) | column, k => $"@v{k >> 8}_{k & 0xFF}");

    private static string InsertText(string table, string[] columns, int rows)
    {
        var text = new StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ");
        for (var r = 0; r < rows; r++)
        {
            text.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < columns.Length; c++)
            {
                text.Append(c == 0 ? "" : ", ").Append(Name(r, c));
            }
            text.Append(')');
        }
        return text.ToString();
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
