using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Earning;

/// <summary>Set-up steps the earning tests share: rules, tiers, activities.</summary>
internal static class EarningTestData
{
    public const string Rules = "/api/v1/earn_rules";
    public const string Activities = "/api/v1/activities";
    public const string TiersPath = "/api/v1/vip_tiers";

    public static Task<string> CreateRuleAsync(HttpClient client, object rule) => CreatedIdAsync(client, Rules, rule);

    public static Task<ApiResponse> ActivityAsync(HttpClient client, object body) => client.PostJsonAsync(Activities, body);

    /// <summary>Number of ledger entries of the customer.</summary>
    public static async Task<long> EntriesAsync(HttpClient client, string customerId) =>
        (await client.GetJsonAsync($"/api/v1/customers/{customerId}/points_transactions?limit=100")).Long("total_count");

    /// <summary>A tier of the program, e.g. <c>new { name = "Gold", points_required = 500 }</c>.</summary>
    public static Task<string> CreateTierAsync(HttpClient client, object tier) => CreatedIdAsync(client, TiersPath, tier);

    /// <summary>Earns the customer the points that put them in the tier, and checks they are in it.</summary>
    public static async Task JoinTierAsync(HttpClient client, string customerId, long pointsRequired, string tierName)
    {
        var earned = await client.PostJsonAsync($"/api/v1/customers/{customerId}/points_transactions",
            new { points = pointsRequired, type = "adjusted", description = "tier set-up" });
        earned.Status.ShouldBe(HttpStatusCode.Created, earned.Raw);
        (await client.GetJsonAsync($"/api/v1/customers/{customerId}")).Str("vip_tier").ShouldBe(tierName);
    }
}
