using System.Diagnostics;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>docs/WEBHOOKS.md: a 2xx within 10 s is success; a receiver that says nothing for longer fails the attempt.</summary>
public sealed class WebhookTimeoutTests
{
    [Theory, DatabaseData]
    public async Task An_attempt_without_an_answer_within_10_seconds_fails_and_is_retried(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = async (request, http) =>
        {
            if (request.Number == 1)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(20), http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                }
            }
        };
        var clock = new ManualClock();
        await using var server = await WebhookKit.StartServerAsync(database, clock);
        var (endpointId, _) = await server.Client.CreateEndpointAsync(receiver.Url());
        await server.Client.CustomerAsync("slow@example.com");

        var watch = Stopwatch.StartNew();
        (await server.DispatchAsync()).ShouldBe(1);
        watch.Elapsed.ShouldBeInRange(TimeSpan.FromSeconds(9.5), TimeSpan.FromSeconds(15));

        var delivery = (await server.Client.DeliveriesAsync(endpointId)).Single();
        delivery.GetProperty("status").GetString().ShouldBe("pending");
        delivery.GetProperty("last_status_code").ValueKind.ShouldBe(JsonValueKind.Null);
        delivery.GetProperty("last_error").GetString().ShouldBe("No answer within 10 s.");
        delivery.GetProperty("last_response_time_ms").GetInt32().ShouldBeInRange(9_500, 15_000);

        clock.Advance(TimeSpan.FromSeconds(7));
        (await server.DispatchAsync()).ShouldBe(1);
        var retried = (await server.Client.DeliveriesAsync(endpointId)).Single();
        retried.GetProperty("status").GetString().ShouldBe("succeeded");
        retried.GetProperty("attempts").GetInt32().ShouldBe(2);
        retried.GetProperty("last_response_time_ms").GetInt32().ShouldBeLessThan(5_000);
    }
}
