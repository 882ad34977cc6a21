using System.Text;

namespace Patron.Cli;

/// <summary>
/// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. Written here rather than
/// taken from a package: the importer streams records from a reader whose position tells progress, and
/// this is all the CSV Patron reads or writes.
/// </summary>
public static class Csv
{
    /// <summary>A file that is not CSV, with the line (1-based) where the problem starts.</summary>
    public sealed class MalformedException(long line, string message) : Exception($"line {line}: {message}")
    {
        public long Line { get; } = line;
    }

    /// <summary>Reads records one by one; the reader's position tells progress.</summary>
    /// <exception cref="MalformedException">A quoted field is still open at the end of the input.</exception>
    public static IEnumerable<List<string>> Read(TextReader reader)
    {
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var any = false;
        long line = 1, quoteOpenedOn = 0;
        int c;
        while ((c = reader.Read()) != -1)
        {
            var ch = (char)c;
            any = true;
            if (ch == '\n')
            {
                line++;
            }
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    quoteOpenedOn = line;
                    break;
                case ',':
                    record.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    record.Add(field.ToString());
                    field.Clear();
                    yield return record;
                    record = [];
                    any = false;
                    break;
                default:
                    field.Append(ch);
                    break;
            }
        }
        if (quoted)
        {
            throw new MalformedException(quoteOpenedOn,
                "a quoted field opens here and is never closed (a missing \"), so every line after it would be read into it.");
        }
        if (any)
        {
            record.Add(field.ToString());
            yield return record;
        }
    }

    /// <summary>Reads the whole file once, to refuse a malformed one before anything is imported.</summary>
    public static async Task CheckAsync(string file)
    {
        using var reader = new StreamReader(file);
        foreach (var _ in Read(reader))
        {
            await Task.CompletedTask;
        }
    }

    /// <summary>
    /// A text cell: quoted when it holds a comma, quote or line break; and, as OWASP advises against CSV
    /// injection, a cell that starts with <c>= + - @</c>, a tab or a carriage return gets a leading
    /// <c>'</c>, so a spreadsheet shows it as text instead of running it as a formula.
    /// <see cref="Unneutralise"/> removes that mark again on import.
    /// </summary>
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        if (StartsLikeAFormula(value))
        {
            value = "'" + value;
        }
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    /// <summary>An imported cell without the <c>'</c> that <see cref="Escape"/> put before a formula-like value.</summary>
    public static string Unneutralise(string value) =>
        value.Length > 1 && value[0] == '\'' && StartsLikeAFormula(value[1..]) ? value[1..] : value;

    private static bool StartsLikeAFormula(string value) => value[0] is '=' or '+' or '-' or '@' or '\t' or '\r';
}
