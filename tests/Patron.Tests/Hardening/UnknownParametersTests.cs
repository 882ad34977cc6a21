using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Hardening;

/// <summary>
/// A field or query parameter the native API does not take is 400 <c>parameter_unknown</c> naming it, as
/// Stripe answers, so that a typo is never a silent no-op. Free-form objects take any key; dialects follow
/// their own service.
/// </summary>
public sealed class UnknownParametersTests
{
    [Theory, DatabaseData]
    public async Task A_misspelt_body_field_is_refused_with_parameter_unknown_and_nothing_is_written(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await TestKit.NewCustomerAsync(server.Client);

        var answer = await server.Client.SendRawAsync(HttpMethod.Post, TestKit.PointsPath(c), """{"pionts": 100}""");

        answer.Code.ShouldBe(400, answer.Raw);
        answer.ErrorCode.ShouldBe("parameter_unknown");
        answer.ErrorType.ShouldBe("invalid_request_error");
        answer["error"].GetProperty("param").GetString().ShouldBe("pionts");
        (await TestKit.LedgerAsync(server.Client, c)).ShouldBeEmpty();
    }

    [Theory, DatabaseData]
    public async Task An_unknown_field_beside_valid_ones_is_named_even_when_the_rest_would_succeed(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var c = await TestKit.NewCustomerAsync(server.Client);

        var answer = await server.Client.PostJsonAsync(TestKit.PointsPath(c), new { points = 5, descripton = "typo" });

        answer.Code.ShouldBe(400, answer.Raw);
        answer["error"].GetProperty("param").GetString().ShouldBe("descripton");
        (await TestKit.BalanceAsync(server.Client, c)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_nested_unknown_field_is_named_by_its_dotted_path(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var answer = await server.Client.PatchJsonAsync("/api/v1/program", new { referral = new { referrer_pionts = 10 } });

        answer.Code.ShouldBe(400, answer.Raw);
        answer.ErrorCode.ShouldBe("parameter_unknown");
        answer["error"].GetProperty("param").GetString().ShouldBe("referral.referrer_pionts");
    }

    [Theory, DatabaseData]
    public async Task Free_form_objects_still_take_any_key(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await TestKit.OkAsync(server.Client.PostJsonAsync("/api/v1/earn_rules", new { type = "review", points = 10 }));
        var c = await TestKit.NewCustomerAsync(server.Client);

        var activity = await server.Client.PostJsonAsync("/api/v1/activities",
            new { customer_id = c, type = "review", properties = new { anything = 1, nested = new { pionts = 2 } } });
        var order = await server.Client.PostJsonAsync("/api/v1/orders",
            new { id = "U-1", customer_id = c, total = 10m, items = new[] { new { sku = "A", quantity = 1, whatever = true } } });

        activity.Code.ShouldBe(201, activity.Raw);
        order.Code.ShouldBe(201, order.Raw);
    }

    [Theory, DatabaseData]
    public async Task A_misspelt_list_filter_is_refused_with_parameter_unknown(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await TestKit.NewCustomerAsync(server.Client);

        var misspelt = await server.Client.GetJsonAsync("/api/v1/customers?emial=a@example.com");
        var orders = await server.Client.GetJsonAsync("/api/v1/orders?limit=5&stauts=paid");
        var known = await server.Client.GetJsonAsync("/api/v1/customers?limit=5&email=a@example.com&page=1");

        misspelt.Code.ShouldBe(400, misspelt.Raw);
        misspelt.ErrorCode.ShouldBe("parameter_unknown");
        misspelt["error"].GetProperty("param").GetString().ShouldBe("emial");
        orders.Code.ShouldBe(400, orders.Raw);
        orders["error"].GetProperty("param").GetString().ShouldBe("stauts");
        known.Code.ShouldBe(200, known.Raw);
    }

    [Theory, DatabaseData]
    public async Task A_dialect_keeps_ignoring_fields_its_service_ignores(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var created = await server.Client.PostJsonAsync("/compat/loyaltyplus/v1/owner/customers",
            new { name = "Ada", phone = "+4915112345678", somethingElse = "ignored" });

        created.Code.ShouldBeLessThan(300, created.Raw);
    }
}
