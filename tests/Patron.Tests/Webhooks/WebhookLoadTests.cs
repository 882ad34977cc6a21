using System.Diagnostics;
using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>
/// The background dispatcher under load, on the real clock: nothing is lost, and the bounded
/// per-endpoint concurrency keeps a slow receiver from holding up a fast one.
/// </summary>
public sealed class WebhookLoadTests
{
    private const int EventCount = 1000;
    private static readonly TimeSpan SlowAnswer = TimeSpan.FromMilliseconds(250);

    [Theory, DatabaseData]
    public async Task A_thousand_events_reach_a_slow_receiver_all_of_them_and_a_fast_receiver_is_not_held_up(string database)
    {
        await using var slow = await WebhookReceiver.StartAsync();
        slow.Respond = (_, http) => Task.Delay(SlowAnswer);
        await using var fast = await WebhookReceiver.StartAsync();
        await using var server = await WebhookKit.StartServerAsync(database, manual: false);
        var (slowId, _) = await server.Client.CreateEndpointAsync(slow.Url(), ["customer.created"]);
        var (fastId, _) = await server.Client.CreateEndpointAsync(fast.Url(), ["customer.created"]);

        var watch = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < EventCount; i = Interlocked.Increment(ref next))
            {
                var created = await server.Client.PostJsonAsync("/api/v1/customers", new { email = $"load{i}@example.com" });
                created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
            }
        })));
        var written = watch.Elapsed;

        await fast.WaitForAsync(r => Distinct(r) == EventCount, TimeSpan.FromSeconds(120), "the fast receiver to get every event");
        var fastDone = watch.Elapsed;
        var slowAtThatMoment = Distinct(slow.Requests);
        // The slow receiver cannot have them all yet: at 16 in flight and 250 ms each it takes at least 15.6 s.
        slowAtThatMoment.ShouldBeLessThan(EventCount, $"written in {written}, fast done at {fastDone}");

        await slow.WaitForAsync(r => Distinct(r) == EventCount, TimeSpan.FromSeconds(180), "the slow receiver to get every event");
        var slowDone = watch.Elapsed;
        slowDone.ShouldBeGreaterThan(fastDone);
        slow.MaxInFlight.ShouldBeLessThanOrEqualTo(16);
        slow.MaxInFlight.ShouldBeGreaterThan(1);

        // Exactly the events written, each once: nothing lost, nothing sent twice.
        var events = new HashSet<string>();
        for (var page = 1; ; page++)
        {
            var list = await server.Client.GetJsonAsync($"/api/v1/events?type=customer.created&limit=100&page={page}");
            events.UnionWith(list["data"].EnumerateArray().Select(e => e.GetProperty("id").GetString()!));
            if (!list["has_more"].GetBoolean())
            {
                break;
            }
        }
        events.Count.ShouldBe(EventCount);
        foreach (var receiver in new[] { slow, fast })
        {
            receiver.Requests.Count.ShouldBe(EventCount);
            receiver.Requests.Select(r => r.EventId).ToHashSet().SetEquals(events).ShouldBeTrue();
        }
        foreach (var endpoint in new[] { slowId, fastId })
        {
            await WaitAsync(async () =>
                (await server.Client.GetJsonAsync($"{WebhookKit.Endpoints}/{endpoint}/deliveries?status=succeeded&limit=1"))["total_count"].GetInt32() == EventCount,
                "every delivery recorded as succeeded");
            (await server.Client.GetJsonAsync($"{WebhookKit.Endpoints}/{endpoint}/deliveries?status=pending&limit=1"))["total_count"].GetInt32().ShouldBe(0);
        }
    }

    private static int Distinct(IReadOnlyList<WebhookReceiver.Received> requests) => requests.Select(r => r.EventId).Distinct().Count();

    internal static async Task WaitAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                throw new TimeoutException($"Waited {seconds} s for {what}.");
            }
            await Task.Delay(50);
        }
    }
}
