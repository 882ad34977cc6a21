using Microsoft.Extensions.Configuration;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Hardening;

/// <summary>
/// <c>X-Forwarded-For</c> changes the client address (the one the failed-authentication throttle
/// counts by) only on connections from a proxy named in <c>Patron:ForwardedHeaders</c>
/// (docs/OPERATIONS.md). The test clients connect from 127.0.0.1.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private const string V1 = "/api/v1";
    private const string WrongKey = "sk_wrong_wrong_wrong_wrong_wrong_wrong";

    private static Dictionary<string, string> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["Patron:AuthThrottle:MaxFailures"] = "2",
            ["Patron:AuthThrottle:WindowSeconds"] = "600",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return settings;
    }

    private static HttpClient Forwarding(PatronServer server, string? key, string? forwardedFor)
    {
        var client = server.ClientWithKey(key);
        if (forwardedFor is not null)
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        }
        return client;
    }

    [Theory, DatabaseData]
    public async Task Without_configured_proxies_X_Forwarded_For_does_not_change_the_throttled_address(string database)
    {
        await using var server = await PatronServer.StartAsync(database, settings: Settings());

        var wrong = Forwarding(server, WrongKey, "203.0.113.7");
        (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);
        (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);

        // The failures were counted for 127.0.0.1, the connection's address: another forwarded
        // address does not escape the throttle, and the correct key from 127.0.0.1 is refused too.
        var other = await Forwarding(server, server.AdminKey, "198.51.100.9").GetJsonAsync($"{V1}/program");
        other.Code.ShouldBe(429, other.Raw);
        other.ErrorCode.ShouldBe("too_many_failed_authentications");
        (await server.Client.GetJsonAsync($"{V1}/program")).Code.ShouldBe(429);
    }

    [Theory, DatabaseData]
    public async Task A_configured_proxy_forwards_the_client_address_that_is_throttled(string database)
    {
        await using var server = await PatronServer.StartAsync(database,
            settings: Settings(("Patron:ForwardedHeaders:KnownProxies", "127.0.0.1")));

        var wrong = Forwarding(server, WrongKey, "203.0.113.7");
        (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);
        (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);

        // 203.0.113.7 is throttled, with its correct key too...
        var throttled = await Forwarding(server, server.AdminKey, "203.0.113.7").GetJsonAsync($"{V1}/program");
        throttled.Code.ShouldBe(429, throttled.Raw);
        throttled.ErrorCode.ShouldBe("too_many_failed_authentications");

        // ...but neither another client behind the same proxy nor the proxy itself.
        (await Forwarding(server, server.AdminKey, "198.51.100.9").GetJsonAsync($"{V1}/program")).Code.ShouldBe(200);
        (await server.Client.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200);
    }

    [Theory, DatabaseData]
    public async Task A_client_cannot_choose_its_address_by_sending_X_Forwarded_For_through_the_proxy(string database)
    {
        await using var server = await PatronServer.StartAsync(database,
            settings: Settings(("Patron:ForwardedHeaders:KnownNetworks:0", "127.0.0.0/8")));

        // The proxy appends the address it saw (203.0.113.7) to what the client sent: the client is
        // the rightmost address that is not a configured proxy, whatever it wrote to the left.
        (await Forwarding(server, WrongKey, "10.9.9.1, 203.0.113.7").GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);
        (await Forwarding(server, WrongKey, "10.9.9.2, 203.0.113.7, 127.0.0.9").GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);

        (await Forwarding(server, server.AdminKey, "10.9.9.3, 203.0.113.7").GetJsonAsync($"{V1}/program")).Code.ShouldBe(429);
        (await Forwarding(server, server.AdminKey, "203.0.113.8").GetJsonAsync($"{V1}/program")).Code.ShouldBe(200);
    }

    [Theory, DatabaseData]
    public async Task Headers_from_an_address_that_is_not_a_configured_proxy_are_ignored(string database)
    {
        // Loopback is not trusted implicitly: only the configured proxy is.
        await using var server = await PatronServer.StartAsync(database,
            settings: Settings(("Patron:ForwardedHeaders:KnownProxies", "10.1.2.3")));

        var wrong = Forwarding(server, WrongKey, "203.0.113.7");
        (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);
        (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);

        (await Forwarding(server, server.AdminKey, "198.51.100.9").GetJsonAsync($"{V1}/program")).Code.ShouldBe(429);
    }

    [Fact]
    public void An_address_that_does_not_parse_stops_the_start_with_the_setting_named()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Patron:ForwardedHeaders:KnownNetworks"] = "10.0.0.0/99" })
            .Build();
        var error = Should.Throw<InvalidOperationException>(() => ProxyHeaders.Options(configuration));
        error.Message.ShouldContain("Patron:ForwardedHeaders:KnownNetworks");
        error.Message.ShouldContain("10.0.0.0/99");

        ProxyHeaders.Options(new ConfigurationBuilder().Build()).ShouldBeNull("off unless configured");
    }
}
