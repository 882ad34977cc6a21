using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Earning;

/// <summary>Set-up steps the earning tests share: customers, rules, tiers, activities.</summary>
internal static class EarningTestData
{
    public const string Rules = "/api/v1/earn_rules";
    public const string Activities = "/api/v1/activities";

    public static async Task<string> NewCustomerAsync(HttpClient client, string? email = null, string? birthday = null)
    {
        var created = await client.PostJsonAsync("/api/v1/customers",
            birthday is null
                ? new { email = email ?? $"c{Guid.NewGuid():N}@example.com" }
                : (object)new { email = email ?? $"c{Guid.NewGuid():N}@example.com", birthday });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return created.Str("id");
    }

    public static async Task<string> CreateRuleAsync(HttpClient client, object rule)
    {
        var created = await client.PostJsonAsync(Rules, rule);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return created.Str("id");
    }

    public static Task<ApiResponse> ActivityAsync(HttpClient client, object body) => client.PostJsonAsync(Activities, body);

    public static async Task<long> BalanceAsync(HttpClient client, string customerId) =>
        (await client.GetJsonAsync($"/api/v1/customers/{customerId}")).Long("points_balance");

    /// <summary>Number of ledger entries of the customer.</summary>
    public static async Task<long> EntriesAsync(HttpClient client, string customerId) =>
        (await client.GetJsonAsync($"/api/v1/customers/{customerId}/points_transactions?limit=100")).Long("total_count");

    /// <summary>A points tier of the program: a customer reaches it by earning <paramref name="pointsRequired"/> lifetime points.</summary>
    public static async Task<string> CreateTierAsync(PatronServer server, string name, long pointsRequired, decimal multiplier)
    {
        var created = await server.Client.PostJsonAsync("/api/v1/vip_tiers", new { name, points_required = pointsRequired, multiplier });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return created.Str("id");
    }

    /// <summary>Earns the customer the points that put them in the tier, and checks they are in it.</summary>
    public static async Task JoinTierAsync(HttpClient client, string customerId, long pointsRequired, string tierName)
    {
        var earned = await client.PostJsonAsync($"/api/v1/customers/{customerId}/points_transactions",
            new { points = pointsRequired, type = "adjusted", description = "tier set-up" });
        earned.Status.ShouldBe(HttpStatusCode.Created, earned.Raw);
        (await client.GetJsonAsync($"/api/v1/customers/{customerId}")).Str("vip_tier").ShouldBe(tierName);
    }
}
