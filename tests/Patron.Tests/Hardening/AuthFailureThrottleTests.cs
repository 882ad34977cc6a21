using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Hardening;

/// <summary>
/// Wrong API keys are throttled per client address (docs/SECURITY.md): after
/// <c>Patron:AuthThrottle:MaxFailures</c> 401s in a window, every <c>/api/</c> request from that
/// address, with a correct key too, gets 429 with <c>Retry-After</c> until the window ends.
/// </summary>
public sealed class AuthFailureThrottleTests
{
    private const string V1 = "/api/v1";

    private static Dictionary<string, string> Throttle(int failures, int seconds) => new()
    {
        ["Patron:AuthThrottle:MaxFailures"] = failures.ToString(CultureInfo.InvariantCulture),
        ["Patron:AuthThrottle:WindowSeconds"] = seconds.ToString(CultureInfo.InvariantCulture),
    };

    [Theory, DatabaseData]
    public async Task After_repeated_401s_an_address_gets_429_with_Retry_After_even_with_a_correct_key_until_the_window_ends(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock, Throttle(failures: 4, seconds: 60));
        var wrong = server.ClientWithKey("sk_" + new string('x', 40));
        var none = server.ClientWithKey(null);

        // Four failures of every kind are answered as usual: a wrong key, no key, a malformed header, a revoked key.
        (await wrong.GetJsonAsync($"{V1}/program")).ErrorCode.ShouldBe("invalid_api_key");
        clock.Advance(TimeSpan.FromSeconds(5));
        (await none.GetJsonAsync($"{V1}/program")).ErrorCode.ShouldBe("missing_api_key");
        (await none.SendRawAsync(HttpMethod.Get, $"{V1}/program", null, headers: new Dictionary<string, string> { ["Authorization"] = "Basic abc" }))
            .ErrorCode.ShouldBe("invalid_api_key");
        var revoked = await server.Client.PostJsonAsync($"{V1}/api_keys", new { scope = "read" });
        (await server.Client.DeleteJsonAsync($"{V1}/api_keys/{revoked.Str("id")}")).Code.ShouldBe(200);
        (await server.ClientWithKey(revoked.Str("secret")).GetJsonAsync($"{V1}/program")).ErrorCode.ShouldBe("api_key_revoked");

        // The fifth is refused without looking at the key, as is the correct key from the same address.
        var throttled = await wrong.GetJsonAsync($"{V1}/program");
        throttled.Code.ShouldBe(429, throttled.Raw);
        throttled.ErrorType.ShouldBe("rate_limit_error");
        throttled.ErrorCode.ShouldBe("too_many_failed_authentications");
        var retryAfter = int.Parse(throttled.Header("Retry-After")!, CultureInfo.InvariantCulture);
        retryAfter.ShouldBe(55, "the window opened with the first failure, five seconds ago");
        throttled["error"].GetProperty("retry_after").GetInt32().ShouldBe(retryAfter);

        var correct = await server.Client.PostJsonAsync($"{V1}/customers", new { email = "while.throttled@example.com" });
        correct.Code.ShouldBe(429, correct.Raw);
        correct.ErrorCode.ShouldBe("too_many_failed_authentications");

        // Routes outside /api/ need no key and are not throttled.
        (await none.GetJsonAsync("/healthz")).Code.ShouldBe(200);

        // Another address is not affected, neither its correct key nor its own first failure.
        using var elsewhere = From(server, IPAddress.Parse("127.0.0.2"), server.AdminKey);
        (await elsewhere.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200);
        using var elsewhereWrong = From(server, IPAddress.Parse("127.0.0.2"), "sk_wrong");
        (await elsewhereWrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);

        // Later in the window: still refused, with a shorter wait.
        clock.Advance(TimeSpan.FromSeconds(30));
        var later = await server.Client.GetJsonAsync($"{V1}/program");
        later.Code.ShouldBe(429);
        int.Parse(later.Header("Retry-After")!, CultureInfo.InvariantCulture).ShouldBe(25);

        // Once the window has passed, the address starts afresh.
        clock.Advance(TimeSpan.FromSeconds(26));
        (await server.Client.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200);
        (await server.Client.GetJsonAsync($"{V1}/customers/while.throttled@example.com")).Code.ShouldBe(404, "the throttled write did not happen");
        (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);
    }

    [Theory, DatabaseData]
    public async Task A_correct_key_in_between_does_not_reset_the_count_of_failures(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock, Throttle(failures: 3, seconds: 60));
        var wrong = server.ClientWithKey("sk_" + new string('y', 40));

        // Wrong, right, wrong, right, wrong: the third failure counts as the third.
        for (var i = 0; i < 2; i++)
        {
            (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);
            (await server.Client.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200);
        }
        (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);

        (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(429);
        (await server.Client.GetJsonAsync($"{V1}/program")).Code.ShouldBe(429);
    }

    [Theory, DatabaseData]
    public async Task With_MaxFailures_0_wrong_keys_are_never_throttled(string database)
    {
        await using var server = await PatronServer.StartAsync(database, settings: Throttle(failures: 0, seconds: 60));
        var wrong = server.ClientWithKey("sk_" + new string('z', 40));

        for (var i = 0; i < 30; i++)
        {
            (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);
        }
        (await server.Client.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200);
    }

    [Fact]
    public async Task The_default_throttles_after_20_failures_a_minute()
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite, clock);
        var wrong = server.ClientWithKey("sk_" + new string('w', 40));

        for (var i = 0; i < 20; i++)
        {
            (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401, $"failure {i + 1}");
        }
        var throttled = await wrong.GetJsonAsync($"{V1}/program");
        throttled.Code.ShouldBe(429);
        throttled.Header("Retry-After").ShouldBe("60");
    }

    /// <summary>A client whose connections leave from <paramref name="local"/> (any 127.x address reaches the server).</summary>
    private static HttpClient From(PatronServer server, IPAddress local, string key)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
