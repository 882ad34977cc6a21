using System.Net;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Earning;

/// <summary>
/// Points through time with a fake clock (docs/API.md, Program and Orders): pending until paid plus
/// <c>points_delay_days</c>, then available; what is left of each lot expires after
/// <c>points_expiry_days</c>, oldest lots first; the jobs are safe to run again.
/// </summary>
public sealed class PointsLifecycleTests
{
    private const string Orders = "/api/v1/orders";

    [Theory, DatabaseData]
    public async Task Order_points_are_pending_for_the_delay_and_then_become_available(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        (await SetProgramAsync(server.Client, new { points_delay_days = 14 })).Long("points_delay_days").ShouldBe(14);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync($"/api/v1/customers/{c}/points_transactions", new { points = 5 }));

        var paid = await server.Client.PostJsonAsync(Orders, new { id = "PD-1", customer_id = c, total = 200m, status = "paid" });

        paid.Long("points_pending").ShouldBe(200);
        paid.Long("points_credited").ShouldBe(0);
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("pending_points").ShouldBe(200);
        customer.Long("points_balance").ShouldBe(5);
        customer.Long("lifetime_points").ShouldBe(5);
        var pending = (await LedgerAsync(server.Client, c)).Single(e => e.OrderId == "PD-1");
        pending.Status.ShouldBe("pending");
        DateTimeOffset.Parse(pending.AvailableAt!, System.Globalization.CultureInfo.InvariantCulture)
            .ShouldBe(clock.GetUtcNow().AddDays(14), TimeSpan.FromSeconds(1));
        // Pending points cannot be spent.
        (await SpendAsync(server.Client, c, 6)).ErrorCode.ShouldBe("insufficient_points");

        clock.Advance(TimeSpan.FromDays(13));
        await server.RunJobsAsync();
        customer = await CustomerAsync(server.Client, c);
        customer.Long("pending_points").ShouldBe(200);
        customer.Long("points_balance").ShouldBe(5);
        customer.Long("lifetime_points").ShouldBe(5);

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await server.RunJobsAsync();
        await server.RunJobsAsync();
        customer = await CustomerAsync(server.Client, c);
        customer.Long("pending_points").ShouldBe(0);
        customer.Long("points_balance").ShouldBe(205);
        customer.Long("lifetime_points").ShouldBe(205);
        var order = await server.Client.GetJsonAsync($"{Orders}/PD-1");
        order.Long("points_pending").ShouldBe(0);
        order.Long("points_credited").ShouldBe(200);
        var entries = await LedgerAsync(server.Client, c);
        entries.Count.ShouldBe(2);
        entries.ShouldAllBe(e => e.Status == "available");
        entries.Sum(e => e.Points).ShouldBe(205);
        (await SpendAsync(server.Client, c, 205)).Status.ShouldBe(HttpStatusCode.Created);
    }

    [Theory, DatabaseData]
    public async Task The_delay_counts_from_payment_not_from_the_order(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        await SetProgramAsync(server.Client, new { points_delay_days = 14 });
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "PD-2", customer_id = c, total = 30m }));

        clock.Advance(TimeSpan.FromDays(10));
        await OkAsync(server.Client.PostJsonAsync($"{Orders}/PD-2/paid"));
        clock.Advance(TimeSpan.FromDays(10));
        await server.RunJobsAsync();
        (await CustomerAsync(server.Client, c)).Long("pending_points").ShouldBe(30);

        clock.Advance(TimeSpan.FromDays(4) + TimeSpan.FromMinutes(1));
        await server.RunJobsAsync();
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("pending_points").ShouldBe(0);
        customer.Long("points_balance").ShouldBe(30);
    }

    [Theory, DatabaseData]
    public async Task Expiry_takes_the_oldest_lots_first_after_partial_spending(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        (await SetProgramAsync(server.Client, new { points_expiry_days = 30 })).Long("points_expiry_days").ShouldBe(30);
        var c = await NewCustomerAsync(server.Client);

        // Day 0: lot A (100, expires day 30). Day 10: lot B (50, expires day 40). Spend 60: all from A.
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "EX-A", customer_id = c, total = 100m, status = "paid" }));
        clock.Advance(TimeSpan.FromDays(10));
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "EX-B", customer_id = c, total = 50m, status = "paid" }));
        (await SpendAsync(server.Client, c, 60)).Status.ShouldBe(HttpStatusCode.Created);
        var lots = await LedgerAsync(server.Client, c);
        lots.Single(e => e.OrderId == "EX-A").ExpiresAt.ShouldNotBeNull();
        lots.Single(e => e.OrderId == "EX-B").ExpiresAt.ShouldNotBeNull();

        // Day 29: nothing is due yet.
        clock.Advance(TimeSpan.FromDays(19));
        await server.RunJobsAsync();
        (await CustomerAsync(server.Client, c)).Long("points_expired").ShouldBe(0);

        // Past day 30: only A's remainder (40) expires, and running the job again expires nothing more.
        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await server.RunJobsAsync();
        await server.RunJobsAsync();
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(50);
        customer.Long("points_expired").ShouldBe(40);
        customer.Long("points_spent").ShouldBe(60);
        customer.Long("lifetime_points").ShouldBe(150);
        var expired = (await LedgerAsync(server.Client, c)).Where(e => e.Type == "expired").ToList();
        expired.Select(e => e.Points).ShouldBe([-40L]);
        expired[0].Status.ShouldBe("available");
        expired[0].BalanceAfter.ShouldBe(50);

        // Past day 40: B expires whole.
        clock.Advance(TimeSpan.FromDays(10));
        await server.RunJobsAsync();
        await server.RunJobsAsync();
        customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(0);
        customer.Long("points_expired").ShouldBe(90);
        var entries = await LedgerAsync(server.Client, c);
        entries.Where(e => e.Type == "expired").Select(e => e.Points).ShouldBe([-40L, -50L]);
        entries.Sum(e => e.Points).ShouldBe(0);

        // Much later, with nothing left: still nothing more.
        clock.Advance(TimeSpan.FromDays(400));
        await server.RunJobsAsync();
        (await LedgerAsync(server.Client, c)).Count(e => e.Type == "expired").ShouldBe(2);
    }

    [Theory, DatabaseData]
    public async Task Spending_across_lots_takes_the_oldest_first_and_expiry_takes_only_what_is_left(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        var (c, award) = await CustomerWithThirtyDayLotsAsync(server.Client);

        await OkAsync(server.Client.PostJsonAsync(award, new { points = 30 }));          // day 0, expires day 30
        clock.Advance(TimeSpan.FromDays(5));
        await OkAsync(server.Client.PostJsonAsync(award, new { points = 40, type = "adjusted" })); // day 5, expires day 35
        clock.Advance(TimeSpan.FromDays(5));
        await OkAsync(server.Client.PostJsonAsync(award, new { points = 50 }));          // day 10, expires day 40
        (await SpendAsync(server.Client, c, 45)).Status.ShouldBe(HttpStatusCode.Created); // 30 from the first, 15 from the second

        clock.Advance(TimeSpan.FromDays(20) + TimeSpan.FromMinutes(1)); // day 30: the first lot is empty
        await server.RunJobsAsync();
        (await CustomerAsync(server.Client, c)).Long("points_expired").ShouldBe(0);

        clock.Advance(TimeSpan.FromDays(5)); // day 35: 25 left of the second
        await server.RunJobsAsync();
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_expired").ShouldBe(25);
        customer.Long("points_balance").ShouldBe(50);

        clock.Advance(TimeSpan.FromDays(5)); // day 40: the third, whole
        await server.RunJobsAsync();
        customer = await CustomerAsync(server.Client, c);
        customer.Long("points_expired").ShouldBe(75);
        customer.Long("points_balance").ShouldBe(0);
        customer.Long("points_spent").ShouldBe(45);
        (await LedgerAsync(server.Client, c)).Where(e => e.Type == "expired").Select(e => e.Points).ShouldBe([-25L, -50L]);
    }

    [Theory, DatabaseData]
    public async Task A_spend_that_empties_the_oldest_lot_exactly_leaves_the_next_spend_to_the_next_lot(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        var (c, award) = await CustomerWithThirtyDayLotsAsync(server.Client);

        await OkAsync(server.Client.PostJsonAsync(award, new { points = 30 }));          // day 0, expires day 30
        clock.Advance(TimeSpan.FromDays(5));
        await OkAsync(server.Client.PostJsonAsync(award, new { points = 40 }));          // day 5, expires day 35
        (await SpendAsync(server.Client, c, 30)).Status.ShouldBe(HttpStatusCode.Created); // all of the first
        (await SpendAsync(server.Client, c, 10)).Status.ShouldBe(HttpStatusCode.Created); // 10 of the second
        (await SpendAsync(server.Client, c, 31)).ErrorCode.ShouldBe("insufficient_points"); // 30 left

        clock.Advance(TimeSpan.FromDays(25) + TimeSpan.FromMinutes(1)); // day 30: the first lot is empty
        await server.RunJobsAsync();
        (await CustomerAsync(server.Client, c)).Long("points_expired").ShouldBe(0);
        clock.Advance(TimeSpan.FromDays(5)); // day 35: the 30 left of the second
        await server.RunJobsAsync();
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_expired").ShouldBe(30);
        customer.Long("points_balance").ShouldBe(0);
        customer.Long("points_spent").ShouldBe(40);
    }

    [Theory, DatabaseData]
    public async Task A_spend_larger_than_a_thousand_lots_empties_every_older_lot_before_it_takes_from_a_newer_one(string database)
    {
        // More lots than one step of the spend reaches on either database (50 a read on SQLite, 1,000 a walk on PostgreSQL).
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        var (c, award) = await CustomerWithThirtyDayLotsAsync(server.Client);
        const int Lots = 1_010;
        for (var i = 0; i < Lots; i += 10)
        {
            // day 0: lots of 1, expiring day 30, ten at a time
            await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => OkAsync(server.Client.PostJsonAsync(award, new { points = 1 }))));
        }
        clock.Advance(TimeSpan.FromDays(10));
        await OkAsync(server.Client.PostJsonAsync(award, new { points = 100 }));         // day 10: one lot of 100, expiring day 40

        (await SpendAsync(server.Client, c, Lots + 10)).Status.ShouldBe(HttpStatusCode.Created); // every lot of 1, then 10 of the hundred

        clock.Advance(TimeSpan.FromDays(20) + TimeSpan.FromMinutes(1)); // day 30: nothing is left in the lots of 1
        await server.RunJobsAsync();
        (await CustomerAsync(server.Client, c)).Long("points_expired").ShouldBe(0);
        clock.Advance(TimeSpan.FromDays(10)); // day 40: the 90 left of the hundred
        await server.RunJobsAsync();
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_expired").ShouldBe(90);
        customer.Long("points_balance").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Expiry_zero_means_never(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        await SetProgramAsync(server.Client, new { points_expiry_days = 30 });
        var program = await SetProgramAsync(server.Client, new { points_expiry_days = 0 });
        program["points_expiry_days"].ValueKind.ShouldBe(JsonValueKind.Null);
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "NV-1", customer_id = c, total = 20m, status = "paid" }));

        clock.Advance(TimeSpan.FromDays(3650));
        await server.RunJobsAsync();

        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(20);
        customer.Long("points_expired").ShouldBe(0);
        (await LedgerAsync(server.Client, c)).ShouldAllBe(e => e.ExpiresAt == null);
    }

    [Theory, DatabaseData]
    public async Task Pending_points_expire_only_after_they_became_available_and_their_expiry_passed(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        await SetProgramAsync(server.Client, new { points_delay_days = 14, points_expiry_days = 30 });
        var c = await NewCustomerAsync(server.Client);
        await OkAsync(server.Client.PostJsonAsync(Orders, new { id = "PE-1", customer_id = c, total = 70m, status = "paid" }));

        clock.Advance(TimeSpan.FromDays(15));
        await server.RunJobsAsync();
        var customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(70);
        customer.Long("pending_points").ShouldBe(0);
        (await LedgerAsync(server.Client, c)).Single().ExpiresAt.ShouldNotBeNull();

        clock.Advance(TimeSpan.FromDays(30));
        await server.RunJobsAsync();
        await server.RunJobsAsync();
        customer = await CustomerAsync(server.Client, c);
        customer.Long("points_balance").ShouldBe(0);
        customer.Long("points_expired").ShouldBe(70);
        customer.Long("lifetime_points").ShouldBe(70);
    }

    /// <summary>Sets the program's points to expire after 30 days; a new customer and the path that awards them points.</summary>
    private static async Task<(string Customer, string AwardPath)> CustomerWithThirtyDayLotsAsync(HttpClient client)
    {
        await SetProgramAsync(client, new { points_expiry_days = 30 });
        var c = await NewCustomerAsync(client);
        return (c, $"/api/v1/customers/{c}/points_transactions");
    }
}
