using System.Globalization;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Api;

/// <summary>
/// docs/API.md: per-key rate limits with <c>RateLimit-*</c> headers, and 429 with <c>Retry-After</c>
/// and <c>retry_after</c> past the limit; <c>Patron:RateLimit:PerMinute</c> is the default for keys that set none.
/// </summary>
public sealed class RateLimitTests
{
    private const string V1 = "/api/v1";

    [Theory, DatabaseData]
    public async Task A_key_over_its_own_limit_gets_429_with_Retry_After_until_the_minute_has_passed(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        var limited = await server.ClientWithScopeAsync(Scope.Write, rateLimitPerMinute: 5);

        for (var i = 1; i <= 5; i++)
        {
            var response = await limited.GetJsonAsync($"{V1}/customers");
            response.Code.ShouldBe(200, $"request {i}: {response.Raw}");
            response.Header("RateLimit-Limit").ShouldBe("5");
            response.Header("RateLimit-Remaining").ShouldBe((5 - i).ToString(CultureInfo.InvariantCulture));
            Seconds(response, "RateLimit-Reset").ShouldBeInRange(1, 60);
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        // The sixth request in the minute is refused, and refused before it could write anything.
        var refused = await limited.PostJsonAsync($"{V1}/customers", new { email = "sixth@example.com" });
        refused.Code.ShouldBe(429, refused.Raw);
        refused.ErrorType.ShouldBe("rate_limit_error");
        refused["error"].GetProperty("code").GetString().ShouldNotBeNullOrEmpty();
        refused["error"].GetProperty("message").GetString().ShouldNotBeNullOrEmpty();
        var retryAfter = Seconds(refused, "Retry-After");
        retryAfter.ShouldBeInRange(1, 60);
        retryAfter.ShouldBeLessThanOrEqualTo(55, "five seconds of the window have passed");
        refused["error"].GetProperty("retry_after").GetInt32().ShouldBe(retryAfter);
        refused.Header("RateLimit-Limit").ShouldBe("5");
        refused.Header("RateLimit-Remaining").ShouldBe("0");
        (await server.Client.GetJsonAsync($"{V1}/customers/sixth@example.com")).Code.ShouldBe(404);

        // Still refused later in the same window, with a shorter wait; other keys are not affected.
        clock.Advance(TimeSpan.FromSeconds(30));
        var stillRefused = await limited.GetJsonAsync($"{V1}/program");
        stillRefused.Code.ShouldBe(429);
        Seconds(stillRefused, "Retry-After").ShouldBeLessThanOrEqualTo(retryAfter - 30);
        (await server.Client.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200);
        var neighbour = await server.ClientWithScopeAsync(Scope.Read, rateLimitPerMinute: 5);
        (await neighbour.GetJsonAsync($"{V1}/program")).Header("RateLimit-Remaining").ShouldBe("4");

        // 61 seconds after the window opened, the key has its full allowance again.
        clock.Advance(TimeSpan.FromSeconds(61 - 35));
        var allowed = await limited.PostJsonAsync($"{V1}/customers", new { email = "later@example.com" });
        allowed.Code.ShouldBe(201, allowed.Raw);
        allowed.Header("RateLimit-Limit").ShouldBe("5");
        allowed.Header("RateLimit-Remaining").ShouldBe("4");
        allowed.Header("Retry-After").ShouldBeNull();
    }

    [Theory, DatabaseData]
    public async Task The_configured_default_limits_keys_that_set_none_and_a_key_of_its_own_overrides_it(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock,
            new Dictionary<string, string> { ["Patron:RateLimit:PerMinute"] = "3" });
        var own = await server.ClientWithScopeAsync(Scope.Read, rateLimitPerMinute: 5);
        var unlimited = await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Read, rateLimitPerMinute: 0);
        var unlimitedClient = server.ClientWithKey(unlimited!.Value.Secret);
        var otherDefault = await server.ClientWithScopeAsync(Scope.Read);

        // The bootstrap admin key sets no limit of its own: the default of 3 applies.
        for (var i = 1; i <= 3; i++)
        {
            var response = await server.Client.GetJsonAsync($"{V1}/program");
            response.Code.ShouldBe(200, $"request {i}");
            response.Header("RateLimit-Limit").ShouldBe("3");
            response.Header("RateLimit-Remaining").ShouldBe((3 - i).ToString(CultureInfo.InvariantCulture));
        }
        var fourth = await server.Client.GetJsonAsync($"{V1}/program");
        fourth.Code.ShouldBe(429);
        fourth.ErrorType.ShouldBe("rate_limit_error");
        fourth["error"].GetProperty("retry_after").GetInt32().ShouldBe(Seconds(fourth, "Retry-After"));

        // Each key counts on its own: another key on the default still has its 3.
        for (var i = 1; i <= 3; i++)
        {
            (await otherDefault.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200, $"other key, request {i}");
        }
        (await otherDefault.GetJsonAsync($"{V1}/program")).Code.ShouldBe(429);

        // A key's own limit wins over the default, in both directions (0 = no limit).
        for (var i = 1; i <= 5; i++)
        {
            var response = await own.GetJsonAsync($"{V1}/program");
            response.Code.ShouldBe(200, $"own limit, request {i}");
            response.Header("RateLimit-Limit").ShouldBe("5");
        }
        (await own.GetJsonAsync($"{V1}/program")).Code.ShouldBe(429);
        for (var i = 1; i <= 10; i++)
        {
            (await unlimitedClient.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200, $"no limit, request {i}");
        }

        clock.Advance(TimeSpan.FromSeconds(61));
        var again = await server.Client.GetJsonAsync($"{V1}/program");
        again.Code.ShouldBe(200);
        again.Header("RateLimit-Remaining").ShouldBe("2");
    }

    private static int Seconds(ApiResponse response, string header)
    {
        var value = response.Header(header);
        value.ShouldNotBeNull($"{header} is missing");
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds).ShouldBeTrue($"{header}: {value}");
        return seconds;
    }
}
