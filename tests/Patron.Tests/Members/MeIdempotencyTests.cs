using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Members.MembersTestKit;

namespace Patron.Tests.Members;

/// <summary>Idempotency-Key on the member's redemptions (docs/WIDGET.md): a retried redeem spends once.</summary>
public sealed class MeIdempotencyTests
{
    private static async Task<string> NewRewardAsync(HttpClient admin, long cost)
    {
        var created = await admin.PostJsonAsync("/api/v1/rewards", new { name = "Mug", type = "custom", points_cost = cost });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return created.Str("id");
    }

    [Theory, DatabaseData]
    public async Task Parallel_redeems_with_one_idempotency_key_answer_the_same_and_spend_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var admin = server.Client;
        var (_, secret) = await NewSecretAsync(admin);
        var id = await NewShopCustomerAsync(admin, "shop-i1", points: 500);
        var reward = await NewRewardAsync(admin, 100);
        var client = SignedIn(server, server.ProgramId, secret, "shop-i1");

        var answers = await ParallelAsync(12, _ => client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = reward }, "till-7f3c"));

        foreach (var answer in answers)
        {
            answer.Code.ShouldBe(201, answer.Raw);
        }
        answers.Select(a => a.Str("id")).Distinct().Count().ShouldBe(1);
        answers.Select(a => a.Str("discount_code")).Distinct().Count().ShouldBe(1);
        answers.Count(a => a.Header("Idempotent-Replayed") == "true").ShouldBe(11);
        (await BalanceAsync(admin, id)).ShouldBe(400);
        (await client.GetJsonAsync("/api/v1/me/redemptions")).Long("total_count").ShouldBe(1);

        // A retry later answers the first answer again; a new key redeems again.
        var retry = await client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = reward }, "till-7f3c");
        retry.Code.ShouldBe(201, retry.Raw);
        retry.Str("id").ShouldBe(answers[0].Str("id"));
        (await client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = reward }, "till-8a11")).Code.ShouldBe(201);
        (await BalanceAsync(admin, id)).ShouldBe(300);
    }

    [Theory, DatabaseData]
    public async Task The_same_key_with_another_reward_is_409_and_another_customers_key_never_replays(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var admin = server.Client;
        var (_, secret) = await NewSecretAsync(admin);
        var a = await NewShopCustomerAsync(admin, "shop-i2", points: 500);
        var b = await NewShopCustomerAsync(admin, "shop-i3", points: 500);
        var cheap = await NewRewardAsync(admin, 100);
        var dear = await NewRewardAsync(admin, 200);
        var alice = SignedIn(server, server.ProgramId, secret, "shop-i2");
        var bob = SignedIn(server, server.ProgramId, secret, "shop-i3");

        var first = await alice.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = cheap }, "shared-key");
        first.Code.ShouldBe(201, first.Raw);
        var reused = await alice.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = dear }, "shared-key");
        reused.Code.ShouldBe(409, reused.Raw);
        reused.ErrorCode.ShouldBe("idempotency_key_reused");

        // Another customer sending the same key redeems for themself; nothing of the first answer leaks.
        var other = await bob.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = cheap }, "shared-key");
        other.Code.ShouldBe(201, other.Raw);
        other.Header("Idempotent-Replayed").ShouldBeNull();
        other.Str("customer_id").ShouldBe(b);
        other.Str("id").ShouldNotBe(first.Str("id"));
        (await BalanceAsync(admin, a)).ShouldBe(400);
        (await BalanceAsync(admin, b)).ShouldBe(400);

        var tooLong = await alice.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = cheap }, new string('k', 256));
        tooLong.Code.ShouldBe(422, tooLong.Raw);
    }
}
