using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Earning;

/// <summary>Every amount and count an order takes has a bound, and a value past it is a 422 naming the field, never a 500.</summary>
public sealed class OrderBoundsTests
{
    private const string Orders = "/api/v1/orders";

    [Theory, DatabaseData]
    public async Task Amounts_and_units_past_their_bounds_are_refused_with_the_field_named(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await TestKit.NewCustomerAsync(server.Client);
        await TestKit.OkAsync(server.Client.PostJsonAsync(Orders, new { id = "B-1", customer_id = c, total = 100m, status = "paid" }));

        var cases = new (Task<ApiResponse> Request, string Param)[]
        {
            (server.Client.PostJsonAsync($"{Orders}/B-1/refunds", new { amount = 920_000_000_000_000m }), "amount"),
            (server.Client.PostJsonAsync($"{Orders}/B-1/refunds", new { amount = 1e20m }), "amount"),
            (server.Client.PatchJsonAsync($"{Orders}/B-1", new { refunded_total = 1e20m }), "refunded_total"),
            (server.Client.PatchJsonAsync($"{Orders}/B-1", new { total = 1_000_000_000_000.0001m }), "total"),
            (server.Client.PatchJsonAsync($"{Orders}/B-1", new { units = long.MaxValue }), "units"),
            (server.Client.PostJsonAsync(Orders, new { id = "B-2", customer_id = c, total = 1e20m }), "total"),
        };
        foreach (var (request, param) in cases)
        {
            var answer = await request;
            answer.Code.ShouldBe(422, answer.Raw);
            answer["error"].GetProperty("param").GetString().ShouldBe(param, answer.Raw);
        }

        var order = await server.Client.GetJsonAsync($"{Orders}/B-1");
        order["refunded_total"].GetDecimal().ShouldBe(0m);
        order["total"].GetDecimal().ShouldBe(100m);
        (await TestKit.CustomerAsync(server.Client, c)).Long("points_balance").ShouldBe(100);
    }

    [Theory, DatabaseData]
    public async Task Item_quantities_that_add_up_past_the_64_bit_limit_are_capped_not_a_server_error(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await TestKit.SetProgramAsync(server.Client, new { earn_mode = "units", points_per_unit = 1 });
        var c = await TestKit.NewCustomerAsync(server.Client);
        var items = new[] { new { sku = "A", quantity = long.MaxValue }, new { sku = "B", quantity = long.MaxValue } };

        var paid = await server.Client.PostJsonAsync(Orders, new { id = "B-3", customer_id = c, total = 10m, status = "paid", items });

        paid.Code.ShouldBe(201, paid.Raw);
        paid.Long("units").ShouldBe(1_000_000_000_000);
        paid.Long("points_earned").ShouldBe(1_000_000_000_000);
    }

    [Theory, DatabaseData]
    public async Task A_refunded_order_whose_total_is_raised_is_paid_again_and_earns_on_what_is_not_refunded(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await TestKit.NewCustomerAsync(server.Client);
        await TestKit.OkAsync(server.Client.PostJsonAsync(Orders, new { id = "B-4", customer_id = c, total = 100m, status = "paid" }));
        (await TestKit.OkAsync(server.Client.PostJsonAsync($"{Orders}/B-4/refunds", new { amount = 100m }))).Str("status").ShouldBe("refunded");

        var raised = await TestKit.OkAsync(server.Client.PatchJsonAsync($"{Orders}/B-4", new { total = 150m }));

        raised.Str("status").ShouldBe("paid");
        raised.Long("points_credited").ShouldBe(50);
        (await TestKit.CustomerAsync(server.Client, c))["total_spent"].GetDecimal().ShouldBe(50m);
    }
}
