using System.Text;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Cli;

/// <summary>Shared steps of the command-line tests: run a verb on a server's database, write input files, read CSV.</summary>
internal static class CliKit
{
    /// <summary>Runs <c>patron ARGS</c> in the server's data folder, on the server's database.</summary>
    public static Task<CliRun> CliAsync(this PatronServer server, params string[] args) =>
        PatronCliProcess.RunAsync(server.DataDir, [.. args, .. server.DatabaseArgs]);

    /// <summary>Writes a file into the server's data folder and returns its name relative to it (see <see cref="PatronCliProcess"/>).</summary>
    public static async Task<string> WriteFileAsync(this PatronServer server, string name, IEnumerable<string> lines)
    {
        await File.WriteAllTextAsync(Path.Combine(server.DataDir, name), string.Join("\n", lines) + "\n",
            new UTF8Encoding(false), TestContext.Current.CancellationToken);
        return name;
    }

    /// <summary>A string, or "" for JSON null: how the export writes a missing value.</summary>
    public static string Text(this JsonElement e, string property) =>
        e.GetProperty(property).ValueKind == JsonValueKind.Null ? "" : e.GetProperty(property).ToString();

    /// <summary>
    /// RFC 4180, written here independently of the code under test: quoted fields may hold commas,
    /// doubled quotes and line breaks. Returns the records, the header first.
    /// </summary>
    public static List<string[]> ParseCsv(string text)
    {
        var records = new List<string[]>();
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                field.Length.ShouldBe(0, "a quote inside an unquoted field");
                quoted = true;
            }
            else if (c == ',')
            {
                record.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add([.. record]);
                record.Clear();
            }
            else if (c != '\r')
            {
                field.Append(c);
            }
        }
        quoted.ShouldBeFalse("the CSV ends inside a quoted field");
        (field.Length + record.Count).ShouldBe(0, "the CSV does not end with a line break");
        return records;
    }
}
