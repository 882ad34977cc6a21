using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Patron.Domain;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Patron.Webhooks;
using Shouldly;

namespace Patron.Tests.Hardening;

/// <summary>
/// Free-form JSON stored before unpaired surrogates were refused (docs/API.md, Errors): such text is read back
/// with U+FFFD in place of each lone surrogate, so the lists and webhooks that show it keep working.
/// </summary>
public sealed class StoredTextTests
{
    [Theory, DatabaseData]
    public async Task Activities_orders_and_events_stored_with_a_lone_surrogate_are_shown_with_a_replacement_character(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        await TestKit.OkAsync(client.PostJsonAsync("/api/v1/earn_rules", new { type = "review", points = 10 }));
        var customer = await TestKit.NewCustomerAsync(client);
        await TestKit.OkAsync(client.PostJsonAsync("/api/v1/activities", new { customer_id = customer, type = "review", properties = new { note = "ok" } }));
        await TestKit.OkAsync(client.PostJsonAsync("/api/v1/orders",
            new { id = "S-1", customer_id = customer, total = 10m, items = new[] { new { sku = "A", name = "ok" } } }));
        // What such input left in the database before it was refused: the escapes as the request spelled them.
        await ExecuteAsync(server,
            """UPDATE activities SET properties = '{"note":"a\ud800b","pair":"\ud83d\ude00","slash":"\\ud800"}' WHERE customer_id = @c""",
            customer);
        await ExecuteAsync(server, """UPDATE orders SET items = '[{"sku":"A","name":"\udc00"}]' WHERE customer_id = @c""", customer);
        await ExecuteAsync(server,
            """UPDATE events SET data = replace(data, '"name":"ok"', '"name":"\udc00"') WHERE subject_id = @c AND type = 'order.updated'""",
            customer);

        var activities = await client.GetJsonAsync($"/api/v1/activities?customer_id={customer}");
        var order = await client.GetJsonAsync("/api/v1/orders/S-1");
        var orders = await client.GetJsonAsync("/api/v1/orders");
        var events = await client.GetJsonAsync("/api/v1/events?type=order.updated");

        activities.Code.ShouldBe(200, activities.Raw);
        var properties = activities["data"][0].GetProperty("properties");
        properties.GetProperty("note").GetString().ShouldBe("a\uFFFDb");
        properties.GetProperty("pair").GetString().ShouldBe("\U0001F600");
        properties.GetProperty("slash").GetString().ShouldBe("\\ud800");
        order.Code.ShouldBe(200, order.Raw);
        order["items"][0].GetProperty("name").GetString().ShouldBe("\uFFFD");
        orders.Code.ShouldBe(200, orders.Raw);
        events.Code.ShouldBe(200, events.Raw);
        events["data"].EnumerateArray().Select(e => e.GetProperty("data").GetProperty("items")[0].GetProperty("name").GetString())
            .ShouldAllBe(name => name == "\uFFFD");
    }

    [Fact]
    public void A_webhook_body_carries_a_replacement_character_where_the_stored_event_holds_a_lone_surrogate()
    {
        var body = WebhookSender.Body("evt_1", EventTypes.OrderUpdated, DateTimeOffset.UnixEpoch, """{"items":[{"name":"x\udc00\ud800"}]}""");

        using var json = JsonDocument.Parse(body);
        json.RootElement.GetProperty("data").GetProperty("items")[0].GetProperty("name").GetString().ShouldBe("x\uFFFD\uFFFD");
        Encoding.UTF8.GetString(body).ShouldNotContain("\\ud", Case.Insensitive);
    }

    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"b"}""")]
    [InlineData("""{"a":"\ud800"}""", """{"a":"\ufffd"}""")]
    [InlineData("""{"a":"\uDC00x"}""", """{"a":"\ufffdx"}""")]
    [InlineData("""{"a":"\ud800\ud800\udc00"}""", """{"a":"\ufffd\ud800\udc00"}""")]
    [InlineData("""{"\ud83d":"\ud83d\ude00"}""", """{"\ufffd":"\ud83d\ude00"}""")]
    [InlineData("""{"a":"\\ud800","b":"\\\ud800"}""", """{"a":"\\ud800","b":"\\\ufffd"}""")]
    [InlineData("""{"a":"\u00e9\ud800"}""", """{"a":"\u00e9\ufffd"}""")]
    [InlineData("""{"a":"end\ud800""", """{"a":"end\ufffd""")]
    public void Stored_json_has_each_lone_surrogate_escape_replaced_and_nothing_else_changed(string stored, string read) =>
        StoredJson.Readable(stored).ShouldBe(read);

    private static async Task ExecuteAsync(PatronServer server, string statement, string customer)
    {
        var db = server.App.Services.GetRequiredService<Database>();
        await using var connection = await db.OpenAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        (await new Sql(connection, transaction).ExecuteAsync(statement, ("c", customer))).ShouldBeGreaterThan(0);
        await transaction.CommitAsync(TestContext.Current.CancellationToken);
    }
}
