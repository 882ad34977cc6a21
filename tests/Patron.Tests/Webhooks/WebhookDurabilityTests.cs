using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>
/// Delivery survives crashes and shares work safely (docs/WEBHOOKS.md; section 1: any number of
/// instances on one PostgreSQL database): deliveries are written with their events, a SIGKILLed
/// process's claimed deliveries are taken over when their lease ends, and two processes never send
/// the same delivery at once.
/// </summary>
public sealed class WebhookDurabilityTests
{
    [Theory, DatabaseData]
    public async Task Events_written_before_a_SIGKILL_are_delivered_after_restart(string database)
    {
        const int count = 40;
        var dataDir = Path.Combine(Path.GetTempPath(), "patron-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        var databaseArgs = await TestDatabases.NewDatabaseArgsAsync(database, dataDir);
        var adminKey = "sk_test_" + Guid.NewGuid().ToString("N");
        var settings = new Dictionary<string, string>
        {
            ["Patron:Webhooks:AllowPrivateTargets"] = "true",
            ["Patron:Webhooks:TimeoutSeconds"] = "5",
            ["Patron:Webhooks:LeaseSeconds"] = "6",
            ["Patron:Webhooks:PollIntervalMs"] = "200",
        };

        // Until the crash the receiver takes requests but never answers: the first process holds
        // claimed deliveries in flight when it dies. After the crash it answers at once.
        var crashed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = new ConcurrentDictionary<string, int>();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = async (request, http) =>
        {
            if (!crashed.Task.IsCompleted)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                }
                http.Abort();
                return;
            }
            answered.AddOrUpdate(request.EventId, 1, (_, n) => n + 1);
        };

        try
        {
            string endpointId;
            var eventIds = new HashSet<string>();
            await using (var first = await PatronProcess.StartAsync(databaseArgs, adminKey, settings))
            {
                var created = await first.Client.PostJsonAsync(WebhookKit.Endpoints, new { url = receiver.Url() });
                created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
                endpointId = created.Str("id");
                var writes = Enumerable.Range(0, count).Select(i => first.Client.PostJsonAsync("/api/v1/customers", new { email = $"kill{i}@example.com" }));
                foreach (var response in await Task.WhenAll(writes))
                {
                    response.Status.ShouldBe(HttpStatusCode.Created, response.Raw);
                }
                // Some deliveries are in flight (claimed, unanswered) when the process is killed.
                await receiver.WaitForAsync(r => r.Count >= 1, TimeSpan.FromSeconds(30), "the first attempts");
                await first.KillAsync();
            }
            crashed.SetResult();
            var inFlightAtKill = receiver.Requests.Select(r => r.EventId).ToHashSet();
            inFlightAtKill.Count.ShouldBeGreaterThan(0);
            answered.ShouldBeEmpty();

            await using var second = await PatronProcess.StartAsync(databaseArgs, adminKey, settings);
            for (var page = 1; ; page++)
            {
                var list = await second.Client.GetJsonAsync($"/api/v1/events?type=customer.created&limit=100&page={page}");
                eventIds.UnionWith(list["data"].EnumerateArray().Select(e => e.GetProperty("id").GetString()!));
                if (!list["has_more"].GetBoolean())
                {
                    break;
                }
            }
            eventIds.Count.ShouldBe(count);

            await WebhookLoadTests.WaitAsync(() => Task.FromResult(answered.Count == count), $"all {count} events answered after the restart", 60);
            answered.Keys.ToHashSet().SetEquals(eventIds).ShouldBeTrue();
            // The deliveries the dead process had claimed were taken over once their lease ran out.
            inFlightAtKill.IsSubsetOf(answered.Keys).ShouldBeTrue();
            await WebhookLoadTests.WaitAsync(async () =>
                (await second.Client.GetJsonAsync($"{WebhookKit.Endpoints}/{endpointId}/deliveries?status=succeeded&limit=1"))["total_count"].GetInt32() == count,
                "every delivery recorded as succeeded");
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Theory, DatabaseData]
    public async Task Two_processes_on_one_database_share_the_deliveries_and_send_each_once(string database)
    {
        const int count = 300;
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, _) => Task.Delay(20);
        await using var a = await WebhookKit.StartServerAsync(database, manual: false,
            extra: new Dictionary<string, string> { ["Patron:Webhooks:PollIntervalMs"] = "100" });
        await using var b = await PatronProcess.StartAsync(a.DatabaseArgs, a.AdminKey, new Dictionary<string, string>
        {
            ["Patron:Webhooks:AllowPrivateTargets"] = "true",
            ["Patron:Webhooks:PollIntervalMs"] = "100",
        });
        var (endpointId, _) = await a.Client.CreateEndpointAsync(receiver.Url());

        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var client = w % 2 == 0 ? a.Client : b.Client;
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                (await client.PostJsonAsync("/api/v1/customers", new { email = $"two{i}@example.com" })).Status.ShouldBe(HttpStatusCode.Created);
            }
        })));

        await receiver.WaitForAsync(r => r.Select(x => x.EventId).Distinct().Count() == count, TimeSpan.FromSeconds(90), "every event");
        await WebhookLoadTests.WaitAsync(async () =>
            (await a.Client.GetJsonAsync($"{WebhookKit.Endpoints}/{endpointId}/deliveries?status=succeeded&limit=1"))["total_count"].GetInt32() == count,
            "every delivery recorded as succeeded");

        var requests = receiver.Requests;
        requests.Count.ShouldBe(count, "no event was sent twice");
        var byA = a.Dispatcher().AttemptsMade;
        byA.ShouldBeGreaterThan(0);
        byA.ShouldBeLessThan(count, "the other process delivered some too");
    }
}
