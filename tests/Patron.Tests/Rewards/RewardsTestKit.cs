using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Rewards;

/// <summary>Requests the reward tests share.</summary>
internal static class RewardsTestKit
{
    public const string RewardsPath = "/api/v1/rewards";

    public static async Task<string> NewRewardAsync(HttpClient client, object body)
    {
        var created = await client.PostJsonAsync(RewardsPath, body);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        created.Str("object").ShouldBe("reward");
        return created.Str("id");
    }

    public static Task<ApiResponse> RedeemAsync(HttpClient client, string customer, object body) =>
        client.PostJsonAsync($"/api/v1/customers/{customer}/redemptions", body);
}
