using System.Net;
using System.Text.Json;
using Shouldly;

namespace Patron.Tests.Infrastructure;

/// <summary>
/// The set-up steps and reads that tests of every area share, each written once. A test file takes
/// them by name with <c>using static Patron.Tests.Infrastructure.TestKit;</c>. Each step checks the
/// answer it relies on (a 201, a 200) and puts the body in the failure message.
/// </summary>
public static class TestKit
{
    public const string CustomersPath = "/api/v1/customers";

    public static string PointsPath(string customer) => $"{CustomersPath}/{customer}/points_transactions";

    /// <summary>An address no other customer of the test has.</summary>
    public static string UniqueEmail() => $"c{Guid.NewGuid():N}@example.com";

    /// <summary>
    /// Creates a customer and returns its id, checking that it starts with <paramref name="points"/>.
    /// Without <paramref name="email"/> the customer gets a unique address.
    /// </summary>
    public static async Task<string> NewCustomerAsync(HttpClient client, string? email = null, long points = 0, string? birthday = null)
    {
        var body = new Dictionary<string, object> { ["email"] = email ?? UniqueEmail() };
        if (points != 0)
        {
            body["initial_points"] = points;
        }
        if (birthday is not null)
        {
            body["birthday"] = birthday;
        }
        var created = await client.PostJsonAsync(CustomersPath, body);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        created.Long("points_balance").ShouldBe(points, created.Raw);
        return created.Str("id");
    }

    /// <summary>The customer as the API shows it.</summary>
    public static async Task<ApiResponse> CustomerAsync(HttpClient client, string customer)
    {
        var found = await client.GetJsonAsync($"{CustomersPath}/{customer}");
        found.Status.ShouldBe(HttpStatusCode.OK, found.Raw);
        return found;
    }

    public static async Task<long> BalanceAsync(HttpClient client, string customer) =>
        (await client.GetJsonAsync($"{CustomersPath}/{customer}")).Long("points_balance");

    /// <summary>Posts a points entry of the given type and checks it was written.</summary>
    public static async Task PostPointsAsync(HttpClient client, string customer, long points, string type = "earned")
    {
        var posted = await client.PostJsonAsync(PointsPath(customer), new { points, type });
        posted.Status.ShouldBe(HttpStatusCode.Created, posted.Raw);
    }

    /// <summary>Asks to redeem <paramref name="points"/>; the answer is the test's to check.</summary>
    public static Task<ApiResponse> SpendAsync(HttpClient client, string customer, long points) =>
        client.PostJsonAsync(PointsPath(customer), new { points = -points, type = "redeemed" });

    /// <summary>Every ledger entry of the customer, oldest first (all pages).</summary>
    public static async Task<List<LedgerEntry>> LedgerAsync(HttpClient client, string customer)
    {
        var entries = (await client.AllAsync(PointsPath(customer))).Select(e => new LedgerEntry(
            e.GetProperty("id").GetString()!, e.GetProperty("customer_id").GetString()!, e.GetProperty("points").GetInt64(),
            e.GetProperty("type").GetString()!, e.GetProperty("status").GetString()!, e.GetProperty("reference").GetString(),
            e.GetProperty("balance_after").GetInt64(), e.GetProperty("order_id").GetString(),
            e.GetProperty("expires_at").GetString(), e.GetProperty("available_at").GetString())).ToList();
        entries.Reverse();
        return entries;
    }

    /// <summary>Changes the program's settings and checks they were taken.</summary>
    public static async Task<ApiResponse> SetProgramAsync(HttpClient client, object settings)
    {
        var program = await client.PatchJsonAsync("/api/v1/program", settings);
        program.Status.ShouldBe(HttpStatusCode.OK, program.Raw);
        return program;
    }

    /// <summary>Creates a resource and returns its id.</summary>
    public static async Task<string> CreatedIdAsync(HttpClient client, string path, object body)
    {
        var created = await client.PostJsonAsync(path, body);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return created.Str("id");
    }

    /// <summary>Every item of a list endpoint, walked with <c>starting_after</c>.</summary>
    public static async Task<List<JsonElement>> AllAsync(this HttpClient client, string path)
    {
        var items = new List<JsonElement>();
        string? after = null;
        for (var pages = 0; ; pages++)
        {
            pages.ShouldBeLessThan(10_000, $"paging {path} does not end");
            var page = await client.GetJsonAsync(
                $"{path}{(path.Contains('?', StringComparison.Ordinal) ? '&' : '?')}limit=100{(after is null ? "" : $"&starting_after={after}")}");
            page.Code.ShouldBe(200, page.Raw);
            var data = page["data"].EnumerateArray().ToList();
            items.AddRange(data);
            if (!page["has_more"].GetBoolean() || data.Count == 0)
            {
                return items;
            }
            after = data[^1].GetProperty("id").GetString();
        }
    }

    /// <summary>The <c>total_count</c> of a list endpoint.</summary>
    public static async Task<long> TotalAsync(this HttpClient client, string path)
    {
        var page = await client.GetJsonAsync(path);
        page.Code.ShouldBe(200, page.Raw);
        return page.Long("total_count");
    }

    /// <summary>Checks the answer is a 2xx (with the body in the message when not) and returns it.</summary>
    public static async Task<ApiResponse> OkAsync(Task<ApiResponse> request)
    {
        var response = await request;
        response.Code.ShouldBeInRange(200, 299, response.Raw);
        return response;
    }

    /// <summary>Starts all requests before awaiting any, so they really overlap on the server.</summary>
    public static async Task<T[]> ParallelAsync<T>(int count, Func<int, Task<T>> request)
    {
        using var start = new SemaphoreSlim(0, count);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await start.WaitAsync();
            return await request(i);
        }).ToList();
        start.Release(count);
        return await Task.WhenAll(tasks);
    }
}

/// <summary>One ledger entry as the API shows it.</summary>
public sealed record LedgerEntry(
    string Id, string CustomerId, long Points, string Type, string Status, string? Reference, long BalanceAfter,
    string? OrderId, string? ExpiresAt, string? AvailableAt);
