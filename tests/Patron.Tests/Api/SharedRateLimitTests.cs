using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Api;

/// <summary>
/// docs/SCALING.md: on PostgreSQL a key's rate limit holds across every Patron instance of the database,
/// not per process. Requests spread in parallel over two servers on one database are admitted at most
/// <c>limit</c> times a window, and at least <c>limit - instances × (block - 1)</c> times (the permits an
/// instance has leased but not used yet).
/// </summary>
[Trait(TestDatabases.Trait, TestDatabases.Postgres)]
public sealed class SharedRateLimitTests
{
    private const string V1 = "/api/v1";

    [Fact]
    public async Task A_key_limit_holds_across_two_instances_on_one_database()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        await using var a = await PatronServer.StartAsync(TestDatabases.Postgres);
        await using var b = await PatronProcess.StartAsync(a.DatabaseArgs, a.AdminKey);

        const int limit = 200;
        var block = RateLimits.BlockFor(limit);
        block.ShouldBeGreaterThan(1, "the test must exercise leases of more than one request");
        var key = await Admin.CreateKeyAsync(a.WritePath, a.ProgramId, Scope.Read, rateLimitPerMinute: limit);
        HttpClient[] clients = [a.ClientWithKey(key!.Value.Secret), b.ClientWithKey(key.Value.Secret)];

        var answers = await Task.WhenAll(Enumerable.Range(0, 3 * limit)
            .Select(i => clients[i % 2].GetJsonAsync($"{V1}/program")));

        answers.Where(r => r.Code is not (200 or 429)).Select(r => r.Code + " " + r.Raw).ShouldBeEmpty();
        var admitted = answers.Count(r => r.Code == 200);
        admitted.ShouldBeLessThanOrEqualTo(limit, "two instances must not admit more than the key's limit together");
        admitted.ShouldBeGreaterThanOrEqualTo(limit - 2 * (block - 1), "only permits leased but not used yet may be lost");
        foreach (var refused in answers.Where(r => r.Code == 429))
        {
            refused.ErrorType.ShouldBe("rate_limit_error");
            refused.ErrorCode.ShouldBe("rate_limited");
            var retryAfter = int.Parse(refused.Header("Retry-After")!, NumberStyles.None, CultureInfo.InvariantCulture);
            retryAfter.ShouldBeInRange(1, 60);
            refused["error"].GetProperty("retry_after").GetInt32().ShouldBe(retryAfter);
            refused.Header("RateLimit-Remaining").ShouldBe("0");
        }
        // Both instances refused: each learnt from the shared count that the window was spent.
        answers.Where((r, i) => i % 2 == 0).ShouldContain(r => r.Code == 429);
        answers.Where((r, i) => i % 2 == 1).ShouldContain(r => r.Code == 429);
    }

    [Fact]
    public async Task The_throttle_of_failed_authentications_holds_across_two_instances_on_one_database()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        const int maxFailures = 10;
        var settings = new Dictionary<string, string>
        {
            ["Patron:AuthThrottle:MaxFailures"] = maxFailures.ToString(CultureInfo.InvariantCulture),
            ["Patron:AuthThrottle:WindowSeconds"] = "60",
        };
        await using var a = await PatronServer.StartAsync(TestDatabases.Postgres, settings: settings);
        await using var b = await PatronProcess.StartAsync(a.DatabaseArgs, a.AdminKey, settings);
        var wrongKey = "sk_" + new string('x', 40);
        HttpClient[] wrong = [a.ClientWithKey(wrongKey), b.ClientWithKey(wrongKey)];

        var answers = await Task.WhenAll(Enumerable.Range(0, 6 * maxFailures)
            .Select(i => wrong[i % 2].GetJsonAsync($"{V1}/program")));

        answers.Where(r => r.Code is not (401 or 429)).Select(r => r.Code + " " + r.Raw).ShouldBeEmpty();
        answers.Count(r => r.Code == 401).ShouldBe(maxFailures, "the two instances answer the address's wrong keys as many times as one would");
        foreach (var refused in answers.Where(r => r.Code == 429))
        {
            refused.ErrorType.ShouldBe("rate_limit_error");
            refused.ErrorCode.ShouldBe("too_many_failed_authentications");
            var retryAfter = int.Parse(refused.Header("Retry-After")!, NumberStyles.None, CultureInfo.InvariantCulture);
            retryAfter.ShouldBeInRange(1, 60);
            refused["error"].GetProperty("retry_after").GetInt32().ShouldBe(retryAfter);
        }

        // Each instance saw failures past the shared limit, so each now refuses the address's correct key too.
        (await a.Client.GetJsonAsync($"{V1}/program")).ErrorCode.ShouldBe("too_many_failed_authentications");
        (await b.Client.GetJsonAsync($"{V1}/program")).ErrorCode.ShouldBe("too_many_failed_authentications");
    }

    [Fact]
    public async Task Without_the_shared_count_an_instance_falls_back_to_counting_alone_and_never_answers_500()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        await using var server = await PatronServer.StartAsync(TestDatabases.Postgres, settings: new Dictionary<string, string>
        {
            ["Patron:AuthThrottle:MaxFailures"] = "2",
        });
        var limited = await server.ClientWithScopeAsync(Scope.Read, rateLimitPerMinute: 3);
        await using (var connection = await server.App.Services.GetRequiredService<Database>().OpenAsync(TestContext.Current.CancellationToken))
        {
            await new Sql(connection).ExecuteAsync("DROP TABLE rate_limit_windows");
        }

        // The key's limit still holds, counted by this instance.
        for (var i = 1; i <= 3; i++)
        {
            var response = await limited.GetJsonAsync($"{V1}/program");
            response.Code.ShouldBe(200, $"request {i}: {response.Raw}");
            response.Header("RateLimit-Remaining").ShouldBe((3 - i).ToString(CultureInfo.InvariantCulture));
        }
        var refused = await limited.GetJsonAsync($"{V1}/program");
        refused.Code.ShouldBe(429, refused.Raw);
        refused.ErrorCode.ShouldBe("rate_limited");
        refused.Header("Retry-After").ShouldNotBeNull();

        // So does the throttle of failed authentications.
        var wrong = server.ClientWithKey("sk_" + new string('x', 40));
        (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);
        (await wrong.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);
        var throttled = await wrong.GetJsonAsync($"{V1}/program");
        throttled.Code.ShouldBe(429, throttled.Raw);
        throttled.ErrorCode.ShouldBe("too_many_failed_authentications");
    }
}
