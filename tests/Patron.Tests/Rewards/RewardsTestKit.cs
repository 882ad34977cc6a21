using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Rewards;

/// <summary>Requests the reward tests share.</summary>
internal static class RewardsTestKit
{
    public const string RewardsPath = "/api/v1/rewards";

    public static async Task<string> NewCustomerAsync(HttpClient client, long points = 0, string email = "ada@example.com")
    {
        var created = await client.PostJsonAsync("/api/v1/customers", new { email, initial_points = points });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return created.Str("id");
    }

    public static async Task<string> NewRewardAsync(HttpClient client, object body)
    {
        var created = await client.PostJsonAsync(RewardsPath, body);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        created.Str("object").ShouldBe("reward");
        return created.Str("id");
    }

    public static Task<ApiResponse> RedeemAsync(HttpClient client, string customer, object body) =>
        client.PostJsonAsync($"/api/v1/customers/{customer}/redemptions", body);

    public static async Task<long> BalanceAsync(HttpClient client, string customer) =>
        (await client.GetJsonAsync($"/api/v1/customers/{customer}")).Long("points_balance");

    /// <summary>Starts all requests together, so they really race.</summary>
    public static async Task<ApiResponse[]> ParallelAsync(int count, Func<int, Task<ApiResponse>> request)
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
