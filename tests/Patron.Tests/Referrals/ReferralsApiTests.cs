using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Referrals;

/// <summary>
/// Referrals (docs/API.md): the referee's first paid order, at least the program's minimum, credits
/// the referrer and the referee their configured points once, whatever is retried or raced.
/// </summary>
public sealed class ReferralsApiTests
{
    private const string Customers = "/api/v1/customers";

    [Theory, DatabaseData]
    public async Task The_first_paid_order_at_the_minimum_credits_both_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await ConfigureAsync(server.Client);
        var (referrer, referee) = await PairAsync(server.Client);

        var listed = await server.Client.GetJsonAsync($"/api/v1/referrals?referrer_id={referrer}");
        listed.Long("total_count").ShouldBe(1);
        var pending = listed["data"][0];
        pending.GetProperty("object").GetString().ShouldBe("referral");
        pending.GetProperty("status").GetString().ShouldBe("pending");
        pending.GetProperty("referee_id").GetString().ShouldBe(referee);

        // A placed order is not a paid one.
        (await server.Client.PostJsonAsync("/api/v1/orders", new { id = "o-1", customer_id = referee, total = 25m })).Code.ShouldBe(201);
        (await BalanceAsync(server.Client, referrer)).ShouldBe(0);

        var paid = await server.Client.PostJsonAsync("/api/v1/orders/o-1/paid");
        paid.Code.ShouldBe(200, paid.Raw);
        (await BalanceAsync(server.Client, referrer)).ShouldBe(100);
        (await BalanceAsync(server.Client, referee)).ShouldBe(50);

        var completed = (await server.Client.GetJsonAsync("/api/v1/referrals?status=completed"))["data"];
        completed.GetArrayLength().ShouldBe(1);
        completed[0].GetProperty("order_id").GetString().ShouldBe("o-1");
        completed[0].GetProperty("referrer_points").GetInt64().ShouldBe(100);
        completed[0].GetProperty("referee_points").GetInt64().ShouldBe(50);
        completed[0].GetProperty("completed_at").GetString().ShouldNotBeNull();

        // A second paid order, and a retry of the first, credit nothing more.
        (await server.Client.PostJsonAsync("/api/v1/orders", new { id = "o-2", customer_id = referee, total = 99m, status = "paid" })).Code.ShouldBe(201);
        (await server.Client.PostJsonAsync("/api/v1/orders/o-1/paid")).Code.ShouldBe(200);
        (await BalanceAsync(server.Client, referrer)).ShouldBe(100);
        (await BalanceAsync(server.Client, referee)).ShouldBe(50);
        (await ReferralEntriesAsync(server.Client, referrer)).ShouldBe(1);
        (await ReferralEntriesAsync(server.Client, referee)).ShouldBe(1);
        (await CompletedEventsAsync(server.Client)).ShouldBe(1);
        (await server.Client.GetJsonAsync("/api/v1/referrals?status=pending")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_first_order_below_the_minimum_does_not_complete_it(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await ConfigureAsync(server.Client);
        var (referrer, referee) = await PairAsync(server.Client);

        (await server.Client.PostJsonAsync("/api/v1/orders", new { id = "small", customer_id = referee, total = 19.9999m, status = "paid" }))
            .Code.ShouldBe(201);
        (await BalanceAsync(server.Client, referrer)).ShouldBe(0);
        (await BalanceAsync(server.Client, referee)).ShouldBe(0);
        var referral = (await server.Client.GetJsonAsync($"/api/v1/referrals?referee_id={referee}"))["data"][0];
        referral.GetProperty("status").GetString().ShouldBe("ineligible");
        referral.GetProperty("order_id").GetString().ShouldBe("small");

        // Only the first paid order counts.
        (await server.Client.PostJsonAsync("/api/v1/orders", new { id = "big", customer_id = referee, total = 50m, status = "paid" })).Code.ShouldBe(201);
        (await BalanceAsync(server.Client, referrer)).ShouldBe(0);
        (await CompletedEventsAsync(server.Client)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Self_referral_is_refused(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var me = await server.Client.PostJsonAsync(Customers, new { email = "me@example.com", phone = "+4915112345678" });
        var code = me.Str("referral_code");

        var byEmail = await server.Client.PostJsonAsync(Customers, new { email = "ME@example.com", referred_by = code });
        byEmail.Code.ShouldBe(422);
        byEmail.ErrorCode.ShouldBe("self_referral");
        var byPhone = await server.Client.PostJsonAsync(Customers, new { external_id = "x-1", phone = "+49 151 12345678", referred_by = code.ToLowerInvariant() });
        byPhone.Code.ShouldBe(422);
        byPhone.ErrorCode.ShouldBe("self_referral");
        var unknown = await server.Client.PostJsonAsync(Customers, new { email = "new@example.com", referred_by = "NOSUCHCODE" });
        unknown.Code.ShouldBe(422);
        unknown.ErrorCode.ShouldBe("parameter_invalid");
        (await server.Client.GetJsonAsync("/api/v1/referrals")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Ten_parallel_identical_paid_orders_complete_the_referral_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await ConfigureAsync(server.Client);
        var (referrer, referee) = await PairAsync(server.Client);

        using var start = new SemaphoreSlim(0, 10);
        var tasks = Enumerable.Range(0, 10).Select(async _ =>
        {
            await start.WaitAsync();
            return await server.Client.PostJsonAsync("/api/v1/orders", new { id = "race", customer_id = referee, total = 20m, status = "paid" });
        }).ToList();
        start.Release(10);
        var responses = await Task.WhenAll(tasks);

        responses.ShouldAllBe(r => r.Status == HttpStatusCode.Created || r.Status == HttpStatusCode.OK);
        responses.Count(r => r.Status == HttpStatusCode.Created).ShouldBe(1);
        (await BalanceAsync(server.Client, referrer)).ShouldBe(100);
        (await BalanceAsync(server.Client, referee)).ShouldBe(50);
        (await ReferralEntriesAsync(server.Client, referrer)).ShouldBe(1);
        (await CompletedEventsAsync(server.Client)).ShouldBe(1);
        (await server.Client.GetJsonAsync("/api/v1/referrals?status=completed")).Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Referrals_are_listed_per_program_and_filters_are_checked(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (referrer, _) = await PairAsync(server.Client);
        (await server.Client.GetJsonAsync("/api/v1/referrals?status=lost")).ErrorCode.ShouldBe("parameter_invalid");
        (await server.Client.GetJsonAsync("/api/v1/referrals?referrer_id=ada@example.com")).Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync($"/api/v1/referrals?referee_id={referrer}")).Long("total_count").ShouldBe(0);
        var (_, other) = await server.CreateProgramAsync();
        (await other.GetJsonAsync("/api/v1/referrals")).Long("total_count").ShouldBe(0);
    }

    /// <summary>100 points to the referrer, 50 to the referee, from 20.00; orders themselves earn nothing.</summary>
    private static async Task ConfigureAsync(HttpClient client)
    {
        await SetProgramAsync(client, new
        {
            points_per_unit = 0,
            referral = new { referrer_points = 100, referee_points = 50, min_order_total = 20m },
        });
    }

    private static async Task<(string Referrer, string Referee)> PairAsync(HttpClient client)
    {
        var referrer = await client.PostJsonAsync(Customers, new { email = "ada@example.com" });
        referrer.Code.ShouldBe(201);
        var referee = await client.PostJsonAsync(Customers, new { email = "bob@example.com", referred_by = referrer.Str("referral_code") });
        referee.Code.ShouldBe(201, referee.Raw);
        return (referrer.Str("id"), referee.Str("id"));
    }

    private static async Task<int> ReferralEntriesAsync(HttpClient client, string id) =>
        (await client.GetJsonAsync($"{Customers}/{id}/points_transactions?limit=100"))["data"].EnumerateArray()
            .Count(e => e.GetProperty("reference").GetString()?.StartsWith("referral:", StringComparison.Ordinal) == true);

    private static async Task<int> CompletedEventsAsync(HttpClient client) =>
        (await client.GetJsonAsync("/api/v1/events?limit=100"))["data"].EnumerateArray()
            .Count(e => e.GetProperty("type").GetString() == "referral.completed");
}
