using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Hardening;

/// <summary>
/// Secrets shown once (API key secrets, webhook signing secrets, gift card codes) are kept for 24 hours
/// as the stored answer of an <c>Idempotency-Key</c>: that answer is encrypted at rest, so neither the
/// database files nor the table hold the secret in clear, and a replay still hands back the same answer.
/// </summary>
public sealed class SecretsAtRestTests
{
    private const string V1 = "/api/v1";

    [Theory, DatabaseData]
    public async Task Secrets_in_stored_idempotent_answers_are_not_in_the_database_in_clear_and_replay_unchanged(string database)
    {
        await using var server = await PatronServer.StartAsync(database, settings: new Dictionary<string, string>
        {
            ["Patron:Webhooks:AllowPrivateTargets"] = "true",
            ["Patron:Webhooks:Dispatcher"] = "false",
        });
        var requests = new (string Path, object Body, string Key, string Field)[]
        {
            ($"{V1}/api_keys", new { name = "Till 7", scope = "write" }, "key-once", "secret"),
            ($"{V1}/webhook_endpoints", new { url = "http://127.0.0.1:9/hook" }, "hook-once", "secret"),
            ($"{V1}/gift_cards", new { initial_balance = 25m }, "card-once", "code"),
        };

        var firsts = new List<ApiResponse>();
        foreach (var (path, body, key, field) in requests)
        {
            var first = await server.Client.PostJsonAsync(path, body, idempotencyKey: key);
            first.Code.ShouldBe(201, first.Raw);
            first.Str(field).Length.ShouldBeGreaterThan(12);
            firsts.Add(first);
        }
        var secrets = firsts.Select((r, i) => r.Str(requests[i].Field)).ToList();

        // The table holds one stored answer per request, and none holds its secret in clear.
        var stored = await server.App.Services.GetRequiredService<Database>().ReadAsync(sql =>
            sql.ListAsync("SELECT key, response FROM idempotency_keys", r => (Key: r.GetString(0), Response: (byte[])r.GetValue(1))));
        stored.Select(s => s.Key).Order().ShouldBe(["card-once", "hook-once", "key-once"]);
        foreach (var (key, response) in stored)
        {
            foreach (var secret in secrets)
            {
                Contains(response, secret).ShouldBeFalse($"the stored answer of '{key}' holds a secret in clear");
            }
        }

        // SQLite: nor do the database file and its write-ahead log, page by page.
        if (database == TestDatabases.Sqlite)
        {
            var files = Directory.GetFiles(server.DataDir, "patron.db*");
            files.ShouldContain(f => f.EndsWith("patron.db", StringComparison.Ordinal));
            foreach (var file in files)
            {
                var bytes = ReadShared(file);
                foreach (var secret in secrets)
                {
                    Contains(bytes, secret).ShouldBeFalse($"{Path.GetFileName(file)} holds a secret in clear");
                }
            }
        }

        // A retry replays the very same answer, secret included.
        for (var i = 0; i < requests.Length; i++)
        {
            var (path, body, key, field) = requests[i];
            var replay = await server.Client.PostJsonAsync(path, body, idempotencyKey: key);
            replay.Code.ShouldBe(201, replay.Raw);
            replay.Header("Idempotent-Replayed").ShouldBe("true");
            replay.Str(field).ShouldBe(secrets[i]);
            replay.Raw.ShouldBe(firsts[i].Raw);
        }

        // The replayed API key secret is a working key.
        var replayedKey = server.ClientWithKey(secrets[0]);
        (await replayedKey.GetJsonAsync($"{V1}/program")).Status.ShouldBe(HttpStatusCode.OK);
    }

    private static bool Contains(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
