using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>
/// The event types an endpoint can subscribe to are the ones Patron emits (SPEC section 3, Events;
/// docs/WEBHOOKS.md): each reaches an endpoint subscribed to it when its action happens.
/// </summary>
public sealed class WebhookEventTests
{
    [Theory, DatabaseData]
    public async Task An_endpoint_subscribed_to_points_expired_receives_it_when_points_expire(string database)
    {
        var clock = new ManualClock();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhookKit.StartServerAsync(database, clock);
        var program = await server.Client.PatchJsonAsync("/api/v1/program", new { points_expiry_days = 30 });
        program.Status.ShouldBe(HttpStatusCode.OK, program.Raw);
        var (endpointId, _) = await server.Client.CreateEndpointAsync(receiver.Url(), ["points.expired"]);
        var customer = await server.Client.CustomerAsync("expiring@example.com");
        var earned = await server.Client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = 70 });
        earned.Status.ShouldBe(HttpStatusCode.Created, earned.Raw);

        clock.Advance(TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1));
        await server.RunJobsAsync();
        await server.DispatchAsync();

        var delivered = receiver.Requests.ShouldHaveSingleItem();
        delivered.EventType.ShouldBe("points.expired");
        var data = delivered.Json.GetProperty("data");
        data.GetProperty("object").GetString().ShouldBe("points_transaction");
        data.GetProperty("customer_id").GetString().ShouldBe(customer);
        data.GetProperty("type").GetString().ShouldBe("expired");
        data.GetProperty("points").GetInt64().ShouldBe(-70);
        (await server.Client.DeliveriesAsync(endpointId)).ShouldHaveSingleItem().GetProperty("status").GetString().ShouldBe("succeeded");
        var events = await server.Client.GetJsonAsync("/api/v1/events?type=points.expired");
        events.Long("total_count").ShouldBe(1);
        events["data"][0].GetProperty("id").GetString().ShouldBe(delivered.EventId);
    }
}
