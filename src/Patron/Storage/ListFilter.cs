using System.Data.Common;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// The WHERE clause of a list query and its arguments, always scoped to the caller's program, built
/// one filter at a time; and the reads every list makes with it: a counted window (<see cref="PageAsync{T}"/>)
/// or a cursor page, newest first (<see cref="CursorPageAsync{T}"/>). Every list query builds its filter here.
/// </summary>
public sealed class ListFilter(string programId)
{
    private readonly string _programId = programId;

    public string Where { get; private set; } = "program_id = @p";
    public List<(string, object?)> Args { get; } = [("p", programId)];

    /// <summary>Adds <c>AND condition</c> with its arguments, always.</summary>
    public ListFilter Require(string condition, params (string, object?)[] args)
    {
        Where += " AND " + condition;
        Args.AddRange(args);
        return this;
    }

    /// <summary>Adds <c>AND condition</c> with its arguments when <paramref name="applies"/>.</summary>
    public ListFilter When(bool applies, string condition, params (string, object?)[] args) =>
        applies ? Require(condition, args) : this;

    /// <summary>Adds <c>AND condition</c> with its one argument, unless <paramref name="value"/> is null or empty.</summary>
    public ListFilter Add(string condition, string name, string? value) =>
        When(!string.IsNullOrEmpty(value), condition, (name, value));

    /// <summary>Only rows that are not deleted.</summary>
    public ListFilter Live() => Require("deleted_at IS NULL");

    /// <summary>The cursor of a newest-first list: rows whose id is before <paramref name="cursor"/>, when given.</summary>
    public ListFilter Before(string? cursor) => When(cursor is not null, "id < @after", ("after", cursor));

    /// <summary>The cursor of an oldest-first list: rows whose id is after <paramref name="cursor"/>, when given.</summary>
    public ListFilter After(string? cursor) => Add("id > @after", "after", cursor);

    /// <summary>
    /// <c>?customer_id=</c> takes any customer reference (id, external id, email, phone, QR code). One that
    /// names no customer of the program is compared as given, so the list is empty rather than an error.
    /// </summary>
    public async Task<ListFilter> AddCustomerAsync(Sql sql, string? reference)
    {
        if (!string.IsNullOrEmpty(reference))
        {
            var customer = await Customers.FindAsync(sql, _programId, reference);
            Add("customer_id = @c", "c", customer?.Id ?? reference);
        }
        return this;
    }

    /// <summary>
    /// The window of <paramref name="paging"/> over the matching rows of <paramref name="table"/>, with the count
    /// of all that match (not counted when paging by cursor).
    /// </summary>
    public async Task<ListEnvelope<T>> PageAsync<T>(Sql sql, string columns, string table, Func<DbDataReader, T> map, Paging paging)
    {
        var rows = await WindowAsync(sql, columns, table, map, paging);
        return paging.Envelope(rows, await CountAsync(sql, table, paging));
    }

    /// <summary>The rows of the window of <paramref name="paging"/> (one more than its limit, to learn whether more follow).</summary>
    public Task<List<T>> WindowAsync<T>(Sql sql, string columns, string table, Func<DbDataReader, T> map, Paging paging)
    {
        var listArgs = new List<(string, object?)>(Args);
        return sql.ListAsync(paging.Apply($"SELECT {columns} FROM {table} WHERE {Where}", listArgs), map, [.. listArgs]);
    }

    /// <summary>The count of all matching rows, or null when paging by cursor (which skips the count).</summary>
    public async Task<long?> CountAsync(Sql sql, string table, Paging paging) =>
        paging.StartingAfter is null
            ? Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM {table} WHERE {Where}", [.. Args]))
            : null;

    /// <summary>One page of the matching rows after <paramref name="startingAfter"/>, newest first, as the dashboard pages a list.</summary>
    public async Task<CursorPage<T>> CursorPageAsync<T>(
        Sql sql, string columns, string table, Func<DbDataReader, T> map, string? startingAfter, int limit)
    {
        Before(startingAfter);
        var rows = await sql.ListAsync($"SELECT {columns} FROM {table} WHERE {Where} ORDER BY id DESC LIMIT @n",
            map, [.. Args, ("n", limit + 1)]);
        return CursorPage.Of(rows, limit, startingAfter);
    }

    /// <summary>A LIKE pattern (escape character '\') that matches text containing <paramref name="text"/>, lower-cased.</summary>
    public static string ContainsPattern(string text) =>
        "%" + text.ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
}
