namespace Patron.Client;

/// <summary>
/// One page of a list: <c>{"object":"list","data":[...],"page":1,"limit":20,"total_count":134,"has_more":true}</c>.
/// <see cref="Page"/> and <see cref="TotalCount"/> are null on pages asked for with <c>starting_after</c>.
/// </summary>
public sealed class PatronList<T>
{
    public string Object { get; set; } = "list";
    public List<T> Data { get; set; } = [];
    public int? Page { get; set; }
    public int Limit { get; set; }
    public long? TotalCount { get; set; }
    public bool HasMore { get; set; }
}

/// <summary>An object with a Patron id, which lists use as their <c>starting_after</c> cursor.</summary>
public interface IHasId
{
    string Id { get; }
}

/// <summary>
/// The parameters every list takes: <c>limit</c> (1–100, default 20) with <c>page</c>, or a
/// <c>starting_after</c> cursor (the last id of the previous page). Lists of a resource add their filters.
/// </summary>
public class ListOptions
{
    public int? Limit { get; set; }
    public int? Page { get; set; }
    public string? StartingAfter { get; set; }

    /// <summary>The filters of a resource's list, as query parameters (names exactly as the API spells them).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Filters() => [];

    internal IEnumerable<KeyValuePair<string, string>> Query(string? startingAfter)
    {
        if (Limit is { } limit)
        {
            yield return new("limit", limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var after = startingAfter ?? StartingAfter;
        if (after is not null)
        {
            yield return new("starting_after", after);
        }
        else if (Page is { } page)
        {
            yield return new("page", page.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        foreach (var (name, value) in Filters())
        {
            if (!string.IsNullOrEmpty(value))
            {
                yield return new(name, value);
            }
        }
    }

    protected static string? Bool(bool? value) => value is null ? null : value.Value ? "true" : "false";
}

/// <summary>A deleted (or revoked, or erased) object: <c>{"id":...,"object":...,"deleted":true}</c>.</summary>
public sealed class DeletedObject : IHasId
{
    public string Id { get; set; } = "";
    public string Object { get; set; } = "";
    public bool Deleted { get; set; }
}
