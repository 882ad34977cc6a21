using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Patron.Webhooks;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>Webhook endpoints over HTTP (docs/API.md, Webhook endpoints): admin CRUD, secret once, tenancy.</summary>
public sealed class WebhookEndpointsApiTests
{
    private const string Endpoints = WebhookKit.Endpoints;

    [Theory, DatabaseData]
    public async Task An_admin_creates_reads_changes_and_deletes_an_endpoint_and_sees_the_secret_only_once(string database)
    {
        await using var server = await WebhookKit.StartServerAsync(database);

        var created = await server.Client.PostJsonAsync(Endpoints, new { url = "http://127.0.0.1:9/hook", description = "  CRM sync  " });

        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        created.Str("object").ShouldBe("webhook_endpoint");
        var id = created.Str("id");
        id.ShouldStartWith("we_");
        created.Str("url").ShouldBe("http://127.0.0.1:9/hook");
        created.Str("description").ShouldBe("CRM sync");
        created["events"].EnumerateArray().Select(e => e.GetString()).ShouldBe(["*"]);
        created["enabled"].GetBoolean().ShouldBeTrue();
        created["disabled_reason"].ValueKind.ShouldBe(JsonValueKind.Null);
        var secret = created.Str("secret");
        secret.ShouldStartWith("whsec_");
        Convert.FromBase64String(secret["whsec_".Length..]).Length.ShouldBe(32);
        created.Str("created_at").ShouldMatch(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$");

        var read = await server.Client.GetJsonAsync($"{Endpoints}/{id}");
        read.Status.ShouldBe(HttpStatusCode.OK);
        read.Body.TryGetProperty("secret", out _).ShouldBeFalse();
        read.Raw.ShouldNotContain(secret["whsec_".Length..]);
        var list = await server.Client.GetJsonAsync(Endpoints);
        list["total_count"].GetInt32().ShouldBe(1);
        list.Raw.ShouldNotContain(secret["whsec_".Length..]);

        // At rest the secret is encrypted (bound to its endpoint), never stored as is.
        var database_ = server.App.Services.GetRequiredService<Database>();
        var stored = (string)(await database_.ReadAsync(sql => sql.ScalarAsync("SELECT secret FROM webhook_endpoints WHERE id = @id", ("id", id))))!;
        stored.ShouldStartWith("v1:");
        stored.ShouldNotContain(secret["whsec_".Length..]);
        server.App.Services.GetRequiredService<WebhookSecrets>().Unprotect(id, stored).ShouldBe(secret);
        Should.Throw<System.Security.Cryptography.CryptographicException>(
            () => server.App.Services.GetRequiredService<WebhookSecrets>().Unprotect("we_other", stored));

        var patched = await server.Client.PatchJsonAsync($"{Endpoints}/{id}", new Dictionary<string, object>
        {
            ["url"] = "http://localhost:9/other",
            ["events"] = (string[])["points.created", "customer.created", "points.created"],
            ["description"] = "",
            ["enabled"] = false,
        });
        patched.Status.ShouldBe(HttpStatusCode.OK, patched.Raw);
        patched.Str("url").ShouldBe("http://localhost:9/other");
        patched["events"].EnumerateArray().Select(e => e.GetString()).ShouldBe(["points.created", "customer.created"]);
        patched["description"].ValueKind.ShouldBe(JsonValueKind.Null);
        patched["enabled"].GetBoolean().ShouldBeFalse();
        patched.Str("disabled_reason").ShouldBe("manual");
        patched.Body.TryGetProperty("secret", out _).ShouldBeFalse();

        // "*" among others means all of them.
        var all = await server.Client.PatchJsonAsync($"{Endpoints}/{id}", new Dictionary<string, object> { ["events"] = (string[])["points.created", "*"] });
        all["events"].EnumerateArray().Select(e => e.GetString()).ShouldBe(["*"]);

        var deleted = await server.Client.DeleteJsonAsync($"{Endpoints}/{id}");
        deleted.Status.ShouldBe(HttpStatusCode.OK);
        deleted.Str("object").ShouldBe("webhook_endpoint");
        deleted["deleted"].GetBoolean().ShouldBeTrue();
        (await server.Client.GetJsonAsync($"{Endpoints}/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.GetJsonAsync($"{Endpoints}/{id}/deliveries")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.DeleteJsonAsync($"{Endpoints}/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory, DatabaseData]
    public async Task Bad_input_is_refused_with_the_error_envelope(string database)
    {
        await using var server = await WebhookKit.StartServerAsync(database);
        const string url = "http://127.0.0.1:9/hook";

        (await server.Client.PostJsonAsync(Endpoints, new { })).ErrorCode.ShouldBe("parameter_missing");
        var unknown = await server.Client.PostJsonAsync(Endpoints, new Dictionary<string, object> { ["url"] = url, ["events"] = (string[])["points.made"] });
        unknown.Status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        unknown["error"].GetProperty("param").GetString().ShouldBe("events");
        (await server.Client.PostJsonAsync(Endpoints, new Dictionary<string, object> { ["url"] = url, ["events"] = Array.Empty<string>() }))
            .ErrorCode.ShouldBe("parameter_invalid");
        (await server.Client.PostJsonAsync(Endpoints, new { url, description = new string('x', 501) })).ErrorCode.ShouldBe("parameter_invalid");
        (await server.Client.PostJsonAsync(Endpoints, new { url, enabled = "yes" })).Status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await server.Client.PostJsonAsync(Endpoints, new { url = 42 })).Status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await server.Client.PostJsonAsync("/api/v1/webhook_deliveries/whd_missing/retry")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.GetJsonAsync("/api/v1/webhook_deliveries/whd_missing")).Status.ShouldBe(HttpStatusCode.NotFound);

        var (id, _) = await server.Client.CreateEndpointAsync(url);
        (await server.Client.GetJsonAsync($"{Endpoints}/{id}/deliveries?status=lost")).ErrorCode.ShouldBe("parameter_invalid");
        for (var i = 1; i < WebhooksEndpoints.MaxEndpointsPerProgram; i++)
        {
            await server.Client.CreateEndpointAsync(url);
        }
        (await server.Client.PostJsonAsync(Endpoints, new { url })).ErrorCode.ShouldBe("limit_exceeded");
    }

    [Theory, DatabaseData]
    public async Task Webhook_routes_need_the_admin_scope_and_never_cross_programs(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhookKit.StartServerAsync(database);
        var (id, _) = await server.Client.CreateEndpointAsync(receiver.Url());
        await server.Client.CustomerAsync("mine@example.com");
        await server.DispatchAsync();
        var delivery = (await server.Client.DeliveriesAsync(id)).Single().GetProperty("id").GetString();

        var writer = await server.ClientWithScopeAsync(Scope.Write);
        (await writer.GetJsonAsync(Endpoints)).ErrorCode.ShouldBe("insufficient_scope");
        (await writer.PostJsonAsync(Endpoints, new { url = receiver.Url() })).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await writer.GetJsonAsync($"{Endpoints}/{id}/deliveries")).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await writer.PostJsonAsync($"/api/v1/webhook_deliveries/{delivery}/retry")).Status.ShouldBe(HttpStatusCode.Forbidden);
        var reader = await server.ClientWithScopeAsync(Scope.Read);
        (await reader.GetJsonAsync($"{Endpoints}/{id}")).Status.ShouldBe(HttpStatusCode.Forbidden);

        var (_, other) = await server.CreateProgramAsync();
        (await other.GetJsonAsync($"{Endpoints}/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.GetJsonAsync($"{Endpoints}/{id}/deliveries")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.PatchJsonAsync($"{Endpoints}/{id}", new { enabled = false })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.DeleteJsonAsync($"{Endpoints}/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.GetJsonAsync($"/api/v1/webhook_deliveries/{delivery}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.PostJsonAsync($"/api/v1/webhook_deliveries/{delivery}/retry")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.GetJsonAsync(Endpoints))["total_count"].GetInt32().ShouldBe(0);

        // The other program's events never reach this program's endpoint.
        await other.PostJsonAsync("/api/v1/customers", new { email = "theirs@example.com" });
        (await server.DispatchAsync()).ShouldBe(0);
        receiver.Requests.Count.ShouldBe(1);
        (await server.Client.GetJsonAsync($"{Endpoints}/{id}"))["enabled"].GetBoolean().ShouldBeTrue();
    }

    [Theory, DatabaseData]
    public async Task A_retry_of_a_disabled_endpoints_delivery_is_refused_until_it_is_enabled(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await WebhookKit.StartServerAsync(database);
        var (id, _) = await server.Client.CreateEndpointAsync(receiver.Url());
        await server.Client.CustomerAsync("x@example.com");
        await server.DispatchAsync();
        var delivery = (await server.Client.DeliveriesAsync(id)).Single().GetProperty("id").GetString();

        await server.Client.PatchJsonAsync($"{Endpoints}/{id}", new { enabled = false });
        (await server.Client.PostJsonAsync($"/api/v1/webhook_deliveries/{delivery}/retry")).ErrorCode.ShouldBe("webhook_endpoint_disabled");

        await server.Client.PatchJsonAsync($"{Endpoints}/{id}", new { enabled = true });
        var retried = await server.Client.PostJsonAsync($"/api/v1/webhook_deliveries/{delivery}/retry");
        retried.Status.ShouldBe(HttpStatusCode.OK, retried.Raw);
        (await server.DispatchAsync()).ShouldBe(1);
        receiver.Requests.Count.ShouldBe(2);
        receiver.Requests.Select(r => r.EventId).Distinct().Count().ShouldBe(1);
    }
}
