using System.Net;
using Microsoft.OpenApi;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.OpenApi;

/// <summary>
/// The OpenAPI documents a developer generates clients from, read with Microsoft.OpenApi's reader and
/// validator, then held to Patron's own rules: every operation authenticated (or marked public with an
/// empty security list), every list with its paging and filter parameters, every operation with its
/// error answers as the error envelope, unique operationIds, and no path with a trailing slash.
/// </summary>
public sealed class OpenApiLintTests
{
    private static readonly string[] ErrorStatuses = ["400", "401", "403", "404", "409", "422", "429"];

    /// <summary>The filters each list reads from its query string, besides limit, page and starting_after.</summary>
    private static readonly Dictionary<string, string[]> ListFilters = new(StringComparer.Ordinal)
    {
        ["/api/v1/audit_events"] = ["action", "subject_type", "subject_id", "actor_id"],
        ["/api/v1/me/points_transactions"] = [],
        ["/api/v1/me/redemptions"] = [],
        ["/api/v1/me/rewards"] = ["affordable"],
        ["/api/v1/program/member_secrets"] = [],
        ["/api/v1/customers"] = ["email", "phone", "external_id", "status", "tier", "search"],
        ["/api/v1/customers/{reference}/points_transactions"] = [],
        ["/api/v1/points_transactions"] = ["customer_id", "type"],
        ["/api/v1/earn_rules"] = ["enabled", "type"],
        ["/api/v1/activities"] = ["customer_id", "type"],
        ["/api/v1/orders"] = ["customer_id", "status"],
        ["/api/v1/rewards"] = ["enabled"],
        ["/api/v1/customers/{reference}/redemptions"] = [],
        ["/api/v1/redemptions"] = ["customer_id", "reward_id", "status"],
        ["/api/v1/gift_cards/{code}/transactions"] = [],
        ["/api/v1/referrals"] = ["referrer_id", "referee_id", "status"],
        ["/api/v1/vip_tiers"] = [],
        ["/api/v1/events"] = ["type"],
        ["/api/v1/api_keys"] = [],
        ["/api/v1/webhook_endpoints"] = [],
        ["/api/v1/webhook_endpoints/{id}/deliveries"] = ["status", "event_type", "event_id"],
    };

    [Theory, DatabaseData]
    public async Task The_native_document_reads_and_validates_without_errors_or_warnings(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (document, problems) = await ReadAsync(server, "v1");

        problems.ShouldBeEmpty();
        document.Paths.Count.ShouldBeGreaterThan(30);
    }

    [Theory, DatabaseData]
    public async Task Every_native_operation_requires_the_bearer_key_has_a_unique_operation_id_and_no_trailing_slash(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (document, _) = await ReadAsync(server, "v1");

        var scheme = document.Components!.SecuritySchemes!["bearer"];
        scheme.Type.ShouldBe(SecuritySchemeType.Http);
        scheme.Scheme.ShouldBe("bearer");
        var operations = Operations(document).ToList();
        foreach (var (path, method, operation) in operations)
        {
            var where = $"{method} {path}";
            path.ShouldNotEndWith("/", where);
            operation.Security.ShouldNotBeNull($"{where} says nothing of authentication (an empty list would mark it public)");
            // No native operation is public: each must name the bearer scheme.
            operation.Security.ShouldHaveSingleItem(where).Keys.Select(k => k.Reference.Id).ShouldBe(["bearer"], where);
            operation.OperationId.ShouldNotBeNullOrWhiteSpace(where);
            operation.OperationId.ShouldMatch("^[a-z][A-Za-z0-9]*$", where);
            operation.Tags.ShouldNotBeNull(where).ShouldNotBeEmpty(where);
        }
        var duplicates = operations.GroupBy(o => o.Operation.OperationId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        duplicates.ShouldBeEmpty();
        operations.Single(o => o.Method == HttpMethod.Get && o.Path == "/api/v1/customers").Operation.OperationId.ShouldBe("listCustomers");
        operations.Single(o => o.Method == HttpMethod.Post && o.Path == "/api/v1/customers/{reference}/points_transactions")
            .Operation.OperationId.ShouldBe("createCustomerPointsTransaction");
    }

    [Theory, DatabaseData]
    public async Task Every_native_list_documents_its_paging_and_filter_parameters_with_types_and_bounds(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (document, _) = await ReadAsync(server, "v1");

        var lists = Operations(document).Where(o => IsList(o.Operation)).ToList();
        lists.Select(l => l.Path).Order().ShouldBe(ListFilters.Keys.Order(), "the lists of the native API");
        foreach (var (path, _, operation) in lists)
        {
            var query = operation.Parameters!.Where(p => p.In == ParameterLocation.Query).ToDictionary(p => p.Name!);
            var limit = query["limit"].Schema!;
            limit.Type.ShouldBe(JsonSchemaType.Integer, path);
            limit.Minimum.ShouldBe("1", path);
            limit.Maximum.ShouldBe("100", path);
            query["page"].Schema!.Type.ShouldBe(JsonSchemaType.Integer, path);
            query["page"].Schema!.Minimum.ShouldBe("1", path);
            query["starting_after"].Schema!.Type.ShouldBe(JsonSchemaType.String, path);
            query.Keys.Except(["limit", "page", "starting_after"]).Order().ShouldBe(ListFilters[path].Order(), path);
            foreach (var parameter in query.Values)
            {
                parameter.Description.ShouldNotBeNullOrWhiteSpace($"{path} ?{parameter.Name}");
                parameter.Schema!.Type.ShouldNotBeNull($"{path} ?{parameter.Name}");
            }
        }
    }

    [Theory, DatabaseData]
    public async Task Documented_filter_values_are_the_ones_the_server_accepts(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (document, _) = await ReadAsync(server, "v1");

        foreach (var (path, _, operation) in Operations(document).Where(o => IsList(o.Operation) && !o.Path.Contains('{') && !o.Path.StartsWith("/api/v1/me/", StringComparison.Ordinal)))
        {
            foreach (var parameter in operation.Parameters!.Where(p => p.In == ParameterLocation.Query && p.Schema!.Enum is { Count: > 0 }))
            {
                foreach (var value in parameter.Schema!.Enum!)
                {
                    var ok = await server.Client.GetJsonAsync($"{path}?{parameter.Name}={Uri.EscapeDataString(value!.GetValue<string>())}");
                    ok.Status.ShouldBe(HttpStatusCode.OK, $"{path}?{parameter.Name}={value}: {ok.Raw}");
                }
                var refused = await server.Client.GetJsonAsync($"{path}?{parameter.Name}=not-a-documented-value");
                refused.Code.ShouldBe(422, $"{path}?{parameter.Name}: {refused.Raw}");
                refused["error"].GetProperty("param").GetString().ShouldBe(parameter.Name);
            }
            var tooMany = await server.Client.GetJsonAsync($"{path}?limit=101");
            tooMany.Code.ShouldBe(422, $"{path}?limit=101: {tooMany.Raw}");
        }
    }

    [Theory, DatabaseData]
    public async Task Every_native_operation_documents_its_error_answers_as_the_error_envelope_and_its_headers(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (document, _) = await ReadAsync(server, "v1");

        var envelope = document.Components!.Schemas!["Error"];
        envelope.Properties!["error"].Properties!.Keys.ShouldBe(["type", "code", "message", "param", "retry_after", "request_id"], ignoreOrder: true);
        foreach (var (path, method, operation) in Operations(document))
        {
            var where = $"{method} {path}";
            foreach (var status in ErrorStatuses)
            {
                var responses = operation.Responses.ShouldNotBeNull(where);
                responses.ShouldContainKey(status, where);
                var response = responses[status].ShouldNotBeNull($"{where} {status}");
                var schema = response.Content.ShouldNotBeNull($"{where} {status}")["application/json"].Schema;
                schema.ShouldBeOfType<OpenApiSchemaReference>($"{where} {status}").Reference.Id.ShouldBe("Error", $"{where} {status}");
                response.Headers!.Keys.ShouldContain("Request-Id", $"{where} {status}");
            }
            operation.Responses!["429"].Headers!.Keys.ShouldContain("Retry-After", where);
            var success = operation.Responses.Where(r => r.Key.StartsWith('2')).ToList();
            success.ShouldNotBeEmpty(where);
            foreach (var (status, response) in success)
            {
                response.Headers!.Keys.ShouldBe(["Request-Id", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"], ignoreOrder: true, $"{where} {status}");
            }
            var idempotency = operation.Parameters?.SingleOrDefault(p => p.Name == "Idempotency-Key" && p.In == ParameterLocation.Header);
            if (method == HttpMethod.Get)
            {
                idempotency.ShouldBeNull(where);
            }
            else
            {
                idempotency.ShouldNotBeNull($"{where} has no Idempotency-Key header").Schema!.MaxLength.ShouldBe(255);
            }
        }
    }

    [Theory, DatabaseData]
    public async Task Every_native_schema_has_a_description_and_an_example(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (document, _) = await ReadAsync(server, "v1");

        foreach (var (name, schema) in document.Components!.Schemas!)
        {
            schema.Description.ShouldNotBeNullOrWhiteSpace(name);
            schema.Examples.ShouldNotBeNull(name).ShouldNotBeEmpty(name);
        }
        var customer = document.Components.Schemas["CustomerDto"].Examples![0]!.AsObject();
        customer["object"]!.GetValue<string>().ShouldBe("customer");
        customer["id"]!.GetValue<string>().ShouldStartWith("cus_");
        foreach (var (path, method, operation) in Operations(document))
        {
            operation.Summary.ShouldNotBeNullOrWhiteSpace($"{method} {path}");
        }
    }

    [Theory, DatabaseData]
    public async Task Each_dialect_document_reads_and_validates_with_unique_operation_ids_and_no_trailing_slash(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        foreach (var dialect in Patron.Dialects.DialectRegistration.All)
        {
            var (document, problems) = await ReadAsync(server, dialect.Name);

            problems.ShouldBeEmpty(dialect.Name);
            var operations = Operations(document).ToList();
            operations.ShouldNotBeEmpty(dialect.Name);
            foreach (var (path, method, operation) in operations)
            {
                path.ShouldNotEndWith("/", $"{dialect.Name}: {method} {path}");
                operation.OperationId.ShouldNotBeNullOrWhiteSpace($"{dialect.Name}: {method} {path}");
                operation.Security.ShouldNotBeNull($"{dialect.Name}: {method} {path}").ShouldNotBeEmpty($"{dialect.Name}: {method} {path}");
            }
            operations.GroupBy(o => o.Operation.OperationId).Where(g => g.Count() > 1).Select(g => g.Key).ShouldBeEmpty(dialect.Name);
        }
    }

    /// <summary>The document as Microsoft.OpenApi reads it, with every reader error and warning and every validation error.</summary>
    private static async Task<(OpenApiDocument Document, List<string> Problems)> ReadAsync(PatronServer server, string name)
    {
        var answer = await server.ClientWithKey(null).GetAsync($"/openapi/{name}.json", TestContext.Current.CancellationToken);
        answer.StatusCode.ShouldBe(HttpStatusCode.OK);
        var json = await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var (document, diagnostic) = OpenApiDocument.Parse(json, "json");
        document.ShouldNotBeNull($"/openapi/{name}.json did not parse");
        var problems = new List<string>();
        problems.AddRange(diagnostic!.Errors.Select(e => $"reader error at {e.Pointer}: {e.Message}"));
        problems.AddRange(diagnostic.Warnings.Select(e => $"reader warning at {e.Pointer}: {e.Message}"));
        problems.AddRange(document.Validate(ValidationRuleSet.GetDefaultRuleSet())!.Select(e => $"validation error at {e.Pointer}: {e.Message}"));
        return (document, problems);
    }

    private static IEnumerable<(string Path, HttpMethod Method, OpenApiOperation Operation)> Operations(OpenApiDocument document) =>
        from path in document.Paths
        from operation in path.Value.Operations ?? []
        select (path.Key, operation.Key, operation.Value);

    private static bool IsList(OpenApiOperation operation) =>
        operation.Responses!.TryGetValue("200", out var ok) && ok.Content is { } content
        && content.Values.Any(m => m.Schema is OpenApiSchemaReference { Reference.Id: { } id } && id.StartsWith("ListEnvelopeOf", StringComparison.Ordinal));
}
