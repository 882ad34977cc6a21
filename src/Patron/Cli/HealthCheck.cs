using System.CommandLine;

namespace Patron.Cli;

/// <summary>
/// <c>patron healthcheck</c>: asks a running server's <c>/readyz</c> (or another URL) and exits 0 when
/// it answers 200, 1 otherwise. For container health checks in images that have no curl.
/// </summary>
public static class HealthCheck
{
    public const string DefaultUrl = PatronApp.DefaultUrl + "/readyz";

    public static Command Command()
    {
        var url = new Option<string>("--url") { Description = $"The URL to ask (default {DefaultUrl})." };
        var timeout = new Option<int?>("--timeout") { Description = "Seconds to wait for the answer (default 5)." };
        var command = new Command("healthcheck", "Exit 0 when a running server answers its readiness URL with 200, 1 otherwise.") { url, timeout };
        command.SetAction(async (ParseResult parse, CancellationToken cancel) =>
        {
            var target = parse.GetValue(url) ?? DefaultUrl;
            if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                await Console.Error.WriteLineAsync($"--url must be an http or https URL, not '{target}'.");
                return 2;
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(timeout) ?? 5)) };
            try
            {
                using var response = await http.GetAsync(uri, cancel);
                var body = await response.Content.ReadAsStringAsync(cancel);
                Console.WriteLine($"{(int)response.StatusCode} {body}");
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Console.Error.WriteLineAsync($"No answer from {uri}: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
