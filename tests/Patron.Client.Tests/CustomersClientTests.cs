using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Client.Tests;

/// <summary>Customers and the ledger through the client, against a real server on both databases.</summary>
public sealed class CustomersClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, DatabaseData]
    public async Task A_customer_created_through_the_client_reads_back_by_email_with_every_field(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        using var patron = server.Client();
        var email = ClientKit.UniqueEmail();

        var created = await patron.Customers.CreateAsync(new()
        {
            Email = email.ToUpperInvariant(),
            FirstName = "Ada",
            LastName = "Lovelace",
            Phone = "+44 7700 900123",
            Birthday = "1815-12-10",
            ExternalId = "shop-42",
            InitialPoints = 50,
        }, cancellationToken: Ct);

        created.Object.ShouldBe("customer");
        created.Id.ShouldStartWith("cus_");
        created.Email.ShouldBe(email);
        created.Phone.ShouldBe("+447700900123");
        created.PointsBalance.ShouldBe(50);
        created.CreatedAt.ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(-5));

        var found = await patron.Customers.GetAsync(email, cancellationToken: Ct);
        found.Id.ShouldBe(created.Id);
        found.FirstName.ShouldBe("Ada");
        found.Birthday.ShouldBe("1815-12-10");
        found.ExternalId.ShouldBe("shop-42");
        (await patron.Customers.GetAsync("+447700900123", cancellationToken: Ct)).Id.ShouldBe(created.Id);

        var updated = await patron.Customers.UpdateAsync(created.Id, new() { FirstName = "Augusta", Notes = "VIP" }, cancellationToken: Ct);
        updated.FirstName.ShouldBe("Augusta");
        updated.LastName.ShouldBe("Lovelace");
        updated.Notes.ShouldBe("VIP");
    }

    [Theory, DatabaseData]
    public async Task Points_awarded_and_deducted_through_the_client_move_the_balance_and_show_in_the_ledger(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        using var patron = server.Client();
        var customer = await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct);

        var award = await patron.PointsTransactions.AwardAsync(customer.Id, 120, "Order 1001", "order-1001", cancellationToken: Ct);
        award.Points.ShouldBe(120);
        award.Kind.ShouldBe("earned");
        award.BalanceAfter.ShouldBe(120);
        award.Reference.ShouldBe("order-1001");
        var again = await patron.PointsTransactions.AwardAsync(customer.Id, 120, "Order 1001", "order-1001", cancellationToken: Ct);
        again.Id.ShouldBe(award.Id);

        var deduction = await patron.PointsTransactions.DeductAsync(customer.Id, 20, "Coffee", cancellationToken: Ct);
        deduction.Points.ShouldBe(-20);
        deduction.Type.ShouldBe("redeemed");
        deduction.BalanceAfter.ShouldBe(100);

        (await patron.Customers.GetAsync(customer.Id, cancellationToken: Ct)).PointsBalance.ShouldBe(100);
        var ledger = await patron.PointsTransactions.ListForCustomerAsync(customer.Id, cancellationToken: Ct);
        ledger.Data.Select(e => e.Points).ShouldBe([-20L, 120L]);
        ledger.TotalCount.ShouldBe(2);
        (await patron.PointsTransactions.GetAsync(award.Id, cancellationToken: Ct)).Description.ShouldBe("Order 1001");
        var filtered = await patron.PointsTransactions.ListAsync(new() { CustomerId = customer.Id, Type = "redeemed" }, cancellationToken: Ct);
        filtered.Data.Single().Id.ShouldBe(deduction.Id);
    }

    [Theory, DatabaseData]
    public async Task Auto_paging_walks_250_customers_once_each_following_starting_after(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var recorder = new RecordingHandler();
        using var patron = server.Client(handler: recorder);
        var created = new HashSet<string>();
        for (var batch = 0; batch < 25; batch++)
        {
            var customers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
                patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct)));
            created.UnionWith(customers.Select(c => c.Id));
        }
        created.Count.ShouldBe(250);

        var pagesBefore = recorder.Requests.Count;
        var seen = new List<string>();
        await foreach (var customer in patron.Customers.ListAutoPagingAsync(new() { Limit = 100 }, cancellationToken: Ct))
        {
            seen.Add(customer.Id);
        }

        seen.Count.ShouldBe(250);
        seen.ToHashSet().SetEquals(created).ShouldBeTrue();
        seen.ShouldBe(seen.OrderByDescending(id => id, StringComparer.Ordinal).ToList(), "most recent first, without repeats");
        var pages = recorder.Requests.Skip(pagesBefore).ToList();
        pages.Count.ShouldBe(3);
        pages[0].PathAndQuery.ShouldNotContain("starting_after");
        pages[1].PathAndQuery.ShouldContain($"starting_after={seen[99]}");
        pages[2].PathAndQuery.ShouldContain($"starting_after={seen[199]}");

        var first = await patron.Customers.ListAsync(new() { Limit = 100 }, cancellationToken: Ct);
        first.TotalCount.ShouldBe(250);
        first.HasMore.ShouldBeTrue();
        first.Data.Select(c => c.Id).ShouldBe(seen.Take(100));
    }
}
