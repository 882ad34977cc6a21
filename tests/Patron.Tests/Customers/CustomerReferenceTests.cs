using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Customers;

/// <summary>
/// A reference names a customer by Patron id, external id, email, phone or QR value, in that order of precedence
/// (docs/API.md). A Patron id is looked up alone first; these pin that the shortcut answers as the full lookup does.
/// </summary>
public sealed class CustomerReferenceTests
{
    [Theory, DatabaseData]
    public async Task A_Patron_id_finds_its_own_customer_before_one_whose_external_id_is_the_same_text_until_it_is_erased(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var first = await NewCustomerAsync(client);
        var second = (await client.PostJsonAsync(CustomersPath, new { external_id = first, initial_points = 5 })).Str("id");
        second.ShouldNotBe(first);

        (await client.GetJsonAsync($"{CustomersPath}/{first}")).Str("id").ShouldBe(first);
        var award = await client.PostJsonAsync(PointsPath(first), new { points = 7 });
        award.Code.ShouldBe(201);
        award.Str("customer_id").ShouldBe(first);

        (await client.DeleteJsonAsync($"{CustomersPath}/{first}")).Code.ShouldBe(200);
        (await client.GetJsonAsync($"{CustomersPath}/{first}")).Str("id").ShouldBe(second);
        (await client.PostJsonAsync(PointsPath(first), new { points = 3 })).Str("customer_id").ShouldBe(second);
        (await client.GetJsonAsync($"{CustomersPath}/{second}")).Long("points_balance").ShouldBe(8);
    }

    [Theory, DatabaseData]
    public async Task A_reference_shaped_like_a_Patron_id_that_names_no_customer_is_looked_up_as_the_other_kinds(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = (await client.PostJsonAsync(CustomersPath, new { external_id = "cus_from_the_old_system" })).Str("id");

        (await client.GetJsonAsync($"{CustomersPath}/cus_from_the_old_system")).Str("id").ShouldBe(customer);
        var missing = await client.GetJsonAsync($"{CustomersPath}/cus_nobody");
        missing.Code.ShouldBe(404);
    }
}
