using System.Globalization;
using System.Text;

namespace Patron.Domain;

/// <summary>
/// Free-form JSON read back from the database (an activity's properties, an order's items, an event's data).
/// Requests holding an unpaired UTF-16 surrogate (<c>\ud800</c> without its pair) are refused (docs/API.md,
/// Errors), but text stored before that rule may still hold one as an escape. Such text parses, yet cannot be
/// written out again, so every answer that showed it failed; <see cref="Readable"/> reads it with U+FFFD, the
/// replacement character, in place of each lone surrogate, as a UTF-8 decoder does with a broken sequence.
/// </summary>
public static class StoredJson
{
    private const string Replacement = "\\ufffd";

    /// <summary>
    /// The stored text with each escaped lone surrogate replaced by <c>\ufffd</c>; anything else, escaped pairs
    /// and escaped backslashes included, as it was. Text without a surrogate escape is returned as it is.
    /// </summary>
    public static string Readable(string json) =>
        json.Contains("\\ud", StringComparison.OrdinalIgnoreCase) ? Repair(json) : json;

    private static string Repair(string json)
    {
        var text = new StringBuilder(json.Length);
        var i = 0;
        while (i < json.Length)
        {
            if (json[i] != '\\' || i + 1 == json.Length)
            {
                text.Append(json[i++]);
            }
            else if (json[i + 1] != 'u' || Unit(json, i + 2) is not { } unit || !char.IsSurrogate(unit))
            {
                // Another escape (a backslash, a quote, a character that is not a surrogate) is kept whole, so its
                // second character is never read as the start of an escape.
                text.Append(json, i, 2);
                i += 2;
            }
            else if (char.IsHighSurrogate(unit) && i + 11 < json.Length && json[i + 6] == '\\' && json[i + 7] == 'u'
                && Unit(json, i + 8) is { } low && char.IsLowSurrogate(low))
            {
                text.Append(json, i, 12);
                i += 12;
            }
            else
            {
                text.Append(Replacement);
                i += 6;
            }
        }
        return text.ToString();
    }

    /// <summary>The UTF-16 unit of the four hex digits at <paramref name="at"/>, or null when there are none.</summary>
    private static char? Unit(string json, int at) =>
        at + 4 <= json.Length && ushort.TryParse(json.AsSpan(at, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var unit)
            ? (char)unit
            : null;
}
