using Sylvan.Data.Csv;

namespace Patron.Cli;

/// <summary>
/// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. Records are read with
/// Sylvan.Data.Csv (about five times faster than the parser Patron had, docs/ARCHITECTURE.md); what
/// is Patron's own is the check that names the line where a quoted field opens and is never closed,
/// and the neutralising of formula-like cells.
/// </summary>
public static class Csv
{
    /// <summary>A file that is not CSV, with the line (1-based) where the problem starts.</summary>
    public sealed class MalformedException(long line, string message) : Exception($"line {line}: {message}")
    {
        public long Line { get; } = line;
    }

    private static readonly CsvDataReaderOptions Options = new()
    {
        HasHeaders = false,
        Delimiter = ',',
        Quote = '"',
        Escape = '"',
        OwnsReader = false,
        // A record may be as long as a whole file (a quoted field with line breaks); the buffer grows for it.
        MaxBufferSize = int.MaxValue,
    };

    /// <summary>Reads records one by one, each as its fields; the reader's position tells progress.</summary>
    /// <exception cref="MalformedException">The input is not CSV (an unterminated quoted field, ...).</exception>
    public static IEnumerable<List<string>> Read(TextReader reader)
    {
        using var csv = CsvDataReader.Create(reader, Options);
        while (Next(csv))
        {
            var record = new List<string>(csv.RowFieldCount);
            for (var i = 0; i < csv.RowFieldCount; i++)
            {
                record.Add(csv.GetString(i));
            }
            yield return record;
        }
    }

    private static bool Next(CsvDataReader csv)
    {
        try
        {
            return csv.Read();
        }
        catch (CsvFormatException e)
        {
            throw new MalformedException(e.RowNumber, $"not valid CSV ({e.Message}).");
        }
    }

    /// <summary>
    /// Reads the whole file once, to refuse a malformed one before anything is imported: a quoted field
    /// that is never closed would otherwise swallow every line after it. Names the line where it opens.
    /// </summary>
    public static async Task CheckAsync(string file)
    {
        using var reader = new StreamReader(file);
        var buffer = new char[64 * 1024];
        long line = 1, quoteOpenedOn = 0;
        var quoted = false;
        var atFieldStart = true;
        var previousWasClosingQuote = false;
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var ch = buffer[i];
                if (ch == '\n')
                {
                    line++;
                }
                if (quoted)
                {
                    if (ch == '"')
                    {
                        quoted = false; // closes, or is the first of a doubled quote (reopened below)
                        previousWasClosingQuote = true;
                    }
                    continue;
                }
                if (ch == '"' && previousWasClosingQuote)
                {
                    quoted = true; // "" inside a quoted field
                    previousWasClosingQuote = false;
                    continue;
                }
                previousWasClosingQuote = false;
                if (ch == '"' && atFieldStart)
                {
                    quoted = true;
                    quoteOpenedOn = line;
                }
                atFieldStart = ch is ',' or '\n' or '\r';
            }
        }
        if (quoted)
        {
            throw new MalformedException(quoteOpenedOn,
                "a quoted field opens here and is never closed (a missing \"), so every line after it would be read into it.");
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
