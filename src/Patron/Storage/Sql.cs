using System.Data.Common;

namespace Patron.Storage;

/// <summary>
/// A thin, allocation-light helper over ADO.NET for the hot paths (the ledger, customer lookups),
/// where EF Core's per-call overhead would dominate. Parameters are named <c>@name</c> in both dialects.
/// </summary>
public readonly struct Sql(DbConnection connection, DbTransaction? transaction = null)
{
    public DbConnection Connection => connection;
    public DbTransaction? Transaction => transaction;

    public DbCommand Command(string text, ReadOnlySpan<(string Name, object? Value)> args)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = text;
        cmd.Transaction = transaction;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    public async Task<int> ExecuteAsync(string text, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(text, args);
        return await cmd.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string text, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(text, args);
        var value = await cmd.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    public async Task<T?> SingleAsync<T>(string text, Func<DbDataReader, T> map, params (string Name, object? Value)[] args)
        where T : class
    {
        await using var cmd = Command(text, args);
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? map(reader) : null;
    }

    public async Task<List<T>> ListAsync<T>(string text, Func<DbDataReader, T> map, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(text, args);
        await using var reader = await cmd.ExecuteReaderAsync();
        var list = new List<T>();
        while (await reader.ReadAsync())
        {
            list.Add(map(reader));
        }
        return list;
    }
}

public static class DataReaderExtensions
{
    public static string? StringOrNull(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    public static long? Int64OrNull(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
