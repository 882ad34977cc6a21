using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Dialects;

/// <summary>
/// Runs the curl session of a migration guide as written: the first <c>sh</c> block under a heading, with
/// <c>export NAME=value</c>, <c>NAME=$(curl ... | grep -o '"field":"[^"]*"' ...)</c> and plain <c>curl</c>
/// lines. <c>$PATRON</c> and <c>$PATRON_ADMIN_KEY</c> are the test server's; every other value comes from the guide.
/// </summary>
public static partial class GuideSession
{
    public static async Task<List<ApiResponse>> RunAsync(PatronServer server, string guide, string heading)
    {
        var variables = new Dictionary<string, string>
        {
            ["PATRON"] = server.BaseAddress.ToString().TrimEnd('/'),
            ["PATRON_ADMIN_KEY"] = server.AdminKey,
        };
        var client = server.ClientWithKey(null);
        var results = new List<ApiResponse>();
        foreach (var line in Commands(File.ReadAllLines(Repository.File(guide)), heading))
        {
            if (Assignment().Match(line) is { Success: true } assign)
            {
                var name = assign.Groups[1].Value;
                var value = assign.Groups[2].Value;
                if (variables.ContainsKey(name) && name is "PATRON" or "PATRON_ADMIN_KEY")
                {
                    continue;
                }
                if (CommandSubstitution().Match(value) is { Success: true } sub)
                {
                    var response = await CurlAsync(client, sub.Groups[1].Value, variables);
                    results.Add(response);
                    var field = FieldOf().Match(sub.Groups[2].Value);
                    field.Success.ShouldBeTrue($"cannot read which field '{line}' extracts");
                    var found = Regex.Match(response.Raw, $"\"{Regex.Escape(field.Groups[1].Value)}\":\"([^\"]*)\"");
                    found.Success.ShouldBeTrue($"'{line}' found no {field.Groups[1].Value} in: {response.Raw}");
                    variables[name] = found.Groups[1].Value;
                }
                else
                {
                    variables[name] = Expand(Tokens(value).Single(), variables);
                }
                continue;
            }
            line.ShouldStartWith("curl ", Case.Sensitive, $"the session has a line this test does not understand: {line}");
            results.Add(await CurlAsync(client, line, variables));
        }
        return results;
    }

    /// <summary>The block's commands: comments dropped, continued lines joined.</summary>
    private static List<string> Commands(string[] lines, string heading)
    {
        var start = Array.FindIndex(lines, l => l.Trim() == heading);
        start.ShouldBeGreaterThanOrEqualTo(0, $"no '{heading}' heading");
        var open = Array.FindIndex(lines, start, l => l.Trim() == "```sh");
        var close = Array.FindIndex(lines, open + 1, l => l.Trim() == "```");
        var commands = new List<string>();
        var current = new StringBuilder();
        for (var i = open + 1; i < close; i++)
        {
            var text = lines[i];
            var hash = text.IndexOf(" #", StringComparison.Ordinal);
            if (text.TrimStart().StartsWith('#'))
            {
                continue;
            }
            if (hash >= 0 && !text[..hash].Contains('\'', StringComparison.Ordinal) && !text[..hash].Contains('"', StringComparison.Ordinal))
            {
                text = text[..hash];
            }
            if (text.TrimEnd().EndsWith('\\'))
            {
                current.Append(text.TrimEnd()[..^1]).Append(' ');
                continue;
            }
            current.Append(text);
            if (current.ToString().Trim().Length > 0)
            {
                commands.Add(current.ToString().Trim());
            }
            current.Clear();
        }
        return commands;
    }

    private static async Task<ApiResponse> CurlAsync(HttpClient client, string command, Dictionary<string, string> variables)
    {
        var tokens = Tokens(command).Select(t => Expand(t, variables)).ToList();
        tokens[0].ShouldBe("curl");
        var method = "GET";
        string? url = null, body = null;
        var headers = new List<(string, string)>();
        for (var i = 1; i < tokens.Count; i++)
        {
            switch (tokens[i])
            {
                case "-sS" or "-s" or "-S":
                    break;
                case "-w":
                    i++; // what curl prints after the answer: nothing to send
                    break;
                case "-X":
                    method = tokens[++i];
                    break;
                case "-H":
                    var header = tokens[++i];
                    var colon = header.IndexOf(':', StringComparison.Ordinal);
                    headers.Add((header[..colon].Trim(), header[(colon + 1)..].Trim()));
                    break;
                case "-d":
                    body = tokens[++i];
                    method = method == "GET" ? "POST" : method;
                    break;
                case var t when t.StartsWith("http", StringComparison.Ordinal):
                    url = t;
                    break;
                default:
                    throw new ShouldAssertException($"curl option '{tokens[i]}' is not understood: {command}");
            }
        }
        url.ShouldNotBeNull(command);
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
        }
        foreach (var (name, value) in headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.ShouldNotBeNull(command);
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        var response = await Http.SendAsync(client, request);
        response.Code.ShouldBeInRange(200, 299, $"{command}\n{response.Raw}");
        return response;
    }

    /// <summary>Shell words: single quotes literal, double quotes with <c>\"</c> escapes; a variable is marked for <see cref="Expand"/>.</summary>
    private static List<string> Tokens(string command)
    {
        var tokens = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (c == ' ' && word.Length >= 0)
            {
                if (inWord)
                {
                    tokens.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            if (c == '\'')
            {
                var end = command.IndexOf('\'', i + 1);
                // Single-quoted: literal, so a '$' in it is escaped from expansion.
                word.Append(command[(i + 1)..end].Replace("$", "\u0001", StringComparison.Ordinal));
                i = end;
            }
            else if (c == '"')
            {
                for (i++; command[i] != '"'; i++)
                {
                    if (command[i] == '\\' && i + 1 < command.Length && command[i + 1] is '"' or '\\' or '$')
                    {
                        i++;
                    }
                    word.Append(command[i]);
                }
            }
            else
            {
                word.Append(c);
            }
        }
        if (inWord)
        {
            tokens.Add(word.ToString());
        }
        return tokens;
    }

    private static string Expand(string word, Dictionary<string, string> variables) =>
        Variable().Replace(word, m => variables.TryGetValue(m.Groups[1].Value, out var v)
            ? v : throw new ShouldAssertException($"${m.Groups[1].Value} is used before it is set")).Replace("\u0001", "$", StringComparison.Ordinal);


    [GeneratedRegex(@"^(?:export )?([A-Z_]+)=(.*)$")]
    private static partial Regex Assignment();

    [GeneratedRegex(@"^\$\((curl .*?) \| (grep .*)\)$")]
    private static partial Regex CommandSubstitution();

    [GeneratedRegex("""grep -o '"(\w+)":"\[\^"\]\*"'""")]
    private static partial Regex FieldOf();

    [GeneratedRegex(@"\$([A-Z_]+)")]
    private static partial Regex Variable();
}
