using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Api;

/// <summary>
/// Real parallel HTTP requests against one server (docs/ARCHITECTURE.md guarantees 1 and 3): no interleaving
/// may overspend, lose an update, or credit a reference or an Idempotency-Key twice.
/// </summary>
public sealed class ConcurrencyTests
{
    private const string Customers = "/api/v1/customers";

    [Theory, DatabaseData]
    public async Task Fifty_concurrent_deductions_of_ten_from_a_hundred_succeed_exactly_ten_times(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client, points: 100);

        var responses = await Parallel(50, _ => server.Client.PostJsonAsync(PointsPath(id), new { points = -10, type = "redeemed" }));

        responses.Count(r => r.Status == HttpStatusCode.Created).ShouldBe(10);
        responses.Count(r => r.Code == 422 && r.ErrorCode == "insufficient_points").ShouldBe(40);
        responses.Where(r => r.Status == HttpStatusCode.Created).Select(r => r.Long("balance_after")).Order()
            .ShouldBe([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
        var customer = await server.Client.GetJsonAsync($"{Customers}/{id}");
        customer.Long("points_balance").ShouldBe(0);
        customer.Long("points_spent").ShouldBe(100);
        (await LedgerAsync(server.Client, id)).Sum(e => e.Points).ShouldBe(0);
        (await LedgerAsync(server.Client, id)).Count.ShouldBe(11);
    }

    [Theory, DatabaseData]
    public async Task Twenty_concurrent_posts_with_one_reference_credit_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        var responses = await Parallel(20, _ => server.Client.PostJsonAsync(PointsPath(id), new { points = 40, reference = "order-77" }));

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Created || r.Status == HttpStatusCode.OK);
        responses.Count(r => r.Status == HttpStatusCode.Created).ShouldBe(1);
        responses.Count(r => r.Status == HttpStatusCode.OK).ShouldBe(19);
        responses.Select(r => r.Str("id")).Distinct().Count().ShouldBe(1);
        (await BalanceAsync(server.Client, id)).ShouldBe(40);
        (await LedgerAsync(server.Client, id)).Count.ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Twenty_concurrent_requests_with_one_idempotency_key_credit_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        var responses = await Parallel(20, _ => server.Client.PostJsonAsync(PointsPath(id), new { points = 15 }, "same-key"));

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Created);
        responses.Select(r => r.Str("id")).Distinct().Count().ShouldBe(1);
        responses.Select(r => r.Raw).Distinct().Count().ShouldBe(1);
        responses.Count(r => r.Header("Idempotent-Replayed") == "true").ShouldBe(19);
        (await BalanceAsync(server.Client, id)).ShouldBe(15);
        (await LedgerAsync(server.Client, id)).Count.ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task A_hundred_concurrent_awards_of_one_point_lose_no_update(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        var responses = await Parallel(100, _ => server.Client.PostJsonAsync(PointsPath(id), new { points = 1 }));

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Created);
        responses.Select(r => r.Long("balance_after")).Order().ShouldBe(Enumerable.Range(1, 100).Select(i => (long)i));
        var customer = await server.Client.GetJsonAsync($"{Customers}/{id}");
        customer.Long("points_balance").ShouldBe(100);
        customer.Long("lifetime_points").ShouldBe(100);
        var ledger = await LedgerAsync(server.Client, id);
        ledger.Count.ShouldBe(100);
        ledger.Sum(e => e.Points).ShouldBe(100);
    }

    [Theory, DatabaseData]
    public async Task Concurrent_awards_and_deductions_keep_the_balance_equal_to_the_ledger(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client, points: 20);

        var responses = await Parallel(60, i => server.Client.PostJsonAsync(PointsPath(id),
            i % 2 == 0 ? new { points = 5L } : new { points = -7L }));

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Created || r.ErrorCode == "insufficient_points");
        var balance = await BalanceAsync(server.Client, id);
        balance.ShouldBeGreaterThanOrEqualTo(0);
        var ledger = await LedgerAsync(server.Client, id);
        ledger.Sum(e => e.Points).ShouldBe(balance);
        ledger.Count.ShouldBe(1 + responses.Count(r => r.Status == HttpStatusCode.Created));
        var succeeded = responses.Where(r => r.Status == HttpStatusCode.Created).Sum(r => r.Long("points"));
        balance.ShouldBe(20 + succeeded);
        // Each entry's balance_after is the running sum of the ledger in order.
        var running = 0L;
        foreach (var entry in ledger.OrderBy(e => e.Id, StringComparer.Ordinal))
        {
            running += entry.Points;
            entry.BalanceAfter.ShouldBe(running);
        }
    }

    [Theory, DatabaseData]
    public async Task Twenty_concurrent_create_or_updates_of_one_email_make_one_customer(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var responses = await Parallel(20, i => server.Client.PostJsonAsync(Customers,
            new { email = "Rush@Example.com", first_name = $"Name{i}" }));

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Created || r.Status == HttpStatusCode.OK);
        responses.Count(r => r.Status == HttpStatusCode.Created).ShouldBe(1);
        responses.Select(r => r.Str("id")).Distinct().Count().ShouldBe(1);
        var list = await server.Client.GetJsonAsync($"{Customers}?email=rush@example.com");
        list.Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync(Customers)).Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync("/api/v1/events?type=customer.created")).Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Concurrent_creates_with_initial_points_credit_the_initial_points_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var responses = await Parallel(20, _ => server.Client.PostJsonAsync(Customers,
            new { external_id = "shop-9", initial_points = 30 }));

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Created || r.Status == HttpStatusCode.OK);
        responses.Count(r => r.Status == HttpStatusCode.Created).ShouldBe(1);
        var id = responses[0].Str("id");
        (await BalanceAsync(server.Client, id)).ShouldBe(30);
        (await LedgerAsync(server.Client, id)).Count.ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Concurrent_deductions_across_many_customers_never_overspend_any_of_them(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await NewCustomerAsync(server.Client, points: 30, email: $"c{i}@example.com"));
        }

        var responses = await Parallel(50, i => server.Client.PostJsonAsync(PointsPath(ids[i % 5]), new { points = -10 }));

        responses.Count(r => r.Status == HttpStatusCode.Created).ShouldBe(15);
        responses.Count(r => r.ErrorCode == "insufficient_points").ShouldBe(35);
        foreach (var id in ids)
        {
            (await BalanceAsync(server.Client, id)).ShouldBe(0);
            (await LedgerAsync(server.Client, id)).Sum(e => e.Points).ShouldBe(0);
        }
    }

    [Theory, DatabaseData]
    public async Task Twenty_customers_patched_to_one_email_at_once_leave_it_with_exactly_one(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add((await server.Client.PostJsonAsync(Customers, new { external_id = $"x{i}" })).Str("id"));
        }

        var responses = await Parallel(20, i => server.Client.PatchJsonAsync($"{Customers}/{ids[i]}", new { email = "wanted@example.com" }));

        responses.Count(r => r.Status == HttpStatusCode.OK).ShouldBe(1);
        responses.Count(r => r.Status == HttpStatusCode.Conflict && r["error"].GetProperty("param").GetString() == "email").ShouldBe(19);
        var owner = responses.Single(r => r.Status == HttpStatusCode.OK).Str("id");
        (await server.Client.GetJsonAsync($"{Customers}/wanted@example.com")).Str("id").ShouldBe(owner);
        (await server.Client.GetJsonAsync($"{Customers}?email=wanted@example.com")).Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync("/api/v1/events?type=customer.updated")).Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Concurrent_requests_with_one_idempotency_key_and_different_bodies_run_exactly_one(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        var responses = await Parallel(20, i => server.Client.PostJsonAsync(PointsPath(id), new { points = i + 1 }, "contested"));

        var winners = responses.Where(r => r.Status == HttpStatusCode.Created).ToList();
        winners.Select(r => r.Str("id")).Distinct().Count().ShouldBe(1);
        var credited = winners[0].Long("points");
        // Only a request with the winner's very body may replay it; every other body is refused.
        responses.Count(r => r.ErrorCode == "idempotency_key_reused").ShouldBe(20 - winners.Count);
        winners.Count.ShouldBe(1);
        (await BalanceAsync(server.Client, id)).ShouldBe(credited);
        (await LedgerAsync(server.Client, id)).Count.ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Concurrent_reference_repeats_and_deductions_never_spend_a_credit_twice(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        // Ten retries of one 50-point award race twenty 10-point deductions: at most five deductions fit.
        var responses = await Parallel(30, i => i % 3 == 0
            ? server.Client.PostJsonAsync(PointsPath(id), new { points = 50, reference = "award" })
            : server.Client.PostJsonAsync(PointsPath(id), new { points = -10 }));

        var awards = responses.Where((_, i) => i % 3 == 0).ToList();
        awards.Count(r => r.Status == HttpStatusCode.Created).ShouldBe(1);
        awards.Select(r => r.Str("id")).Distinct().Count().ShouldBe(1);
        var deductions = responses.Where((_, i) => i % 3 != 0).ToList();
        var spent = deductions.Count(r => r.Status == HttpStatusCode.Created);
        spent.ShouldBeLessThanOrEqualTo(5);
        deductions.Count(r => r.ErrorCode == "insufficient_points").ShouldBe(20 - spent);
        (await BalanceAsync(server.Client, id)).ShouldBe(50 - 10 * spent);
        (await LedgerAsync(server.Client, id)).Sum(e => e.Points).ShouldBe(50 - 10 * spent);
    }

    /// <summary><see cref="ParallelAsync"/>, where no answer may be a server error.</summary>
    private static async Task<ApiResponse[]> Parallel(int count, Func<int, Task<ApiResponse>> request)
    {
        var responses = await ParallelAsync(count, request);
        // Anything but the expected outcomes (a 500, a timeout) fails loudly with the body.
        foreach (var r in responses)
        {
            r.Code.ShouldBeLessThan(500, r.Raw);
        }
        return responses;
    }
}
