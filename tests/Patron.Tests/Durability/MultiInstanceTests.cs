using System.Diagnostics;
using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Durability;

/// <summary>
/// docs/CONFIGURATION.md: any number of Patron processes may serve one PostgreSQL database at once, and the
/// guarantees of section 5 hold across them. Two real server processes share one database here.
/// </summary>
[Trait(TestDatabases.Trait, TestDatabases.Postgres)]
public sealed class MultiInstanceTests
{
    /// <summary>A new PostgreSQL database, dropped when the test disposes of it.</summary>
    private static Task<TestDatabase> NewDatabaseAsync()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        var dataDir = Path.Combine(Path.GetTempPath(), "patron-tests", Guid.NewGuid().ToString("N"));
        return TestDatabase.CreateAsync(TestDatabases.Postgres, dataDir);
    }

    private static async Task<(PatronProcess A, PatronProcess B)> StartTwoAsync(TestDatabase database)
    {
        var adminKey = "sk_test_" + Guid.NewGuid().ToString("N");
        var settings = new Dictionary<string, string> { ["Patron:RateLimit:PerMinute"] = "0" };
        var a = await PatronProcess.StartAsync(database.Args, adminKey, settings);
        try
        {
            var b = await PatronProcess.StartAsync(database.Args, adminKey, settings);
            return (a, b);
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task Two_processes_on_one_database_never_overspend_double_credit_or_lose_an_update()
    {
        await using var database = await NewDatabaseAsync();
        var (a, b) = await StartTwoAsync(database);
        await using var _a = a;
        await using var _b = b;
        HttpClient Via(int i) => i % 2 == 0 ? a.Client : b.Client;

        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await NewCustomerAsync(Via(i), $"multi{i}@example.com", points: 100));
        }

        // Per customer: 30 deductions of 10 from 100 (10 can succeed), 10 posts of one reference,
        // 10 posts with one Idempotency-Key, and 50 awards of 1 point, alternating between processes.
        var requests = new List<Task<(string Kind, string Customer, ApiResponse Response)>>();
        foreach (var id in ids)
        {
            for (var i = 0; i < 30; i++)
            {
                requests.Add(Tagged("deduct", id, Via(i).PostJsonAsync($"/api/v1/customers/{id}/points_transactions", new { points = -10 })));
            }
            for (var i = 0; i < 10; i++)
            {
                requests.Add(Tagged("reference", id, Via(i).PostJsonAsync($"/api/v1/customers/{id}/points_transactions",
                    new { points = 7, type = "adjusted", reference = "same-ref" })));
                requests.Add(Tagged("idempotent", id, Via(i + 1).PostJsonAsync($"/api/v1/customers/{id}/points_transactions",
                    new { points = 3, type = "adjusted" }, idempotencyKey: "idem-" + id)));
            }
            for (var i = 0; i < 50; i++)
            {
                requests.Add(Tagged("award", id, Via(i).PostJsonAsync($"/api/v1/customers/{id}/points_transactions", new { points = 1 })));
            }
        }
        var results = await Task.WhenAll(requests);

        results.Where(r => r.Response.Code >= 500).ShouldBeEmpty();
        foreach (var id in ids)
        {
            var mine = results.Where(r => r.Customer == id).ToList();
            var deductions = mine.Where(r => r.Kind == "deduct").ToList();
            var okDeductions = deductions.Count(r => r.Response.Status == HttpStatusCode.Created);
            deductions.Where(r => r.Response.Status != HttpStatusCode.Created)
                .ShouldAllBe(r => r.Response.ErrorCode == "insufficient_points");

            var referenced = mine.Where(r => r.Kind == "reference").ToList();
            referenced.Count(r => r.Response.Status == HttpStatusCode.Created).ShouldBe(1);
            referenced.Select(r => r.Response.Str("id")).Distinct().Count().ShouldBe(1);

            var idempotent = mine.Where(r => r.Kind == "idempotent").ToList();
            idempotent.ShouldAllBe(r => r.Response.Status == HttpStatusCode.Created);
            idempotent.Select(r => r.Response.Str("id")).Distinct().Count().ShouldBe(1);

            mine.Where(r => r.Kind == "award").ShouldAllBe(r => r.Response.Status == HttpStatusCode.Created);

            // The deductions raced the credits (7 + 3 + 50 points), so between 10 and 16 of them fit;
            // whatever the interleaving, the books must balance exactly.
            okDeductions.ShouldBeInRange(10, 16);
            var expected = 100 + 7 + 3 + 50 - (10 * okDeductions);
            var customer = await a.Client.GetJsonAsync($"/api/v1/customers/{id}");
            customer.Long("points_balance").ShouldBe(expected);
            (await b.Client.GetJsonAsync($"/api/v1/customers/{id}")).Long("points_balance").ShouldBe(expected);

            var ledger = await a.Client.GetJsonAsync($"/api/v1/customers/{id}/points_transactions?limit=100");
            ledger.Long("total_count").ShouldBe(1 + okDeductions + 1 + 1 + 50);
            ledger["data"].EnumerateArray().Sum(e => e.GetProperty("points").GetInt64()).ShouldBe(expected);
        }
    }

    [Fact]
    public async Task A_key_revoked_through_one_process_is_refused_by_the_other_within_seconds()
    {
        await using var database = await NewDatabaseAsync();
        var (a, b) = await StartTwoAsync(database);
        await using var _a = a;
        await using var _b = b;

        var key = await a.Client.PostJsonAsync("/api/v1/api_keys", new { scope = "read" });
        key.Status.ShouldBe(HttpStatusCode.Created, key.Raw);
        var viaB = b.ClientWithKey(key.Str("secret"));
        (await viaB.GetJsonAsync("/api/v1/customers")).Status.ShouldBe(HttpStatusCode.OK);

        (await a.Client.DeleteJsonAsync($"/api/v1/api_keys/{key.Str("id")}")).Status.ShouldBe(HttpStatusCode.OK);
        (await a.ClientWithKey(key.Str("secret")).GetJsonAsync("/api/v1/customers")).ErrorCode.ShouldBe("api_key_revoked");

        var clock = Stopwatch.StartNew();
        ApiResponse last;
        do
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            last = await viaB.GetJsonAsync("/api/v1/customers");
        }
        while (last.Status == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(10));
        last.ErrorCode.ShouldBe("api_key_revoked");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(3));
    }

    private static async Task<(string, string, ApiResponse)> Tagged(string kind, string customer, Task<ApiResponse> response) =>
        (kind, customer, await response);
}
