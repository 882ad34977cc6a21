using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Patron.Webhooks;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>
/// SSRF (docs/WEBHOOKS.md and docs/SECURITY.md): loopback, private, link-local and metadata targets are refused at
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
                await using var db = await PatronDb.ForAsync(context, server.ProgramId);
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

    /// <summary>
    /// Forms next to the refused <c>::ffff:127.0.0.1</c> and <c>64:ff9b::7f00:1</c> that reach no
    /// public host either: the IPv4-translated form of 127.0.0.1 and the local-use NAT64 prefix.
    /// </summary>
    [Theory, DatabaseData]
    public async Task IPv4_translated_and_local_use_NAT64_targets_are_refused_at_registration(string database)
    {
        // Default settings (no private targets), and no dispatcher: nothing here may be sent.
        await using var server = await PatronServer.StartAsync(database, settings: new Dictionary<string, string>
        {
            ["Patron:Webhooks:Dispatcher"] = "false",
        });
        foreach (var url in new[] { "https://[::ffff:0:7f00:1]/hook", "https://[64:ff9b:1::7f00:1]/hook", "https://[64:ff9b:1::808:808]/hook" })
        {
            var refused = await server.Client.PostJsonAsync(WebhookKit.Endpoints, new { url });
            refused.Status.ShouldBe(HttpStatusCode.UnprocessableEntity, $"{url}: {refused.Raw}");
            refused.ErrorCode.ShouldBe("url_not_allowed", url);
        }
        (await server.Client.GetJsonAsync(WebhookKit.Endpoints))["total_count"].GetInt32().ShouldBe(0);
    }

    /// <summary>
    /// Addresses against the IANA IPv4 and IPv6 Special-Purpose Address Registries: a block that is
    /// not globally reachable is refused (loopback and private ones only unless allowed), a globally
    /// reachable entry inside such a block is not, and IPv4 addresses inside IPv6 ones (mapped,
    /// translated, NAT64, 6to4, Teredo) are judged as the IPv4 address they carry.
    /// </summary>
    [Theory]
    // Public, including registry entries marked globally reachable.
    [InlineData("8.8.8.8", TargetKind.Public)]
    [InlineData("93.184.215.14", TargetKind.Public)]
    [InlineData("192.0.0.9", TargetKind.Public)]           // Port Control Protocol anycast, inside 192.0.0.0/24
    [InlineData("192.0.0.10", TargetKind.Public)]          // TURN anycast
    [InlineData("192.31.196.1", TargetKind.Public)]        // AS112-v4
    [InlineData("192.52.193.1", TargetKind.Public)]        // AMT
    [InlineData("192.175.48.1", TargetKind.Public)]        // AS112 direct delegation
    [InlineData("172.32.0.1", TargetKind.Public)]
    [InlineData("2606:4700:4700::1111", TargetKind.Public)]
    [InlineData("::ffff:8.8.8.8", TargetKind.Public)]
    [InlineData("64:ff9b::808:808", TargetKind.Public)]    // NAT64 of 8.8.8.8
    [InlineData("2002:808:808::1", TargetKind.Public)]     // 6to4 of 8.8.8.8
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7", TargetKind.Public)] // Teredo: server 65.54.227.120, client 8.8.8.8
    [InlineData("2001:1::1", TargetKind.Public)]           // PCP anycast, inside 2001::/23
    [InlineData("2001:3::1", TargetKind.Public)]           // AMT
    [InlineData("2001:4:112::1", TargetKind.Public)]       // AS112-v6
    [InlineData("2001:20::1", TargetKind.Public)]          // ORCHIDv2
    [InlineData("2620:4f:8000::1", TargetKind.Public)]     // AS112 direct delegation
    // IPv4 blocks that are not globally reachable.
    [InlineData("0.0.0.0", TargetKind.Unspecified)]
    [InlineData("0.1.2.3", TargetKind.Unspecified)]        // "this network"
    [InlineData("10.1.2.3", TargetKind.Private)]
    [InlineData("100.64.0.1", TargetKind.Private)]
    [InlineData("127.0.0.1", TargetKind.Loopback)]
    [InlineData("169.254.1.1", TargetKind.LinkLocal)]
    [InlineData("169.254.169.254", TargetKind.Metadata)]
    [InlineData("172.31.255.255", TargetKind.Private)]
    [InlineData("192.0.0.1", TargetKind.Reserved)]         // IETF protocol assignments
    [InlineData("192.0.0.8", TargetKind.Reserved)]         // IPv4 dummy address
    [InlineData("192.0.0.170", TargetKind.Reserved)]       // NAT64/DNS64 discovery
    [InlineData("192.0.2.1", TargetKind.Reserved)]
    [InlineData("192.88.99.1", TargetKind.Reserved)]       // deprecated 6to4 relay anycast
    [InlineData("192.168.1.1", TargetKind.Private)]
    [InlineData("198.19.255.1", TargetKind.Reserved)]      // benchmarking
    [InlineData("198.51.100.1", TargetKind.Reserved)]
    [InlineData("203.0.113.1", TargetKind.Reserved)]
    [InlineData("224.0.0.251", TargetKind.Reserved)]       // multicast
    [InlineData("240.0.0.1", TargetKind.Reserved)]
    [InlineData("255.255.255.255", TargetKind.Reserved)]
    // IPv6 blocks that are not globally reachable.
    [InlineData("::", TargetKind.Unspecified)]
    [InlineData("::1", TargetKind.Loopback)]
    [InlineData("::7f00:1", TargetKind.Reserved)]          // IPv4-compatible, deprecated
    [InlineData("64:ff9b:1::808:808", TargetKind.Reserved)] // local-use NAT64
    [InlineData("100::1", TargetKind.Reserved)]            // discard-only
    [InlineData("100:0:0:1::1", TargetKind.Reserved)]      // dummy prefix
    [InlineData("2001:2::1", TargetKind.Reserved)]         // benchmarking, inside 2001::/23
    [InlineData("2001:10::1", TargetKind.Reserved)]        // deprecated ORCHID
    [InlineData("2001:db8::1", TargetKind.Reserved)]
    [InlineData("3fff::1", TargetKind.Reserved)]           // documentation
    [InlineData("5f00::1", TargetKind.Reserved)]           // SRv6 SIDs
    [InlineData("4000::1", TargetKind.Reserved)]           // outside the global unicast space 2000::/3
    [InlineData("fc00::1", TargetKind.Private)]
    [InlineData("fd12:3456::1", TargetKind.Private)]
    [InlineData("fec0::1", TargetKind.Private)]            // deprecated site-local
    [InlineData("fe80::1", TargetKind.LinkLocal)]
    [InlineData("ff02::1", TargetKind.Reserved)]           // multicast
    [InlineData("fd00:ec2::254", TargetKind.Metadata)]
    // IPv4 inside IPv6: judged as the IPv4 address.
    [InlineData("::ffff:127.0.0.1", TargetKind.Loopback)]  // IPv4-mapped
    [InlineData("::ffff:a9fe:a9fe", TargetKind.Metadata)]
    [InlineData("::ffff:0:7f00:1", TargetKind.Loopback)]   // IPv4-translated
    [InlineData("::ffff:0:a00:1", TargetKind.Private)]
    [InlineData("64:ff9b::7f00:1", TargetKind.Loopback)]   // NAT64 well-known prefix
    [InlineData("64:ff9b::a9fe:a9fe", TargetKind.Metadata)]
    [InlineData("64:ff9b:1::7f00:1", TargetKind.Reserved)] // local-use NAT64 is refused whatever it carries
    [InlineData("2002:7f00:1::1", TargetKind.Loopback)]    // 6to4
    [InlineData("2002:c0a8:101::1", TargetKind.Private)]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", TargetKind.Reserved)] // Teredo, client 192.0.2.45
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe", TargetKind.Loopback)] // Teredo, client 127.0.0.1
    [InlineData("2001:0:a00:1:8000:63bf:f7f7:f7f7", TargetKind.Private)]      // Teredo, server 10.0.0.1
    public void Addresses_are_classified_by_the_IANA_special_purpose_registries(string address, TargetKind kind)
    {
        WebhookTargets.Classify(IPAddress.Parse(address)).ShouldBe(kind, address);
        WebhookTargets.IsAllowed(kind, allowPrivate: false).ShouldBe(kind == TargetKind.Public);
    }
}
