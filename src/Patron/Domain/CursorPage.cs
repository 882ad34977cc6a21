namespace Patron.Domain;

/// <summary>
/// One window of a list paged by <c>starting_after</c>, newest first, as the dashboard shows it: the rows, whether
/// more follow (one more row than shown is read to know), and the cursor the window started after.
/// </summary>
public sealed record CursorPage<T>(List<T> Rows, bool HasMore, string? StartingAfter)
{
    public string? NextCursor(Func<T, string> id) => HasMore && Rows.Count > 0 ? id(Rows[^1]) : null;

}

public static class CursorPage
{
    /// <summary>The page of <paramref name="rows"/> read with a limit of <paramref name="limit"/> + 1.</summary>
    public static CursorPage<T> Of<T>(List<T> rows, int limit, string? startingAfter)
    {
        var more = rows.Count > limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        return new CursorPage<T>(rows, more, startingAfter);
    }
}
