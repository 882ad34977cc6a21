using System.Text;

namespace Patron.Bench.Csv;

/// <summary>
/// The CSV reader Patron wrote itself before it took Sylvan.Data.Csv (commit before the switch, then
/// src/Patron/Cli/Csv.cs), kept here unchanged so the comparison can be repeated.
/// </summary>
public static class HandWrittenCsv
{
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
            throw new InvalidDataException($"line {quoteOpenedOn}: " +
                "a quoted field opens here and is never closed (a missing \"), so every line after it would be read into it.");
        }
        if (any)
        {
            record.Add(field.ToString());
            yield return record;
        }
    }
}
