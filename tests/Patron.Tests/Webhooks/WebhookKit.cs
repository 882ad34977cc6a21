using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Patron.Webhooks;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>Shared steps of the webhook tests.</summary>
public static class WebhookKit
{
    public const string Endpoints = "/api/v1/webhook_endpoints";

    /// <summary>
    /// A server whose webhooks may reach the test receiver on 127.0.0.1. With <paramref name="manual"/>,
    /// no background dispatcher runs: the test makes every pass itself with <see cref="DispatchAsync"/>.
    /// </summary>
    public static Task<PatronServer> StartServerAsync(
        string database, TimeProvider? clock = null, bool manual = true, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Patron:Webhooks:AllowPrivateTargets"] = "true",
            ["Patron:Webhooks:Dispatcher"] = manual ? "false" : "true",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            settings[k] = v;
        }
        return PatronServer.StartAsync(database, clock, settings);
    }

    public static WebhookDispatcher Dispatcher(this PatronServer server) => server.App.Services.GetRequiredService<WebhookDispatcher>();

    /// <summary>One dispatcher pass: every due delivery attempted once and its outcome written.</summary>
    public static Task<int> DispatchAsync(this PatronServer server) => server.Dispatcher().RunOnceAsync();

    public static async Task<(string Id, string Secret)> CreateEndpointAsync(
        this HttpClient client, string url, string[]? events = null, bool? enabled = null)
    {
        var body = new Dictionary<string, object> { ["url"] = url };
        if (events is not null)
        {
            body["events"] = events;
        }
        if (enabled is not null)
        {
            body["enabled"] = enabled;
        }
        var created = await client.PostJsonAsync(Endpoints, body);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return (created.Str("id"), created.Str("secret"));
    }

    public static async Task<List<JsonElement>> DeliveriesAsync(this HttpClient client, string endpointId, string query = "")
    {
        var all = new List<JsonElement>();
        for (var page = 1; ; page++)
        {
            var list = await client.GetJsonAsync($"{Endpoints}/{endpointId}/deliveries?limit=100&page={page}{query}");
            list.Status.ShouldBe(HttpStatusCode.OK, list.Raw);
            all.AddRange(list["data"].EnumerateArray());
            if (!list["has_more"].GetBoolean())
            {
                return all;
            }
        }
    }

    public static async Task<string> CustomerAsync(this HttpClient client, string email)
    {
        var created = await client.PostJsonAsync("/api/v1/customers", new { email });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return created.Str("id");
    }

    /// <summary>Writes an event straight into the outbox, as every module does inside its own write.</summary>
    public static Task<string> EmitAsync(this PatronServer server, string type, object data) =>
        server.WritePath.RunAsync(context => Events.AddAsync(context, server.ProgramId, type, data));

    public static DateTimeOffset? Time(JsonElement e) =>
        e.ValueKind == JsonValueKind.Null ? null : DateTimeOffset.Parse(e.GetString()!, CultureInfo.InvariantCulture);

    /// <summary>
    /// Checks both signatures of a received delivery against docs/WEBHOOKS.md computing the HMACs here
    /// rather than through Patron's own helper, so that a mistake shared by signer and helper cannot pass.
    /// </summary>
    public static void ShouldBeSignedAsSpecified(this WebhookReceiver.Received request, string secret, long expectedTimestamp)
    {
        var id = request.Header("webhook-id");
        var timestamp = request.Header("webhook-timestamp");
        timestamp.ShouldBe(expectedTimestamp.ToString(CultureInfo.InvariantCulture));

        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        key.Length.ShouldBe(32);
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(request.Body).ToArray();
        var standard = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
        request.Header("webhook-signature").ShouldBe(standard);

        var stripeSigned = Encoding.UTF8.GetBytes($"{timestamp}.").Concat(request.Body).ToArray();
        var hex = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), stripeSigned));
        request.Header("Patron-Signature").ShouldBe($"t={timestamp},v1={hex}");
    }
}
