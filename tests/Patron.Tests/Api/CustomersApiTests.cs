using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Api;

public sealed class CustomersApiTests
{
    [Theory, DatabaseData]
    public async Task A_customer_created_by_email_is_found_by_every_kind_of_reference(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync("/api/v1/customers",
            new { email = " Ada@Example.COM ", phone = "+44 7700 900123", external_id = "shop-42", first_name = "Ada" });

        created.Status.ShouldBe(HttpStatusCode.Created);
        created.Str("email").ShouldBe("ada@example.com");
        created.Str("phone").ShouldBe("+447700900123");
        var id = created.Str("id");
        id.ShouldStartWith("cus_");

        foreach (var reference in new[] { id, "shop-42", "ada@example.com", "ADA@example.com", "%2B447700900123", created.Str("qr_code") })
        {
            var found = await server.Client.GetJsonAsync($"/api/v1/customers/{reference}");
            found.Status.ShouldBe(HttpStatusCode.OK, reference);
            found.Str("id").ShouldBe(id);
        }
    }
}
