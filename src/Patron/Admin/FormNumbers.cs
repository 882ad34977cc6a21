using System.Globalization;
using Patron.Domain;

namespace Patron.Dashboard;

/// <summary>
/// Numbers typed into a dashboard form: empty is "not given", anything else must read as a number in the
/// invariant culture (a dot for decimals), else the field is refused with the same typed error the core raises.
/// </summary>
internal static class FormNumbers
{
    public static decimal? Decimal(string? text, string label) =>
        string.IsNullOrWhiteSpace(text) ? null
        : decimal.TryParse(text.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value
        : throw OperationException.Invalid(label, $"'{label}' must be a number, such as 1.5.");

    public static long? Whole(string? text, string label) =>
        string.IsNullOrWhiteSpace(text) ? null
        : long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
        : throw OperationException.Invalid(label, $"'{label}' must be a whole number.");

    public static string Show(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";
}
