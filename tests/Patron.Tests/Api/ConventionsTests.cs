using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Api;

/// <summary>docs/API.md (ids, timestamps, objects, lists, deletes) and section 1 (health, readiness, OpenAPI, docs).</summary>
public sealed partial class ConventionsTests(SharedServers servers) : IClassFixture<SharedServers>
{
    private const string V1 = "/api/v1";

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")]
    private static partial Regex Timestamp();

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex SnakeCase();

    [Theory, DatabaseData]
    public async Task Ids_carry_their_prefix_timestamps_are_UTC_with_milliseconds_and_every_object_names_its_type(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewTenantAsync("conventions");

        var customer = await tenant.Admin.PostJsonAsync($"{V1}/customers", new { email = "ada@example.com", birthday = "1990-12-10" });
        customer.Code.ShouldBe(201, customer.Raw);
        var entry = await tenant.Admin.PostJsonAsync($"{V1}/customers/{customer.Str("id")}/points_transactions", new { points = 10 });
        entry.Code.ShouldBe(201, entry.Raw);
        var key = await tenant.Admin.PostJsonAsync($"{V1}/api_keys", new { scope = "read", name = "till", expires_at = "2099-01-01T00:00:00Z" });
        key.Code.ShouldBe(201, key.Raw);
        var events = await tenant.Admin.GetJsonAsync($"{V1}/events");
        events.Code.ShouldBe(200, events.Raw);
        var program = await tenant.Admin.GetJsonAsync($"{V1}/program");
        program.Code.ShouldBe(200, program.Raw);

        customer.Str("id").ShouldMatch("^cus_[0-9A-Za-z]+$");
        customer.Str("object").ShouldBe("customer");
        entry.Str("id").ShouldMatch("^ptx_[0-9A-Za-z]+$");
        entry.Str("object").ShouldBe("points_transaction");
        entry.Str("customer_id").ShouldBe(customer.Str("id"));
        key.Str("id").ShouldMatch("^key_[0-9A-Za-z]+$");
        key.Str("object").ShouldBe("api_key");
        // docs/API.md: sk_ followed by at least 32 URL-safe random characters.
        key.Str("secret").ShouldMatch("^sk_[A-Za-z0-9_-]{32,}$");
        key.Str("expires_at").ShouldBe("2099-01-01T00:00:00.000Z");
        program.Str("id").ShouldBe(tenant.ProgramId);
        program.Str("id").ShouldStartWith("prog_");
        program.Str("object").ShouldBe("program");
        events.Str("object").ShouldBe("list");
        events["data"].GetArrayLength().ShouldBe(2);
        foreach (var e in events["data"].EnumerateArray())
        {
            e.GetProperty("id").GetString()!.ShouldMatch("^evt_[0-9A-Za-z]+$");
            e.GetProperty("object").GetString().ShouldBe("event");
        }
        events["data"].EnumerateArray().Select(e => e.GetProperty("type").GetString())
            .ShouldBe(["points.created", "customer.created"]);
        var single = await tenant.Admin.GetJsonAsync($"{V1}/events/{events["data"][0].GetProperty("id").GetString()}");
        single.Code.ShouldBe(200, single.Raw);
        single["data"].GetProperty("object").GetString().ShouldBe("points_transaction");
        single["data"].GetProperty("id").GetString().ShouldBe(entry.Str("id"));

        var timestamps = 0;
        foreach (var posted in new[] { customer, entry, key })
        {
            timestamps += CheckConventions(posted.Body, "$", posted.Raw);
        }
        foreach (var path in new[]
                 {
                     $"{V1}/program", $"{V1}/events", $"{V1}/events/{single.Str("id")}", $"{V1}/customers",
                     $"{V1}/customers/{customer.Str("id")}", $"{V1}/customers/{customer.Str("id")}/points_transactions",
                     $"{V1}/points_transactions", $"{V1}/points_transactions/{entry.Str("id")}", $"{V1}/api_keys",
                 })
        {
            var answer = await MalformedRequestTests.SendAsync(tenant.Admin, new HttpRequestMessage(HttpMethod.Get, path));
            answer.Status.ShouldBe(200, answer.Raw);
            answer.MediaType.ShouldBe("application/json", path);
            timestamps += CheckConventions(answer.Body, path, answer.Raw);
        }
        timestamps.ShouldBeGreaterThan(20);
    }

    /// <summary>Walks a JSON answer: snake_case names, "object" on every object with an id, *_at values as UTC milliseconds.</summary>
    private static int CheckConventions(JsonElement element, string path, string raw)
    {
        var timestamps = 0;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (element.TryGetProperty("id", out _) || element.TryGetProperty("data", out _))
                {
                    element.TryGetProperty("object", out var type).ShouldBeTrue($"{path} has no \"object\": {raw}");
                    type.ValueKind.ShouldBe(JsonValueKind.String, path);
                }
                foreach (var property in element.EnumerateObject())
                {
                    var child = $"{path}.{property.Name}";
                    property.Name.ShouldMatch(SnakeCase().ToString(), child);
                    if (property.Name.EndsWith("_at", StringComparison.Ordinal) && property.Value.ValueKind != JsonValueKind.Null)
                    {
                        property.Value.GetString()!.ShouldMatch(Timestamp().ToString(), child);
                        timestamps++;
                    }
                    timestamps += CheckConventions(property.Value, child, raw);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    timestamps += CheckConventions(item, $"{path}[{i++}]", raw);
                }
                break;
        }
        return timestamps;
    }

    [Theory, DatabaseData]
    public async Task A_DELETE_answers_the_id_the_object_type_and_deleted_true(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewTenantAsync("deletes");
        var customer = await tenant.Admin.PostJsonAsync($"{V1}/customers", new { external_id = "gone-1" });
        var key = await tenant.Admin.PostJsonAsync($"{V1}/api_keys", new { scope = "write" });

        var deletedCustomer = await tenant.Admin.DeleteJsonAsync($"{V1}/customers/gone-1");
        var deletedKey = await tenant.Admin.DeleteJsonAsync($"{V1}/api_keys/{key.Str("id")}");

        deletedCustomer.Code.ShouldBe(200, deletedCustomer.Raw);
        deletedCustomer.Body.EnumerateObject().Select(p => p.Name).Order().ShouldBe(["deleted", "id", "object"]);
        deletedCustomer.Str("id").ShouldBe(customer.Str("id"));
        deletedCustomer.Str("object").ShouldBe("customer");
        deletedCustomer["deleted"].GetBoolean().ShouldBeTrue();
        deletedKey.Code.ShouldBe(200, deletedKey.Raw);
        deletedKey.Body.EnumerateObject().Select(p => p.Name).Order().ShouldBe(["deleted", "id", "object"]);
        deletedKey.Str("id").ShouldBe(key.Str("id"));
        deletedKey.Str("object").ShouldBe("api_key");
        deletedKey["deleted"].GetBoolean().ShouldBeTrue();
        (await tenant.Admin.GetJsonAsync($"{V1}/customers/{customer.Str("id")}")).Code.ShouldBe(404);
    }

    [Theory, DatabaseData]
    public async Task Lists_page_by_limit_and_page_most_recent_first_with_total_count_and_has_more(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewTenantAsync("paging");
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var c = await tenant.Admin.PostJsonAsync($"{V1}/customers", new { external_id = $"page-{i}" });
            c.Code.ShouldBe(201, c.Raw);
            created.Add(c.Str("id"));
            (await tenant.Admin.PostJsonAsync($"{V1}/customers/page-0/points_transactions", new { points = i + 1 })).Code.ShouldBe(201);
        }
        created.Reverse();

        // Customers: 5, ledger: 5 entries (all on page-0), events: 5 customer.created + 5 points.created.
        foreach (var (path, total) in new[]
                 {
                     ($"{V1}/customers", 5), ($"{V1}/points_transactions", 5), ($"{V1}/customers/page-0/points_transactions", 5),
                     ($"{V1}/events", 10), ($"{V1}/api_keys", 3),
                 })
        {
            var all = await tenant.Admin.GetJsonAsync(path);
            all.Code.ShouldBe(200, all.Raw);
            all.Body.EnumerateObject().Select(p => p.Name).ShouldBe(["object", "data", "page", "limit", "total_count", "has_more"], ignoreOrder: true);
            all.Str("object").ShouldBe("list");
            all.Long("page").ShouldBe(1);
            all.Long("limit").ShouldBe(20);
            all.Long("total_count").ShouldBe(total, path);
            all["has_more"].GetBoolean().ShouldBeFalse();
            var ids = Ids(all);
            ids.Count.ShouldBe(total, path);
            // Most recent first: ids are time-ordered, and created_at never increases down the list.
            ids.ShouldBe(ids.OrderDescending(StringComparer.Ordinal).ToList(), path);
            var times = all["data"].EnumerateArray().Select(d => d.GetProperty("created_at").GetString()!).ToList();
            times.ShouldBe(times.OrderDescending(StringComparer.Ordinal).ToList(), path);

            var paged = new List<string>();
            var pages = (total + 1) / 2;
            for (var page = 1; page <= pages + 1; page++)
            {
                var response = await tenant.Admin.GetJsonAsync($"{path}?limit=2&page={page}");
                response.Code.ShouldBe(200, response.Raw);
                response.Long("page").ShouldBe(page);
                response.Long("limit").ShouldBe(2);
                response.Long("total_count").ShouldBe(total);
                response["has_more"].GetBoolean().ShouldBe(page < pages, $"{path} page {page}");
                var expected = page <= pages ? Math.Min(2, total - ((page - 1) * 2)) : 0;
                Ids(response).Count.ShouldBe(expected, $"{path} page {page}");
                paged.AddRange(Ids(response));
            }
            paged.ShouldBe(ids, path);

            var exact = await tenant.Admin.GetJsonAsync($"{path}?limit={total}");
            exact["has_more"].GetBoolean().ShouldBeFalse(path);
            Ids(exact).ShouldBe(ids, path);
            var oneShort = await tenant.Admin.GetJsonAsync($"{path}?limit={total - 1}");
            oneShort["has_more"].GetBoolean().ShouldBeTrue(path);
            (await tenant.Admin.GetJsonAsync($"{path}?limit=100")).Code.ShouldBe(200);
            (await tenant.Admin.GetJsonAsync($"{path}?limit=1")).Code.ShouldBe(200);
        }

        Ids(await tenant.Admin.GetJsonAsync($"{V1}/customers")).ShouldBe(created);
    }

    [Theory, DatabaseData]
    public async Task Starting_after_pages_by_cursor_through_the_same_order_without_repeats(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewTenantAsync("cursors");
        for (var i = 0; i < 5; i++)
        {
            (await tenant.Admin.PostJsonAsync($"{V1}/customers", new { external_id = $"cursor-{i}" })).Code.ShouldBe(201);
            (await tenant.Admin.PostJsonAsync($"{V1}/customers/cursor-0/points_transactions", new { points = 1 })).Code.ShouldBe(201);
        }

        foreach (var path in new[] { $"{V1}/customers", $"{V1}/points_transactions", $"{V1}/customers/cursor-0/points_transactions", $"{V1}/events", $"{V1}/api_keys" })
        {
            var expected = Ids(await tenant.Admin.GetJsonAsync($"{path}?limit=100"));
            expected.Count.ShouldBeGreaterThanOrEqualTo(3, path);
            var walked = new List<string>();
            string? cursor = null;
            for (var step = 0; step < 20; step++)
            {
                var response = await tenant.Admin.GetJsonAsync(cursor is null ? $"{path}?limit=2" : $"{path}?limit=2&starting_after={cursor}");
                response.Code.ShouldBe(200, response.Raw);
                response.Str("object").ShouldBe("list");
                response.Long("limit").ShouldBe(2);
                var ids = Ids(response);
                walked.AddRange(ids);
                response["has_more"].GetBoolean().ShouldBe(walked.Count < expected.Count, $"{path} after {walked.Count}");
                if (!response["has_more"].GetBoolean())
                {
                    break;
                }
                cursor = ids[^1];
            }
            walked.ShouldBe(expected, path);

            var afterLast = await tenant.Admin.GetJsonAsync($"{path}?starting_after={expected[^1]}");
            afterLast.Code.ShouldBe(200);
            Ids(afterLast).ShouldBeEmpty();
            afterLast["has_more"].GetBoolean().ShouldBeFalse();
        }
    }

    [Theory, DatabaseData]
    public async Task Health_readiness_OpenAPI_and_docs_answer_without_an_API_key(string database)
    {
        var server = await servers.ForAsync(database);
        var anonymous = server.ClientWithKey(null);

        var health = await MalformedRequestTests.SendAsync(anonymous, new HttpRequestMessage(HttpMethod.Get, "/healthz"));
        health.Status.ShouldBe(200, health.Raw);
        health.MediaType.ShouldBe("application/json");
        var ready = await MalformedRequestTests.SendAsync(anonymous, new HttpRequestMessage(HttpMethod.Get, "/readyz"));
        ready.Status.ShouldBe(200, ready.Raw);
        (await anonymous.GetJsonAsync($"{V1}/program")).Code.ShouldBe(401);

        var openApi = await MalformedRequestTests.SendAsync(anonymous, new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json"));
        openApi.Status.ShouldBe(200);
        openApi.MediaType.ShouldBe("application/json");
        openApi.Body.ValueKind.ShouldBe(JsonValueKind.Object, openApi.Raw[..Math.Min(200, openApi.Raw.Length)]);
        openApi.Body.GetProperty("openapi").GetString().ShouldStartWith("3.");
        var paths = openApi.Body.GetProperty("paths");
        var documented = paths.EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {Normalize(p.Name)}"))
            .ToHashSet();
        var routes = server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith(V1, StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {Normalize(e.RoutePattern.RawText!)}"))
            .Where(route => !route.StartsWith("OPTIONS ", StringComparison.Ordinal)) // CORS preflights of /me, answered by the browser's rules
            .ToHashSet();
        routes.ShouldContain($"POST {V1}/customers/{{reference}}/points_transactions");
        routes.Count.ShouldBeGreaterThanOrEqualTo(15);
        routes.Except(documented).ShouldBeEmpty();

        var docs = await MalformedRequestTests.SendAsync(anonymous, new HttpRequestMessage(HttpMethod.Get, "/docs/index.html"));
        docs.Status.ShouldBe(200);
        docs.MediaType.ShouldBe("text/html");
        docs.Raw.ShouldContain("swagger-ui", Case.Insensitive);
        var redirected = await MalformedRequestTests.SendAsync(anonymous, new HttpRequestMessage(HttpMethod.Get, "/docs"));
        redirected.Status.ShouldBe(200);
        redirected.MediaType.ShouldBe("text/html");

        // Offline: every script and stylesheet the page loads is served by Patron itself.
        var assets = Regex.Matches(docs.Raw, "(?:src|href)=\"([^\"]+)\"").Select(m => m.Groups[1].Value).Distinct().ToList();
        assets.ShouldNotBeEmpty();
        foreach (var asset in assets)
        {
            asset.ShouldNotStartWith("http", Case.Insensitive, asset);
            asset.ShouldNotStartWith("//", Case.Sensitive, asset);
            using var response = await anonymous.GetAsync(new Uri(new Uri(server.BaseAddress, "/docs/"), asset), TestContext.Current.CancellationToken);
            ((int)response.StatusCode).ShouldBe(200, asset);
        }
        var config = await anonymous.GetStringAsync(new Uri(server.BaseAddress, "/docs/index.js"), TestContext.Current.CancellationToken);
        config.ShouldContain("/openapi/v1.json");
    }

    private static string Normalize(string route) => route.Length > 1 ? route.TrimEnd('/') : route;

    [Theory, DatabaseData]
    public async Task GET_program_returns_the_program_the_key_belongs_to(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewTenantAsync("Corner Café");

        var first = await server.Client.GetJsonAsync($"{V1}/program");
        var other = await tenant.Read.GetJsonAsync($"{V1}/program");

        first.Code.ShouldBe(200, first.Raw);
        first.Str("object").ShouldBe("program");
        first.Str("id").ShouldBe(server.ProgramId);
        first.Str("name").ShouldBe("default");
        first.Str("currency").ShouldMatch("^[A-Z]{3}$");
        first["live"].ValueKind.ShouldBeOneOf(JsonValueKind.True, JsonValueKind.False);
        first.Str("created_at").ShouldMatch(Timestamp().ToString());
        first.Str("updated_at").ShouldMatch(Timestamp().ToString());
        other.Code.ShouldBe(200, other.Raw);
        other.Str("id").ShouldBe(tenant.ProgramId);
        other.Str("name").ShouldBe("Corner Café");
    }

    private static List<string> Ids(ApiResponse list) =>
        list["data"].EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToList();
}

/// <summary>
/// One server per database for a whole test class (the class's tests run one after another); each test
/// isolates itself in a program of its own (<see cref="TenantExtensions.NewTenantAsync"/>).
/// </summary>
public sealed class SharedServers : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<PatronServer>>> _servers = new();

    public Task<PatronServer> ForAsync(string database) =>
        _servers.GetOrAdd(database, d => new Lazy<Task<PatronServer>>(() => PatronServer.StartAsync(d))).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers.Values.Where(s => s.IsValueCreated))
        {
            try
            {
                await (await server.Value).DisposeAsync();
            }
            catch (Exception) when (!server.Value.IsCompletedSuccessfully)
            {
                // It never started; the tests that needed it have failed already.
            }
        }
    }
}
