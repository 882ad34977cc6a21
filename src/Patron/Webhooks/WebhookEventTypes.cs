using System.Text.Json;
using Patron.Domain;

namespace Patron.Webhooks;

/// <summary>
/// An endpoint's subscription: a list of <see cref="EventTypes.All"/> names, or <c>"*"</c> for every
/// type (docs/WEBHOOKS.md, Endpoints).
/// </summary>
public static class WebhookEventTypes
{
    public const string Wildcard = "*";

    /// <summary>Whether a name may appear in a subscription: <c>"*"</c> or a known event type.</summary>
    public static bool IsSubscribable(string type) => type == Wildcard || EventTypes.IsKnown(type);

    /// <summary>The stored form of a subscription: a JSON array, <c>["*"]</c> for every type.</summary>
    public static string Store(IReadOnlyCollection<string> types) =>
        JsonSerializer.Serialize(types.Contains(Wildcard) ? [Wildcard] : types.Distinct(StringComparer.Ordinal).ToArray());

    public static IReadOnlyList<string> Parse(string stored) => JsonSerializer.Deserialize<string[]>(stored) ?? [];

    /// <summary>
    /// Whether a stored subscription takes this type. Stored lists hold only known type names, which
    /// contain no quotes, so a quoted substring match is exact (and allocation-free on the write path).
    /// </summary>
    public static bool Matches(string stored, string type)
    {
        if (stored == "[\"*\"]")
        {
            return true;
        }
        var span = stored.AsSpan();
        for (var i = span.IndexOf(type, StringComparison.Ordinal); i >= 0;)
        {
            var end = i + type.Length;
            if (i > 0 && span[i - 1] == '"' && end < span.Length && span[end] == '"')
            {
                return true;
            }
            var next = span[end..].IndexOf(type, StringComparison.Ordinal);
            i = next < 0 ? -1 : end + next;
        }
        return false;
    }
}
