using System.Globalization;

namespace Patron.Domain;

/// <summary>Validation and normalisation of the ways a customer can be found (docs/API.md, Customers).</summary>
public static class Contact
{
    /// <summary>Trimmed and lower-cased, or null when it is not a plausible address.</summary>
    public static string? NormalizeEmail(string? input)
    {
        if (input is null)
        {
            return null;
        }
        var email = input.Trim().ToLowerInvariant();
        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (email.Length is < 3 or > 254 || at <= 0 || at != email.LastIndexOf('@') || at == email.Length - 1)
        {
            return null;
        }
        var domain = email[(at + 1)..];
        if (!domain.Contains('.', StringComparison.Ordinal) || domain.StartsWith('.') || domain.EndsWith('.')
            || domain.Contains("..", StringComparison.Ordinal))
        {
            return null;
        }
        foreach (var c in email)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or '(' or ')' or ',' or ';' or ':' or '\\' or '"' or '[' or ']')
            {
                return null;
            }
        }
        return email;
    }

    /// <summary>
    /// E.164 (<c>+</c> and 8 to 15 digits), or null. Spaces, dashes, dots and brackets are dropped and a
    /// leading <c>00</c> becomes <c>+</c>. Numbers without a country code are refused rather than guessed.
    /// </summary>
    public static string? NormalizePhone(string? input)
    {
        if (input is null)
        {
            return null;
        }
        Span<char> digits = stackalloc char[32];
        var n = 0;
        var plus = false;
        var s = input.Trim();
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '+' && n == 0 && !plus)
            {
                plus = true;
            }
            else if (char.IsAsciiDigit(c))
            {
                if (n == digits.Length)
                {
                    return null;
                }
                digits[n++] = c;
            }
            else if (c is not (' ' or '-' or '.' or '(' or ')'))
            {
                return null;
            }
        }
        var number = new string(digits[..n]);
        if (!plus)
        {
            if (!number.StartsWith("00", StringComparison.Ordinal))
            {
                return null;
            }
            number = number[2..];
        }
        if (number.Length is < 8 or > 15 || number[0] == '0')
        {
            return null;
        }
        return "+" + number;
    }

    /// <summary>A birthday as <c>YYYY-MM-DD</c>, or null when it is not a real date.</summary>
    public static string? NormalizeBirthday(string? input) =>
        input is not null && DateOnly.TryParseExact(input.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : null;
}
