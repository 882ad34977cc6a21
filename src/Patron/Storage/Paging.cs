using System.Text.Json.Serialization;

namespace Patron.Storage;

/// <summary>
/// A window of a list (docs/API.md, Lists): <c>limit</c> rows of page <c>page</c> (1-based, counted), or
/// the rows after the cursor <c>starting_after</c> (a time-ordered id). Front doors read it from their
/// requests; the stores apply it to their queries.
/// </summary>
public sealed record Paging(int Limit, int Page, string? StartingAfter)
{
    public int Offset => StartingAfter is null ? (Page - 1) * Limit : 0;

    /// <summary>Appends the cursor, order and window to a query whose rows are ordered by <paramref name="idColumn"/>.</summary>
    public string Apply(string sql, List<(string, object?)> args, string idColumn = "id")
    {
        if (StartingAfter is not null)
        {
            sql += $" AND {idColumn} < @starting_after";
            args.Add(("starting_after", StartingAfter));
        }
        args.Add(("limit_plus_one", Limit + 1));
        args.Add(("offset", Offset));
        return sql + $" ORDER BY {idColumn} DESC LIMIT @limit_plus_one OFFSET @offset";
    }

    public ListEnvelope<T> Envelope<T>(List<T> rows, long? totalCount)
    {
        var hasMore = rows.Count > Limit;
        if (hasMore)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        return new ListEnvelope<T>(rows, StartingAfter is null ? Page : null, Limit, totalCount, hasMore);
    }
}

public sealed record ListEnvelope<T>(List<T> Data, int? Page, int Limit, long? TotalCount, bool HasMore)
{
    [JsonPropertyOrder(-1)]
    public string Object => "list";
}
