using System.Net;
using System.Text.RegularExpressions;
using Patron.Api;
using Patron.Domain;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>
/// The event types an endpoint can subscribe to are the ones Patron emits (docs/API.md, Events;
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

    /// <summary>For each event type, the action that emits it, done through the API as a client would.</summary>
    private static readonly Dictionary<string, Func<PatronServer, ManualClock, Task>> Actions = new()
    {
        [EventTypes.CustomerCreated] = (server, _) => server.Client.CustomerAsync("created@example.com"),
        [EventTypes.CustomerUpdated] = async (server, _) =>
        {
            var customer = await server.Client.CustomerAsync("updated@example.com");
            await OkAsync(server.Client.PatchJsonAsync($"/api/v1/customers/{customer}", new { first_name = "Ada" }));
        },
        [EventTypes.CustomerDeleted] = async (server, _) =>
        {
            var customer = await server.Client.CustomerAsync("deleted@example.com");
            await OkAsync(server.Client.DeleteJsonAsync($"/api/v1/customers/{customer}"));
        },
        [EventTypes.PointsCreated] = async (server, _) =>
        {
            var customer = await server.Client.CustomerAsync("points@example.com");
            await OkAsync(server.Client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = 25 }));
        },
        [EventTypes.PointsExpired] = async (server, clock) =>
        {
            await OkAsync(server.Client.PatchJsonAsync("/api/v1/program", new { points_expiry_days = 30 }));
            var customer = await server.Client.CustomerAsync("expired@example.com");
            await OkAsync(server.Client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = 25 }));
            clock.Advance(TimeSpan.FromDays(31));
            await server.RunJobsAsync();
        },
        [EventTypes.OrderUpdated] = async (server, _) =>
        {
            var customer = await server.Client.CustomerAsync("order@example.com");
            await OkAsync(server.Client.PostJsonAsync("/api/v1/orders", new { id = "ORD-1", customer_id = customer, total = 30m }));
        },
        [EventTypes.RedemptionCreated] = async (server, _) => await RedeemAsync(server),
        [EventTypes.RedemptionCancelled] = async (server, _) =>
        {
            var redemption = await RedeemAsync(server);
            await OkAsync(server.Client.PostJsonAsync($"/api/v1/redemptions/{redemption.Str("id")}/cancel"));
        },
        [EventTypes.VoucherUsed] = async (server, _) =>
        {
            var redemption = await RedeemAsync(server);
            await OkAsync(server.Client.PostJsonAsync($"/api/v1/vouchers/{redemption.Str("discount_code")}/use"));
        },
        [EventTypes.TierChanged] = async (server, _) =>
        {
            await OkAsync(server.Client.PostJsonAsync("/api/v1/vip_tiers", new { name = "Gold", points_required = 100 }));
            var customer = await server.Client.CustomerAsync("tier@example.com");
            await OkAsync(server.Client.PostJsonAsync($"/api/v1/customers/{customer}/points_transactions", new { points = 100 }));
        },
        [EventTypes.StampAdded] = (server, _) => StampsAsync(server, 1),
        [EventTypes.RewardEarned] = (server, _) => StampsAsync(server, 2),
        [EventTypes.RewardRedeemed] = async (server, _) =>
        {
            // Both ways a reward is redeemed: points spent on one, and a full stamp card's reward used.
            await RedeemAsync(server);
            await StampsAsync(server, 2);
            var stamped = await server.Client.GetJsonAsync("/api/v1/redemptions?status=issued");
            var code = stamped["data"].EnumerateArray().Single(r => r.GetProperty("source").GetString() == "stamps")
                .GetProperty("discount_code").GetString();
            await OkAsync(server.Client.PostJsonAsync($"/api/v1/vouchers/{code}/use"));
        },
        [EventTypes.ReferralCompleted] = async (server, _) =>
        {
            await OkAsync(server.Client.PatchJsonAsync("/api/v1/program", new
            {
                referral = new { referrer_points = 100, referee_points = 50, min_order_total = 20m },
            }));
            var referrer = await OkAsync(server.Client.PostJsonAsync("/api/v1/customers", new { email = "referrer@example.com" }));
            var referee = await OkAsync(server.Client.PostJsonAsync("/api/v1/customers",
                new { email = "referee@example.com", referred_by = referrer.Str("referral_code") }));
            await OkAsync(server.Client.PostJsonAsync("/api/v1/orders", new { id = "REF-1", customer_id = referee.Str("id"), total = 25m }));
            await OkAsync(server.Client.PostJsonAsync("/api/v1/orders/REF-1/paid"));
        },
        [EventTypes.GiftCardUpdated] = async (server, _) =>
        {
            var card = await OkAsync(server.Client.PostJsonAsync("/api/v1/gift_cards", new { initial_balance = 20m }));
            await OkAsync(server.Client.PostJsonAsync($"/api/v1/gift_cards/{card.Str("code")}/transactions", new { amount = -5m }));
        },
    };

    [Theory, EventTypeData]
    public async Task Every_event_type_reaches_an_endpoint_subscribed_to_it_when_its_action_happens(string type, string database)
    {
        Actions.ShouldContainKey(type, $"no action emits {type} in this test; add one");
        var clock = new ManualClock();
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhookKit.StartServerAsync(database, clock);
        var (endpointId, _) = await server.Client.CreateEndpointAsync(receiver.Url(), [type]);

        await Actions[type](server, clock);
        await server.DispatchAsync();

        var emitted = await server.Client.GetJsonAsync($"/api/v1/events?type={type}&limit=100");
        emitted.Status.ShouldBe(HttpStatusCode.OK, emitted.Raw);
        var ids = emitted["data"].EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
        ids.ShouldNotBeEmpty($"the action for {type} emitted no {type} event");
        var received = receiver.Requests;
        received.Select(r => r.EventType).Distinct().ShouldBe([type]);
        received.Select(r => r.EventId).ShouldBe(ids, ignoreOrder: true);
        var log = await server.Client.DeliveriesAsync(endpointId);
        log.Count.ShouldBe(ids.Count);
        log.ShouldAllBe(d => d.GetProperty("status").GetString() == "succeeded" && d.GetProperty("event_type").GetString() == type);
    }

    [Fact]
    public void The_event_types_in_docs_WEBHOOKS_md_are_the_ones_the_code_knows()
    {
        var documented = DocumentedEventTypes();

        documented.ShouldBeUnique();
        documented.ShouldBe(EventTypes.All, ignoreOrder: true);
    }

    [Theory, DatabaseData]
    public async Task Subscriptions_and_the_events_filter_refuse_unknown_types_and_name_the_known_ones(string database)
    {
        await using var server = await WebhookKit.StartServerAsync(database);

        var refused = await server.Client.PostJsonAsync(WebhookKit.Endpoints,
            new Dictionary<string, object> { ["url"] = "http://127.0.0.1:9/hook", ["events"] = (string[])["points.expire"] });
        refused.Status.ShouldBe(HttpStatusCode.UnprocessableEntity, refused.Raw);
        refused.ErrorCode.ShouldBe("parameter_invalid");
        refused["error"].GetProperty("param").GetString().ShouldBe("events");
        foreach (var type in EventTypes.All)
        {
            refused["error"].GetProperty("message").GetString()!.ShouldContain(type);
        }
        var every = await server.Client.PostJsonAsync(WebhookKit.Endpoints,
            new Dictionary<string, object> { ["url"] = "http://127.0.0.1:9/hook", ["events"] = EventTypes.All.ToArray() });
        every.Status.ShouldBe(HttpStatusCode.Created, every.Raw);
        every["events"].EnumerateArray().Select(e => e.GetString()).ShouldBe(EventTypes.All);

        var filter = await server.Client.GetJsonAsync("/api/v1/events?type=points.expire");
        filter.Status.ShouldBe(HttpStatusCode.UnprocessableEntity, filter.Raw);
        filter.ErrorCode.ShouldBe("parameter_invalid");
        filter["error"].GetProperty("param").GetString().ShouldBe("type");
        (await server.Client.GetJsonAsync("/api/v1/events?type=points.expired")).Long("total_count").ShouldBe(0);

        // The API description names every type for the webhook endpoints' events field and the events filter.
        var openApi = await server.Client.GetJsonAsync("/openapi/v1.json");
        openApi.Status.ShouldBe(HttpStatusCode.OK, openApi.Raw);
        var paths = openApi["paths"];
        var create = paths.EnumerateObject().Single(p => p.Name.TrimEnd('/') == "/api/v1/webhook_endpoints").Value.GetProperty("post");
        var list = paths.EnumerateObject().Single(p => p.Name.TrimEnd('/') == "/api/v1/events").Value.GetProperty("get");
        create.GetProperty("description").GetString().ShouldBe(WebhooksEndpoints.EventsDescription);
        foreach (var type in EventTypes.All)
        {
            create.GetProperty("description").GetString()!.ShouldContain($"`{type}`");
            list.GetProperty("description").GetString()!.ShouldContain($"`{type}`");
        }
    }

    /// <summary>The type names in the first column of the table under "## Events" in docs/WEBHOOKS.md.</summary>
    internal static List<string> DocumentedEventTypes()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "docs", "WEBHOOKS.md")))
        {
            dir = dir.Parent;
        }
        dir.ShouldNotBeNull("docs/WEBHOOKS.md is not above the test assembly");
        var lines = File.ReadAllLines(Path.Combine(dir.FullName, "docs", "WEBHOOKS.md"));
        var section = Array.IndexOf(lines, "## Events");
        section.ShouldBeGreaterThan(0, "docs/WEBHOOKS.md has no '## Events' section");
        var table = lines.Skip(section + 1).SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')).Skip(2).ToList();
        table.ShouldNotBeEmpty("the '## Events' section of docs/WEBHOOKS.md has no table");
        return [.. table.SelectMany(row => Regex.Matches(row.Split('|')[1], "`([^`]+)`").Select(m => m.Groups[1].Value))];
    }

    private static async Task<ApiResponse> RedeemAsync(PatronServer server)
    {
        var reward = await OkAsync(server.Client.PostJsonAsync("/api/v1/rewards", new { name = "Coffee", type = "custom", points_cost = 100 }));
        var customer = await OkAsync(server.Client.PostJsonAsync("/api/v1/customers", new { email = "redeemer@example.com", initial_points = 500 }));
        return await OkAsync(server.Client.PostJsonAsync($"/api/v1/customers/{customer.Str("id")}/redemptions", new { reward_id = reward.Str("id") }));
    }

    /// <summary>A card of two stamps: one stamp only adds it, two fill the card and earn its reward.</summary>
    private static async Task StampsAsync(PatronServer server, int stamps)
    {
        var reward = await OkAsync(server.Client.PostJsonAsync("/api/v1/rewards", new { name = "Free", type = "custom", points_cost = 0 }));
        await OkAsync(server.Client.PatchJsonAsync("/api/v1/program", new { stamps_required = 2, stamp_reward_id = reward.Str("id") }));
        var customer = await server.Client.CustomerAsync("stamps@example.com");
        await OkAsync(server.Client.PostJsonAsync($"/api/v1/customers/{customer}/stamps", new { stamps }));
    }

    private static async Task<ApiResponse> OkAsync(Task<ApiResponse> request)
    {
        var response = await request;
        ((int)response.Status).ShouldBeInRange(200, 299, response.Raw);
        return response;
    }
}
