using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Rewards.RewardsTestKit;

namespace Patron.Tests.Hardening;

/// <summary>
/// List inputs that are not what the list takes answer 422 naming the parameter (docs/API.md, Lists),
/// the voucher import takes text/plain, and free-form JSON properties are objects in the OpenAPI document.
/// </summary>
public sealed class ListInputTests
{
    private const string V1 = "/api/v1";

    private static string? Param(ApiResponse response) =>
        response.Body.ValueKind == JsonValueKind.Object && response.Body.TryGetProperty("error", out var e)
        && e.TryGetProperty("param", out var p) ? p.GetString() : null;

    [Theory, DatabaseData]
    public async Task An_unknown_value_of_a_closed_filter_answers_422_naming_the_parameter(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;

        foreach (var list in new[] { "orders", "customers", "redemptions", "referrals" })
        {
            var bogus = await client.GetJsonAsync($"{V1}/{list}?status=bogus");
            bogus.Code.ShouldBe(422, $"{list}: {bogus.Raw}");
            bogus.ErrorCode.ShouldBe("parameter_invalid");
            Param(bogus).ShouldBe("status", list);
        }
        (await client.GetJsonAsync($"{V1}/orders?status=paid")).Code.ShouldBe(200);
        (await client.GetJsonAsync($"{V1}/orders?status=refunded")).Code.ShouldBe(200);

        // A points transaction's type is a free label: an unknown one is an empty list.
        var label = await client.GetJsonAsync($"{V1}/points_transactions?type=bogus");
        label.Code.ShouldBe(200, label.Raw);
        label["data"].GetArrayLength().ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_starting_after_that_is_not_an_object_of_the_list_answers_422(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await NewCustomerAsync(client);
        await NewCustomerAsync(client);
        (await client.PostJsonAsync($"{V1}/orders", new { id = "O-1", customer_id = customer, total = 10m })).Code.ShouldBe(201);
        (await client.PostJsonAsync($"{V1}/orders", new { id = "O-2", customer_id = customer, total = 10m })).Code.ShouldBe(201);

        foreach (var list in new[] { "orders", "customers", "points_transactions", "events", "rewards", "activities" })
        {
            var garbage = await client.GetJsonAsync($"{V1}/{list}?starting_after=garbage");
            garbage.Code.ShouldBe(422, $"{list}: {garbage.Raw}");
            garbage.ErrorCode.ShouldBe("parameter_invalid");
            Param(garbage).ShouldBe("starting_after", list);
        }
        var missingOrder = await client.GetJsonAsync($"{V1}/orders?starting_after=O-404");
        missingOrder.Code.ShouldBe(422, missingOrder.Raw);
        Param(missingOrder).ShouldBe("starting_after");

        // A real cursor still continues the list.
        var first = await client.GetJsonAsync($"{V1}/orders?limit=1");
        var next = await client.GetJsonAsync($"{V1}/orders?limit=1&starting_after={first["data"][0].GetProperty("id").GetString()}");
        next.Code.ShouldBe(200, next.Raw);
        next["data"][0].GetProperty("id").GetString().ShouldBe("O-1");
        var customers = await client.GetJsonAsync($"{V1}/customers?limit=1");
        var after = await client.GetJsonAsync($"{V1}/customers?limit=1&starting_after={customers["data"][0].GetProperty("id").GetString()}");
        after.Code.ShouldBe(200, after.Raw);
        after["data"].GetArrayLength().ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Voucher_codes_import_as_text_plain_like_csv(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var reward = await NewRewardAsync(client, new { name = "Pool", type = "custom", points_cost = 1, code_source = "pool" });

        var plain = await client.SendRawAsync(HttpMethod.Post, $"{RewardsPath}/{reward}/voucher_codes", "code\nP-1\nP-2\n", "text/plain");

        plain.Code.ShouldBe(201, plain.Raw);
        plain.Long("imported").ShouldBe(2);
        (await client.GetJsonAsync($"{RewardsPath}/{reward}/voucher_codes/stats")).Long("available").ShouldBe(2);
    }

    [Theory, DatabaseData]
    public async Task Voucher_codes_that_are_not_storable_text_are_refused_and_import_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var reward = await NewRewardAsync(client, new { name = "Pool", type = "custom", points_cost = 1, code_source = "pool" });
        var path = $"{RewardsPath}/{reward}/voucher_codes";

        var surrogate = await client.SendRawAsync(HttpMethod.Post, path, """["OK-1","\ud800"]""");
        var surrogateKey = await client.SendRawAsync(HttpMethod.Post, path, """{"\ud800":1}""");
        var nul = await client.SendRawAsync(HttpMethod.Post, path, """{"codes":["OK-2","A\u0000B"]}""");
        var pair = await client.SendRawAsync(HttpMethod.Post, path, """["OK-\ud83c\udf81"]""");

        surrogate.Code.ShouldBe(422, surrogate.Raw);
        surrogate.ErrorParam.ShouldBe("codes");
        surrogateKey.Code.ShouldBe(422, surrogateKey.Raw);
        nul.Code.ShouldBe(422, nul.Raw);
        nul.ErrorParam.ShouldBe("codes");
        pair.Code.ShouldBe(201, pair.Raw);
        (await client.GetJsonAsync($"{path}/stats")).Long("available").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Free_form_json_properties_are_objects_in_the_openapi_document(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var doc = await server.Client.GetJsonAsync("/openapi/v1.json");

        doc.Code.ShouldBe(200);
        var schemas = doc["components"].GetProperty("schemas");
        foreach (var (schema, property) in new[] { ("ActivityDto", "properties"), ("EventDto", "data"), ("ActivityInput", "properties") })
        {
            var p = schemas.GetProperty(schema).GetProperty("properties").GetProperty(property);
            p.ValueKind.ShouldBe(JsonValueKind.Object, $"{schema}.{property}");
            var type = p.TryGetProperty("type", out var t) ? t.ToString() : "";
            type.ShouldContain("object", Case.Sensitive, $"{schema}.{property}: {p}");
            p.GetProperty("additionalProperties").ValueKind.ShouldBeOneOf(JsonValueKind.True, JsonValueKind.Object);
        }
    }
}
