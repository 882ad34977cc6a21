using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Patron.Domain;
using Patron.Tests.Infrastructure;
using Patron.Webhooks;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>
/// What a receiver gets (docs/WEBHOOKS.md): one signed POST per event and subscribed endpoint, the
/// event as <c>GET /events/{id}</c> shows it, both signatures verifiable with the endpoint secret.
/// The dispatcher is driven by hand after moving a manual clock.
/// </summary>
public sealed class WebhookDeliveryTests
{
    [Theory, DatabaseData]
    public async Task Every_event_type_reaches_a_subscribed_endpoint_signed_both_ways_as_docs_WEBHOOKS_describes(string database)
    {
        var clock = new ManualClock();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhookKit.StartServerAsync(database, clock);
        var (endpointId, secret) = await server.Client.CreateEndpointAsync(receiver.Url());

        // Events from the API itself ...
        var customer = await server.Client.CustomerAsync("ada@example.com");
        (await server.Client.PatchJsonAsync($"/api/v1/customers/{customer}", new { first_name = "Ada" })).Code.ShouldBe(200);
        (await server.Client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = 25 })).Code.ShouldBe(201);
        // ... and one of every type in docs/API.md written to the outbox the way every module writes its events.
        foreach (var type in EventTypes.All)
        {
            await server.EmitAsync(type, new { @object = "test", customer_id = customer, about = type });
        }
        var events = await server.Client.GetJsonAsync("/api/v1/events?limit=100");
        var emitted = events["data"].EnumerateArray().ToDictionary(e => e.GetProperty("id").GetString()!, e => e);
        emitted.Count.ShouldBeGreaterThanOrEqualTo(3 + EventTypes.All.Count);

        var attempts = await server.DispatchAsync();

        attempts.ShouldBe(emitted.Count);
        var received = receiver.Requests;
        received.Count.ShouldBe(emitted.Count);
        received.Select(r => r.EventId).ToHashSet().SetEquals(emitted.Keys).ShouldBeTrue();
        received.Select(r => r.EventType).Distinct().Count().ShouldBe(EventTypes.All.Count);
        var now = clock.GetUtcNow();
        foreach (var request in received)
        {
            request.Method.ShouldBe("POST");
            request.Path.ShouldBe("/hook");
            request.Header("Content-Type").ShouldStartWith("application/json");
            request.ShouldBeSignedAsSpecified(secret, now.ToUnixTimeSeconds());

            var body = request.Json;
            var evt = emitted[request.EventId];
            body.GetProperty("id").GetString().ShouldBe(request.EventId);
            request.EventId.ShouldStartWith("evt_");
            body.GetProperty("object").GetString().ShouldBe("event");
            body.GetProperty("type").GetString().ShouldBe(evt.GetProperty("type").GetString());
            body.GetProperty("created_at").GetString()!.ShouldMatch(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$");
            body.GetProperty("created_at").GetString().ShouldBe(evt.GetProperty("created_at").GetString());
            JsonElement.DeepEquals(body.GetProperty("data"), evt.GetProperty("data")).ShouldBeTrue(request.Text);
            body.EnumerateObject().Select(p => p.Name).ShouldBe(["id", "object", "type", "created_at", "data"]);

            // The public helper accepts it, through either scheme alone ...
            WebhookSignature.Verify(secret, request.Headers, request.Body, TimeSpan.FromMinutes(5), now).ShouldBeTrue();
            WebhookSignature.VerifyStandard(secret, request.Header("webhook-id"), request.Header("webhook-timestamp"),
                request.Header("webhook-signature"), request.Body, TimeSpan.FromMinutes(5), now).ShouldBeTrue();
            WebhookSignature.VerifyPatron(secret, request.Header("Patron-Signature"), request.Body, TimeSpan.FromMinutes(5), now).ShouldBeTrue();
            // ... and refuses a changed body, another secret, and a replay after the tolerance.
            var tampered = request.Body.ToArray();
            tampered[^2] ^= 1;
            WebhookSignature.Verify(secret, request.Headers, tampered, TimeSpan.FromMinutes(5), now).ShouldBeFalse();
            WebhookSignature.Verify(WebhookSignature.NewSecret(), request.Headers, request.Body, TimeSpan.FromMinutes(5), now).ShouldBeFalse();
            WebhookSignature.Verify(secret, request.Headers, request.Body, TimeSpan.FromMinutes(5), now.AddMinutes(6)).ShouldBeFalse();
        }

        var log = await server.Client.DeliveriesAsync(endpointId);
        log.Count.ShouldBe(emitted.Count);
        foreach (var delivery in log)
        {
            delivery.GetProperty("object").GetString().ShouldBe("webhook_delivery");
            delivery.GetProperty("id").GetString().ShouldStartWith("whd_");
            delivery.GetProperty("endpoint_id").GetString().ShouldBe(endpointId);
            delivery.GetProperty("status").GetString().ShouldBe("succeeded");
            delivery.GetProperty("attempts").GetInt32().ShouldBe(1);
            delivery.GetProperty("last_status_code").GetInt32().ShouldBe(200);
            delivery.GetProperty("last_error").ValueKind.ShouldBe(JsonValueKind.Null);
            delivery.GetProperty("next_attempt_at").ValueKind.ShouldBe(JsonValueKind.Null);
            WebhookKit.Time(delivery.GetProperty("completed_at")).ShouldBe(now);
            emitted[delivery.GetProperty("event_id").GetString()!].GetProperty("type").GetString()
                .ShouldBe(delivery.GetProperty("event_type").GetString());
        }

        // Nothing more is due: a second pass sends nothing.
        (await server.DispatchAsync()).ShouldBe(0);
        receiver.Requests.Count.ShouldBe(emitted.Count);
    }

    [Theory, DatabaseData]
    public async Task An_endpoint_gets_only_the_types_it_subscribed_to_and_a_disabled_endpoint_gets_nothing(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhookKit.StartServerAsync(database);
        var (all, _) = await server.Client.CreateEndpointAsync(receiver.Url("/all"), ["*"]);
        var (points, _) = await server.Client.CreateEndpointAsync(receiver.Url("/points"), ["points.created"]);
        var (off, _) = await server.Client.CreateEndpointAsync(receiver.Url("/off"), enabled: false);

        var customer = await server.Client.CustomerAsync("grace@example.com");
        (await server.Client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = 10 })).Code.ShouldBe(201);
        (await server.Client.PatchJsonAsync($"/api/v1/customers/{customer}", new { last_name = "Hopper" })).Code.ShouldBe(200);
        await server.DispatchAsync();

        Types(receiver, "/all").ShouldBe(["customer.created", "customer.updated", "points.created"], ignoreOrder: true);
        Types(receiver, "/points").ShouldBe(["points.created"]);
        Types(receiver, "/off").ShouldBeEmpty();
        (await server.Client.DeliveriesAsync(points)).Count.ShouldBe(1);
        (await server.Client.DeliveriesAsync(off)).ShouldBeEmpty();
        (await server.Client.DeliveriesAsync(all)).Count.ShouldBe(3);

        // A changed subscription applies to the next events; enabling an endpoint delivers what comes after.
        (await server.Client.PatchJsonAsync($"{WebhookKit.Endpoints}/{points}", new Dictionary<string, object> { ["events"] = (string[])["customer.updated"] })).Code.ShouldBe(200);
        (await server.Client.PatchJsonAsync($"{WebhookKit.Endpoints}/{off}", new { enabled = true })).Code.ShouldBe(200);
        (await server.Client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = 5 })).Code.ShouldBe(201);
        (await server.Client.PatchJsonAsync($"/api/v1/customers/{customer}", new { first_name = "Grace" })).Code.ShouldBe(200);
        await server.DispatchAsync();

        Types(receiver, "/points").ShouldBe(["points.created", "customer.updated"]);
        Types(receiver, "/off").ShouldBe(["points.created", "customer.updated"], ignoreOrder: true);
        Types(receiver, "/all").Count.ShouldBe(5);
    }

    private static List<string> Types(WebhookReceiver receiver, string path) =>
        receiver.Requests.Where(r => r.Path == path).OrderBy(r => r.Number).Select(r => r.EventType).ToList();

    [Theory, DatabaseData]
    public async Task A_receiver_that_fails_twice_then_succeeds_gets_the_event_on_the_third_try(string database)
    {
        var clock = new ManualClock();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (request, http) =>
        {
            http.Response.StatusCode = request.Number switch { 1 => 500, 2 => 503, _ => 204 };
            return Task.CompletedTask;
        };
        await using var server = await WebhookKit.StartServerAsync(database, clock);
        var (endpointId, secret) = await server.Client.CreateEndpointAsync(receiver.Url());
        await server.Client.CustomerAsync("retry@example.com");

        (await server.DispatchAsync()).ShouldBe(1);
        var first = (await server.Client.DeliveriesAsync(endpointId)).Single();
        first.GetProperty("status").GetString().ShouldBe("pending");
        first.GetProperty("attempts").GetInt32().ShouldBe(1);
        first.GetProperty("last_status_code").GetInt32().ShouldBe(500);
        first.GetProperty("last_error").GetString().ShouldBe("HTTP 500");
        var wait = WebhookKit.Time(first.GetProperty("next_attempt_at"))!.Value - WebhookKit.Time(first.GetProperty("last_attempt_at"))!.Value;
        wait.ShouldBeInRange(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6)); // about 5 s, with jitter

        // Not due yet: nothing is sent however often the dispatcher runs.
        (await server.DispatchAsync()).ShouldBe(0);
        clock.Advance(TimeSpan.FromSeconds(3));
        (await server.DispatchAsync()).ShouldBe(0);

        clock.Advance(TimeSpan.FromSeconds(3));
        (await server.DispatchAsync()).ShouldBe(1);
        var second = (await server.Client.DeliveriesAsync(endpointId)).Single();
        second.GetProperty("attempts").GetInt32().ShouldBe(2);
        second.GetProperty("last_status_code").GetInt32().ShouldBe(503);
        wait = WebhookKit.Time(second.GetProperty("next_attempt_at"))!.Value - WebhookKit.Time(second.GetProperty("last_attempt_at"))!.Value;
        wait.ShouldBeInRange(TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(6)); // about 5 min

        clock.Advance(TimeSpan.FromMinutes(6));
        (await server.DispatchAsync()).ShouldBe(1);
        var third = (await server.Client.DeliveriesAsync(endpointId)).Single();
        third.GetProperty("status").GetString().ShouldBe("succeeded");
        third.GetProperty("attempts").GetInt32().ShouldBe(3);
        third.GetProperty("last_status_code").GetInt32().ShouldBe(204);
        third.GetProperty("last_error").ValueKind.ShouldBe(JsonValueKind.Null);

        var requests = receiver.Requests.OrderBy(r => r.Number).ToList();
        requests.Count.ShouldBe(3);
        requests.Select(r => r.EventId).Distinct().Count().ShouldBe(1); // the same webhook-id every time, for dedupe
        var start = new ManualClock().GetUtcNow();
        requests[0].ShouldBeSignedAsSpecified(secret, start.ToUnixTimeSeconds());
        requests[1].ShouldBeSignedAsSpecified(secret, start.AddSeconds(6).ToUnixTimeSeconds());
        requests[2].ShouldBeSignedAsSpecified(secret, start.AddSeconds(6).AddMinutes(6).ToUnixTimeSeconds());
        requests.Select(r => r.Text).Distinct().Count().ShouldBe(1);

        clock.Advance(TimeSpan.FromDays(2));
        (await server.DispatchAsync()).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_delivery_that_never_succeeds_follows_the_retry_schedule_is_marked_failed_and_can_be_retried_by_hand(string database)
    {
        var clock = new ManualClock();
        await using var receiver = await WebhookReceiver.StartAsync();
        var healthy = false;
        receiver.Respond = (_, http) =>
        {
            http.Response.StatusCode = Volatile.Read(ref healthy) ? 200 : 500;
            return Task.CompletedTask;
        };
        await using var server = await WebhookKit.StartServerAsync(database, clock);
        var (endpointId, _) = await server.Client.CreateEndpointAsync(receiver.Url());
        await server.Client.CustomerAsync("never@example.com");

        var expected = new[]
        {
            TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
            TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
        };
        JsonElement delivery = default;
        for (var attempt = 1; attempt <= 8; attempt++)
        {
            (await server.DispatchAsync()).ShouldBe(1, $"attempt {attempt}");
            delivery = (await server.Client.DeliveriesAsync(endpointId)).Single();
            delivery.GetProperty("attempts").GetInt32().ShouldBe(attempt);
            if (attempt == 8)
            {
                break;
            }
            delivery.GetProperty("status").GetString().ShouldBe("pending");
            var last = WebhookKit.Time(delivery.GetProperty("last_attempt_at"))!.Value;
            var next = WebhookKit.Time(delivery.GetProperty("next_attempt_at"))!.Value;
            (next - last).ShouldBeInRange(expected[attempt - 1] * 0.8, expected[attempt - 1] * 1.2, $"after attempt {attempt}");
            // Just before it is due nothing happens; at the due time the next attempt goes out.
            clock.Advance(next - clock.GetUtcNow() - TimeSpan.FromMilliseconds(1));
            (await server.DispatchAsync()).ShouldBe(0);
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        delivery.GetProperty("status").GetString().ShouldBe("failed");
        delivery.GetProperty("next_attempt_at").ValueKind.ShouldBe(JsonValueKind.Null);
        WebhookKit.Time(delivery.GetProperty("completed_at")).ShouldBe(clock.GetUtcNow());
        receiver.Requests.Count.ShouldBe(8);
        clock.Advance(TimeSpan.FromDays(1));
        (await server.DispatchAsync()).ShouldBe(0);
        (await server.Client.GetJsonAsync($"{WebhookKit.Endpoints}/{endpointId}/deliveries?status=failed"))["total_count"].GetInt32().ShouldBe(1);

        // A manual retry makes it due at once; the receiver is fixed, so it succeeds.
        Volatile.Write(ref healthy, true);
        var id = delivery.GetProperty("id").GetString();
        var retried = await server.Client.PostJsonAsync($"/api/v1/webhook_deliveries/{id}/retry");
        retried.Status.ShouldBe(HttpStatusCode.OK, retried.Raw);
        retried.Str("status").ShouldBe("pending");
        (await server.DispatchAsync()).ShouldBe(1);
        var done = await server.Client.GetJsonAsync($"/api/v1/webhook_deliveries/{id}");
        done.Str("status").ShouldBe("succeeded");
        done.Long("attempts").ShouldBe(9);
        receiver.Requests.Count.ShouldBe(9);
    }

    [Theory, DatabaseData]
    public async Task An_endpoint_failing_for_five_days_straight_is_disabled_and_a_success_restarts_the_count(string database)
    {
        var clock = new ManualClock();
        await using var receiver = await WebhookReceiver.StartAsync();
        var healthy = false;
        receiver.Respond = (_, http) =>
        {
            http.Response.StatusCode = Volatile.Read(ref healthy) ? 200 : 500;
            return Task.CompletedTask;
        };
        await using var server = await WebhookKit.StartServerAsync(database, clock);
        var (endpointId, _) = await server.Client.CreateEndpointAsync(receiver.Url());
        var start = clock.GetUtcNow();
        var n = 0;

        async Task<ApiResponse> EventThenDispatchAt(TimeSpan sinceStart)
        {
            clock.Advance(start + sinceStart - clock.GetUtcNow());
            await server.Client.CustomerAsync($"c{n++}@example.com");
            await server.DispatchAsync();
            return await server.Client.GetJsonAsync($"{WebhookKit.Endpoints}/{endpointId}");
        }

        var endpoint = await EventThenDispatchAt(TimeSpan.Zero);
        WebhookKit.Time(endpoint["failing_since"]).ShouldBe(start);
        endpoint = await EventThenDispatchAt(TimeSpan.FromDays(2));
        WebhookKit.Time(endpoint["failing_since"]).ShouldBe(start);

        // Day 4: one success ends the streak.
        Volatile.Write(ref healthy, true);
        endpoint = await EventThenDispatchAt(TimeSpan.FromDays(4));
        endpoint["failing_since"].ValueKind.ShouldBe(JsonValueKind.Null);
        Volatile.Write(ref healthy, false);

        endpoint = await EventThenDispatchAt(TimeSpan.FromDays(4.5));
        WebhookKit.Time(endpoint["failing_since"]).ShouldBe(start.AddDays(4.5));
        endpoint = await EventThenDispatchAt(TimeSpan.FromDays(9.4)); // 4.9 days of failure: still enabled
        endpoint["enabled"].GetBoolean().ShouldBeTrue();
        endpoint = await EventThenDispatchAt(TimeSpan.FromDays(9.6)); // 5.1 days
        endpoint["enabled"].GetBoolean().ShouldBeFalse();
        endpoint.Str("disabled_reason").ShouldBe("failing");

        // Disabled: new events make no deliveries for it, and nothing is sent.
        var before = receiver.Requests.Count;
        var logBefore = (await server.Client.DeliveriesAsync(endpointId)).Count;
        await server.Client.CustomerAsync("after@example.com");
        clock.Advance(TimeSpan.FromDays(1));
        (await server.DispatchAsync()).ShouldBe(0);
        receiver.Requests.Count.ShouldBe(before);
        (await server.Client.DeliveriesAsync(endpointId)).Count.ShouldBe(logBefore);

        // Enabled again: the streak starts afresh and its pending deliveries go out.
        Volatile.Write(ref healthy, true);
        var enabled = await server.Client.PatchJsonAsync($"{WebhookKit.Endpoints}/{endpointId}", new { enabled = true });
        enabled["enabled"].GetBoolean().ShouldBeTrue();
        enabled["disabled_reason"].ValueKind.ShouldBe(JsonValueKind.Null);
        enabled["failing_since"].ValueKind.ShouldBe(JsonValueKind.Null);
        (await server.DispatchAsync()).ShouldBeGreaterThan(0);
        (await server.Client.GetJsonAsync($"{WebhookKit.Endpoints}/{endpointId}"))["failing_since"].ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory, DatabaseData]
    public async Task A_redirect_is_not_followed(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (request, http) =>
        {
            if (request.Path == "/hook")
            {
                http.Response.StatusCode = 307;
                http.Response.Headers.Location = receiver.Url("/landing");
            }
            return Task.CompletedTask;
        };
        await using var server = await WebhookKit.StartServerAsync(database);
        var (endpointId, _) = await server.Client.CreateEndpointAsync(receiver.Url("/hook"));
        await server.Client.CustomerAsync("redirect@example.com");

        (await server.DispatchAsync()).ShouldBe(1);

        receiver.Requests.Select(r => r.Path).ShouldBe(["/hook"]);
        var delivery = (await server.Client.DeliveriesAsync(endpointId)).Single();
        delivery.GetProperty("status").GetString().ShouldBe("pending");
        delivery.GetProperty("last_status_code").GetInt32().ShouldBe(307);
        delivery.GetProperty("last_error").GetString()!.ShouldContain("redirects are not followed");
    }

    [Theory, DatabaseData]
    public async Task A_customer_erased_before_delivery_is_delivered_redacted(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhookKit.StartServerAsync(database);
        await server.Client.CreateEndpointAsync(receiver.Url(), ["customer.created"]);
        var customer = await server.Client.CustomerAsync("erase.me@example.com");
        (await server.Client.DeleteJsonAsync($"/api/v1/customers/{customer}")).Code.ShouldBe(200);

        await server.DispatchAsync();

        var delivered = receiver.Requests.Single();
        delivered.Text.ShouldNotContain("erase.me");
        delivered.Json.GetProperty("data").GetProperty("id").GetString().ShouldBe(customer);
    }
}
