using System.Globalization;
using System.Text.RegularExpressions;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// List parameters (docs/API.md): <c>limit</c> 1–100 (default 20) with either <c>page</c> (1-based,
/// counted) or <c>starting_after</c> (a cursor on the time-ordered id, which stays fast on millions
/// of rows and so skips the count). Read from the request into the core's <see cref="Paging"/>.
/// </summary>
public static partial class PagingRequest
{
    /// <summary>The parameters every list takes; each list names its own filters besides.</summary>
    private static readonly string[] Common = ["limit", "page", "starting_after"];

    extension(Paging)
    {
        /// <summary>Reads the list parameters of a list whose only other query parameters are <paramref name="filters"/>.</summary>
        public static Paging From(HttpRequest request, params string[] filters) => Read(request, true, filters);

        /// <summary>
        /// Reads the list parameters. A query parameter that is neither a list parameter nor one of
        /// <paramref name="filters"/> is 400 <c>parameter_unknown</c> naming it, so that a misspelt filter
        /// never silently lists everything. A <c>starting_after</c> must have the shape of a Patron id
        /// (<c>prefix_</c> and 26 base32 characters) unless <paramref name="cursorIsId"/> is false, for a list
        /// keyed by the caller's own ids (orders), which checks its cursor names one of its objects itself.
        /// </summary>
        public static Paging From(HttpRequest request, bool cursorIsId, params string[] filters) => Read(request, cursorIsId, filters);
    }

    private static Paging Read(HttpRequest request, bool cursorIsId, string[] filters)
    {
        foreach (var name in request.Query.Keys)
        {
            if (!Common.Contains(name, StringComparer.Ordinal) && !filters.Contains(name, StringComparer.Ordinal))
            {
                throw ApiException.UnknownParameter(name);
            }
        }
        var limit = Int(request, "limit", 20, 1, 100);
        var page = Int(request, "page", 1, 1, 1_000_000);
        var after = request.Query["starting_after"].ToString();
        if (after.Length > 0 && cursorIsId && !IdShape().IsMatch(after))
        {
            throw ApiException.Invalid("starting_after", "'starting_after' must be the id of an object of this list (the last id of the previous page).");
        }
        return new Paging(limit, page, after.Length == 0 ? null : after);
    }

    [GeneratedRegex("^[a-z][a-z0-9]*_[0-9A-HJKMNP-TV-Z]{26}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdShape();

    private static int Int(HttpRequest request, string name, int fallback, int min, int max)
    {
        var raw = request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return fallback;
        }
        if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw ApiException.Invalid(name, $"'{name}' must be a whole number from {min} to {max}.");
        }
        return value;
    }
}
