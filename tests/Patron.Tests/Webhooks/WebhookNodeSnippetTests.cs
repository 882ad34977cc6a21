using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>
/// The Node.js verification snippet in docs/WEBHOOKS.md, run by Node against a real delivery: the
/// documentation cannot drift from what Patron sends.
/// </summary>
public sealed class WebhookNodeSnippetTests
{
    private const string Marker = "<!-- verified-snippet: node -->";

    private const string Driver = """

        let input = "";
        process.stdin.on("data", (d) => (input += d)).on("end", () => {
          const { secret, headers, body } = JSON.parse(input);
          const raw = Buffer.from(body, "base64");
          const tampered = Buffer.concat([raw, Buffer.from(" ")]);
          const other = "whsec_" + Buffer.alloc(32, 7).toString("base64");
          console.log(JSON.stringify({
            standard: verifyStandardWebhook(secret, headers, raw),
            patron: verifyPatronSignature(secret, headers["patron-signature"], raw),
            tamperedStandard: verifyStandardWebhook(secret, headers, tampered),
            tamperedPatron: verifyPatronSignature(secret, headers["patron-signature"], tampered),
            otherSecretStandard: verifyStandardWebhook(other, headers, raw),
            otherSecretPatron: verifyPatronSignature(other, headers["patron-signature"], raw),
          }));
        });
        """;

    [Fact]
    public async Task The_documented_Node_snippet_verifies_both_signatures_of_a_real_delivery()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhookKit.StartServerAsync(TestDatabases.Sqlite);
        var (_, secret) = await server.Client.CreateEndpointAsync(receiver.Url());
        await server.Client.CustomerAsync("node@example.com");
        (await server.DispatchAsync()).ShouldBe(1);
        var delivery = receiver.Requests.Single();

        var script = Path.Combine(Path.GetTempPath(), $"patron-verify-{Guid.NewGuid():N}.js");
        await File.WriteAllTextAsync(script, Snippet() + Driver, TestContext.Current.CancellationToken);
        try
        {
            var input = JsonSerializer.Serialize(new
            {
                secret,
                headers = delivery.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value),
                body = Convert.ToBase64String(delivery.Body),
            });
            var output = await RunNodeAsync(script, input);
            using var result = JsonDocument.Parse(output);
            var r = result.RootElement;
            r.GetProperty("standard").GetBoolean().ShouldBeTrue(output);
            r.GetProperty("patron").GetBoolean().ShouldBeTrue(output);
            r.GetProperty("tamperedStandard").GetBoolean().ShouldBeFalse(output);
            r.GetProperty("tamperedPatron").GetBoolean().ShouldBeFalse(output);
            r.GetProperty("otherSecretStandard").GetBoolean().ShouldBeFalse(output);
            r.GetProperty("otherSecretPatron").GetBoolean().ShouldBeFalse(output);
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>The first ```js block after the marker in docs/WEBHOOKS.md.</summary>
    private static string Snippet()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "docs", "WEBHOOKS.md")))
        {
            dir = dir.Parent;
        }
        dir.ShouldNotBeNull("docs/WEBHOOKS.md is not above the test assembly");
        var doc = File.ReadAllText(Path.Combine(dir.FullName, "docs", "WEBHOOKS.md"));
        var at = doc.IndexOf(Marker, StringComparison.Ordinal);
        at.ShouldBeGreaterThan(0, "the verified-snippet marker is missing from docs/WEBHOOKS.md");
        var start = doc.IndexOf("```js\n", at, StringComparison.Ordinal) + "```js\n".Length;
        var end = doc.IndexOf("\n```", start, StringComparison.Ordinal);
        return doc[start..end];
    }

    private static async Task<string> RunNodeAsync(string script, string input)
    {
        var start = new ProcessStartInfo("node", [script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var node = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        await node.StandardInput.WriteAsync(input);
        node.StandardInput.Close();
        var output = node.StandardOutput.ReadToEndAsync();
        var error = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await node.WaitForExitAsync(timeout.Token);
        node.ExitCode.ShouldBe(0, await error);
        return (await output).Trim();
    }
}
