using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Earning;

/// <summary>
/// Editing a paid order re-prices it with the rate in force when it earned, so a tier that the order
/// itself unlocked does not re-price the order, and only the difference is credited or taken back.
/// </summary>
public sealed class OrderRepricingTests
{
    private const string Orders = "/api/v1/orders";

    [Theory, DatabaseData]
    public async Task Raising_a_paid_order_that_unlocked_a_spend_tier_credits_only_the_difference_at_the_rate_it_earned(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tier = await server.Client.PostJsonAsync("/api/v1/vip_tiers", new { name = "Gold", spend_required = 100m, multiplier = 1.25m });
        tier.Status.ShouldBe(HttpStatusCode.Created, tier.Raw);
        var c = await TestKit.NewCustomerAsync(server.Client);
        var paid = await TestKit.OkAsync(server.Client.PostJsonAsync(Orders, new { id = "RP-1", customer_id = c, total = 100m, status = "paid" }));
        paid.Long("points_credited").ShouldBe(100);
        (await TestKit.CustomerAsync(server.Client, c)).Str("vip_tier").ShouldBe("Gold");

        var raised = await TestKit.OkAsync(server.Client.PatchJsonAsync($"{Orders}/RP-1", new { total = 101m }));

        raised.Long("points_earned").ShouldBe(101);
        raised.Long("points_credited").ShouldBe(101);
        (await TestKit.CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(101);
    }

    [Theory, DatabaseData]
    public async Task Lowering_a_paid_order_takes_back_only_the_difference_at_the_rate_it_earned(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await TestKit.NewCustomerAsync(server.Client);
        // The order earns at 1x; the customer then reaches a 2x points tier by other means.
        await TestKit.OkAsync(server.Client.PostJsonAsync(Orders, new { id = "RP-2", customer_id = c, total = 100m, status = "paid" }));
        var tier = await server.Client.PostJsonAsync("/api/v1/vip_tiers", new { name = "Double", points_required = 150, multiplier = 2m });
        tier.Status.ShouldBe(HttpStatusCode.Created, tier.Raw);
        await TestKit.OkAsync(server.Client.PostJsonAsync($"/api/v1/customers/{c}/points_transactions",
            new { points = 100, type = "adjusted", description = "goodwill" }));
        (await TestKit.CustomerAsync(server.Client, c)).Str("vip_tier").ShouldBe("Double");

        var lowered = await TestKit.OkAsync(server.Client.PatchJsonAsync($"{Orders}/RP-2", new { total = 80m }));

        lowered.Long("points_earned").ShouldBe(80);
        lowered.Long("points_credited").ShouldBe(80);
        (await TestKit.CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(180);
    }
}
