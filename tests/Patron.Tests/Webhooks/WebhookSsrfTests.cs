using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Patron.Webhooks;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>
/// SSRF (SPEC sections 4 and 7): loopback, private, link-local and metadata targets are refused at
/// registration and at delivery unless <c>Patron:Webhooks:AllowPrivateTargets</c> is true, and
/// even then link-local and metadata addresses stay refused. No test here sends anything anywhere
/// but 127.0.0.1.
/// </summary>
public sealed class WebhookSsrfTests
{
    private static readonly string[] Refused =
    [
        "https://127.0.0.1/hook",
        "https://127.8.9.10:8443/hook",
        "https://localhost/hook",
        "https://api.localhost/hook",
        "https://10.0.0.1/hook",
        "https://172.16.5.4/hook",
        "https://192.168.1.1/hook",
        "https://100.64.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://169.254.10.20/hook",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:a9fe:a9fe]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://[fc00::1]/hook",
        "https://[fe80::1]/hook",
        "https://0x7f.0.0.1/hook",
        "https://2130706433/hook",
        "https://017700000001/hook",
        "https://224.0.0.1/hook",
        "https://192.0.2.10/hook",
    ];

    [Theory, DatabaseData]
    public async Task A_private_address_target_is_refused_at_registration_by_default(string database)
    {
        // No dispatcher: nothing in this test may ever be sent.
        await using var server = await PatronServer.StartAsync(database, settings: new Dictionary<string, string>
        {
            ["Patron:Webhooks:Dispatcher"] = "false",
        });

        foreach (var url in Refused)
        {
            var refused = await server.Client.PostJsonAsync(WebhookKit.Endpoints, new { url });
            refused.Status.ShouldBe(HttpStatusCode.UnprocessableEntity, $"{url}: {refused.Raw}");
            refused.ErrorCode.ShouldBe("url_not_allowed", url);
            refused["error"].GetProperty("param").GetString().ShouldBe("url");
        }
        foreach (var url in new[] { "ftp://example.com/hook", "not a url", "/relative", "https://user:pw@example.com/hook", "https://example.com/hook#x" })
        {
            var invalid = await server.Client.PostJsonAsync(WebhookKit.Endpoints, new { url });
            invalid.Status.ShouldBe(HttpStatusCode.UnprocessableEntity, url);
            invalid.ErrorCode.ShouldBe("parameter_invalid", url);
        }
        // Plain http is refused for any target unless private targets are allowed (then: loopback only).
        (await server.Client.PostJsonAsync(WebhookKit.Endpoints, new { url = "http://93.184.215.14/hook" })).ErrorCode.ShouldBe("url_not_allowed");
        (await server.Client.PostJsonAsync(WebhookKit.Endpoints, new { url = "" })).ErrorCode.ShouldBe("parameter_missing");

        // Changing the url of an existing endpoint is checked the same way.
        var ok = await server.Client.PostJsonAsync(WebhookKit.Endpoints, new { url = "https://93.184.215.14/hook" });
        ok.Status.ShouldBe(HttpStatusCode.Created, ok.Raw);
        var patched = await server.Client.PatchJsonAsync($"{WebhookKit.Endpoints}/{ok.Str("id")}", new { url = "https://[::1]:9/x" });
        patched.ErrorCode.ShouldBe("url_not_allowed");
        (await server.Client.GetJsonAsync($"{WebhookKit.Endpoints}/{ok.Str("id")}")).Str("url").ShouldBe("https://93.184.215.14/hook");
        (await server.Client.GetJsonAsync(WebhookKit.Endpoints))["total_count"].GetInt32().ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task With_private_targets_allowed_loopback_and_private_pass_but_link_local_and_metadata_never_do(string database)
    {
        await using var server = await WebhookKit.StartServerAsync(database);
        foreach (var url in new[] { "http://127.0.0.1:9/hook", "http://localhost:9/hook", "https://10.1.2.3/hook", "http://[::1]:9/hook" })
        {
            var created = await server.Client.PostJsonAsync(WebhookKit.Endpoints, new { url });
            created.Status.ShouldBe(HttpStatusCode.Created, $"{url}: {created.Raw}");
            (await server.Client.DeleteJsonAsync($"{WebhookKit.Endpoints}/{created.Str("id")}")).Code.ShouldBe(200);
        }
        foreach (var url in new[] { "https://169.254.169.254/", "https://[fd00:ec2::254]/", "https://100.100.100.200/", "https://[fe80::1]/", "http://10.1.2.3/hook" })
        {
            (await server.Client.PostJsonAsync(WebhookKit.Endpoints, new { url })).ErrorCode.ShouldBe("url_not_allowed", url);
        }
    }

    /// <summary>
    /// A target that passed registration but now resolves to a refused address (DNS rebinding, or a
    /// setting changed since) is refused again when connecting: the receiver on 127.0.0.1 hears nothing.
    /// </summary>
    [Theory, DatabaseData]
    public async Task A_private_address_target_is_refused_at_delivery_by_default(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await PatronServer.StartAsync(database, settings: new Dictionary<string, string>
        {
            ["Patron:Webhooks:Dispatcher"] = "false",
        });
        var secrets = server.App.Services.GetRequiredService<WebhookSecrets>();
        var port = receiver.BaseAddress.Port;
        var endpoints = new[] { $"http://127.0.0.1:{port}/hook", $"http://localhost:{port}/hook" };
        foreach (var url in endpoints)
        {
            // Written as registration would have, bypassing its check.
            await server.WritePath.RunAsync(async context =>
            {
                var id = Patron.Domain.Ids.New("we_");
                await using var db = PatronDb.For(context, server.ProgramId);
                db.WebhookEndpoints.Add(new WebhookEndpointRow
                {
                    Id = id,
                    ProgramId = server.ProgramId,
                    Url = url,
                    Events = "[\"*\"]",
                    Secret = secrets.Protect(id, WebhookSignature.NewSecret()),
                    CreatedAt = context.NowMs,
                    UpdatedAt = context.NowMs,
                });
                await db.SaveChangesAsync();
                return id;
            });
        }
        await server.Client.CustomerAsync("ssrf@example.com");

        (await server.DispatchAsync()).ShouldBe(2);

        receiver.Requests.ShouldBeEmpty();
        var list = await server.Client.GetJsonAsync(WebhookKit.Endpoints);
        foreach (var endpoint in list["data"].EnumerateArray())
        {
            var delivery = (await server.Client.DeliveriesAsync(endpoint.GetProperty("id").GetString()!)).Single();
            delivery.GetProperty("status").GetString().ShouldBe("pending");
            delivery.GetProperty("attempts").GetInt32().ShouldBe(1);
            delivery.GetProperty("last_status_code").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
            delivery.GetProperty("last_error").GetString()!.ShouldStartWith("Refused:");
            delivery.GetProperty("last_error").GetString()!.ShouldContain("loopback");
        }
    }

    [Fact]
    public void Addresses_are_classified_as_the_rules_need()
    {
        var cases = new Dictionary<string, TargetKind>
        {
            ["8.8.8.8"] = TargetKind.Public,
            ["93.184.215.14"] = TargetKind.Public,
            ["2606:4700:4700::1111"] = TargetKind.Public,
            ["127.0.0.1"] = TargetKind.Loopback,
            ["127.255.255.254"] = TargetKind.Loopback,
            ["::1"] = TargetKind.Loopback,
            ["::ffff:127.0.0.1"] = TargetKind.Loopback,
            ["10.255.0.1"] = TargetKind.Private,
            ["172.16.0.1"] = TargetKind.Private,
            ["172.31.255.255"] = TargetKind.Private,
            ["172.32.0.1"] = TargetKind.Public,
            ["192.168.0.1"] = TargetKind.Private,
            ["100.64.0.1"] = TargetKind.Private,
            ["fd12:3456::1"] = TargetKind.Private,
            ["169.254.1.1"] = TargetKind.LinkLocal,
            ["fe80::1"] = TargetKind.LinkLocal,
            ["169.254.169.254"] = TargetKind.Metadata,
            ["::ffff:169.254.169.254"] = TargetKind.Metadata,
            ["fd00:ec2::254"] = TargetKind.Metadata,
            ["100.100.100.200"] = TargetKind.Metadata,
            ["0.0.0.0"] = TargetKind.Unspecified,
            ["::"] = TargetKind.Unspecified,
            ["224.0.0.251"] = TargetKind.Reserved,
            ["255.255.255.255"] = TargetKind.Reserved,
            ["2001:db8::1"] = TargetKind.Reserved,
            ["64:ff9b::7f00:1"] = TargetKind.Loopback,
            ["64:ff9b::808:808"] = TargetKind.Public,
            ["2002:c0a8:0101::1"] = TargetKind.Private,
        };
        foreach (var (address, kind) in cases)
        {
            WebhookTargets.Classify(IPAddress.Parse(address)).ShouldBe(kind, address);
        }
        WebhookTargets.IsAllowed(TargetKind.Public, allowPrivate: false).ShouldBeTrue();
        WebhookTargets.IsAllowed(TargetKind.Loopback, allowPrivate: false).ShouldBeFalse();
        WebhookTargets.IsAllowed(TargetKind.Private, allowPrivate: false).ShouldBeFalse();
        WebhookTargets.IsAllowed(TargetKind.Loopback, allowPrivate: true).ShouldBeTrue();
        WebhookTargets.IsAllowed(TargetKind.Private, allowPrivate: true).ShouldBeTrue();
        WebhookTargets.IsAllowed(TargetKind.LinkLocal, allowPrivate: true).ShouldBeFalse();
        WebhookTargets.IsAllowed(TargetKind.Metadata, allowPrivate: true).ShouldBeFalse();
    }
}
