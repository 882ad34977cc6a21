using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Patron.Tests.Infrastructure;
using Patron.Tests.Webhooks;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Observability;

/// <summary>
/// What an operator watches (docs/CONFIGURATION.md, "Observability"): a request id on every answer, in
/// error bodies and in the log line; one structured log line per request, JSON when configured; liveness
/// and readiness; and /metrics per route, for the write path and for webhooks.
/// </summary>
public sealed class ObservabilityTests
{
    private static readonly Dictionary<string, string> RequestLogs = new() { ["Logging:LogLevel:Patron.Requests"] = "Information" };

    [Theory, DatabaseData]
    public async Task Every_answer_carries_a_request_id_and_an_error_repeats_it_in_its_envelope(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var health = await server.ClientWithKey(null).GetAsync("/healthz", TestContext.Current.CancellationToken);
        health.Headers.GetValues("Request-Id").Single().ShouldMatch("^req_[0-9A-Z]{20}$");
        var ok = await server.Client.GetJsonAsync("/api/v1/program");
        ok.Header("Request-Id").ShouldNotBeNullOrEmpty();
        ok.Header("Request-Id").ShouldNotBe(health.Headers.GetValues("Request-Id").Single());

        var missing = await server.Client.GetJsonAsync("/api/v1/customers/nobody@example.com");
        missing.Code.ShouldBe(404, missing.Raw);
        var error = missing["error"];
        error.GetProperty("request_id").GetString().ShouldBe(missing.Header("Request-Id"));
        // The envelope is otherwise as before: type, code, message, param, then the request id.
        error.EnumerateObject().Select(p => p.Name).ShouldBe(["type", "code", "message", "param", "request_id"]);
        var unauthorised = await server.ClientWithKey(null).GetJsonAsync("/api/v1/customers");
        unauthorised.Code.ShouldBe(401);
        unauthorised["error"].GetProperty("request_id").GetString().ShouldBe(unauthorised.Header("Request-Id"));
    }

    [Theory, DatabaseData]
    public async Task A_well_formed_incoming_request_id_is_kept_and_a_malformed_or_overlong_one_is_replaced(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        async Task<string> AnsweredId(string given)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/customers/nobody");
            request.Headers.TryAddWithoutValidation("Request-Id", given);
            using var answer = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
            answer.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            var header = answer.Headers.GetValues("Request-Id").Single();
            body.RootElement.GetProperty("error").GetProperty("request_id").GetString().ShouldBe(header);
            return header;
        }

        (await AnsweredId("lb-7f3c9a52.edge:1")).ShouldBe("lb-7f3c9a52.edge:1");
        (await AnsweredId(new string('a', 64))).ShouldBe(new string('a', 64));
        (await AnsweredId(new string('a', 65))).ShouldStartWith("req_");
        (await AnsweredId("<script>alert(1)</script>")).ShouldStartWith("req_");
        (await AnsweredId("two words")).ShouldStartWith("req_");
    }

    [Theory, DatabaseData]
    public async Task Each_request_writes_one_log_line_with_method_route_status_duration_request_id_and_program_but_no_key_or_path(string database)
    {
        await using var server = await PatronServer.StartAsync(database, settings: RequestLogs);
        var logs = new CapturingLoggerProvider();
        server.App.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        var email = UniqueEmail();
        await NewCustomerAsync(server.Client, email);

        var found = await server.Client.GetJsonAsync($"{CustomersPath}/{email}");
        found.Code.ShouldBe(200);

        var id = found.Header("Request-Id")!;
        var line = logs.Lines.Where(l => l.Fields.GetValueOrDefault("RequestId") as string == id).ShouldHaveSingleItem();
        line.Category.ShouldBe("Patron.Requests");
        line.Fields["Method"].ShouldBe("GET");
        line.Fields["Route"].ShouldBe("/api/v1/customers/{reference}");
        line.Fields["Status"].ShouldBe(200);
        line.Fields["DurationMs"].ShouldBeOfType<double>().ShouldBeGreaterThan(0);
        line.Fields["ProgramId"].ShouldBe(server.ProgramId);
        logs.Lines.ShouldNotContain(l => l.Text.Contains(email, StringComparison.Ordinal) || l.Text.Contains(server.AdminKey, StringComparison.Ordinal));
        logs.Lines.Count(l => l.Category == "Patron.Requests").ShouldBe(2, "one line per request: the create and the get");
    }

    [Theory, DatabaseData]
    public async Task Configured_for_json_the_server_writes_each_request_as_one_json_line_on_its_console(string database)
    {
        var dataDir = PatronServer.NewDataDir();
        await using var testDatabase = await TestDatabase.CreateAsync(database, dataDir);
        var adminKey = "sk_test_" + Guid.NewGuid().ToString("N");
        try
        {
            await using var process = await PatronProcess.StartAsync(testDatabase.Args, adminKey, new Dictionary<string, string>(RequestLogs)
            {
                ["Logging:Console:FormatterName"] = "json",
            });
            var answer = await process.Client.GetJsonAsync("/api/v1/program");
            answer.Code.ShouldBe(200, answer.Raw);
            var id = answer.Header("Request-Id")!;

            JsonElement? logged = null;
            for (var wait = 0; wait < 50 && logged is null; wait++)
            {
                // Each line of the output is as the process wrote it, after the stream's "[out] " mark.
                logged = process.Output.Split('\n').Where(l => l.Contains('{', StringComparison.Ordinal) && l.Contains(id, StringComparison.Ordinal))
                    .Select(l => (JsonElement?)JsonDocument.Parse(l[l.IndexOf('{', StringComparison.Ordinal)..]).RootElement.Clone()).FirstOrDefault();
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
            var line = logged.ShouldNotBeNull($"no JSON line with {id} in:\n{process.Output}");
            line.GetProperty("Category").GetString().ShouldBe("Patron.Requests");
            var state = line.GetProperty("State");
            state.GetProperty("Route").GetString().ShouldBe("/api/v1/program");
            state.GetProperty("Status").GetInt32().ShouldBe(200);
            state.GetProperty("RequestId").GetString().ShouldBe(id);
            state.GetProperty("ProgramId").GetString().ShouldStartWith("prog_");
            process.Output.ShouldNotContain(adminKey);
        }
        finally
        {
            PatronServer.DeleteQuietly(dataDir);
        }
    }

    [Theory, DatabaseData]
    public async Task Readiness_checks_the_database_the_migrations_and_the_dispatcher_while_liveness_only_answers(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var anonymous = server.ClientWithKey(null);

        var ready = await anonymous.GetJsonAsync("/readyz");
        ready.Code.ShouldBe(200, ready.Raw);
        ready.Str("status").ShouldBe("ready");
        ready["checks"].GetProperty("database").GetString().ShouldBe("ok");
        ready["checks"].GetProperty("migrations").GetString().ShouldBe("ok");
        ready["checks"].GetProperty("webhook_dispatcher").GetString().ShouldBe("ok");

        // A database behind this Patron's schema is not ready to serve it.
        await server.WritePath.RunAsync(context => context.Sql.ExecuteAsync(
            "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)"));
        var behind = await anonymous.GetJsonAsync("/readyz");
        behind.Code.ShouldBe(503, behind.Raw);
        behind.Str("status").ShouldBe("not ready");
        behind["checks"].GetProperty("migrations").GetString().ShouldStartWith("not applied: ");
        behind["checks"].GetProperty("database").GetString().ShouldBe("ok");
        (await anonymous.GetJsonAsync("/healthz")).Code.ShouldBe(200);
    }

    [Theory, DatabaseData]
    public async Task Readiness_counts_a_dispatcher_switched_off_by_configuration_as_ready(string database)
    {
        await using var server = await WebhookKit.StartServerAsync(database, manual: true);

        var ready = await server.ClientWithKey(null).GetJsonAsync("/readyz");

        ready.Code.ShouldBe(200, ready.Raw);
        ready["checks"].GetProperty("webhook_dispatcher").GetString().ShouldBe("disabled");
    }

    [Theory, DatabaseData]
    public async Task Metrics_count_requests_and_latency_per_route_and_show_the_writer_and_the_webhook_backlog(string database)
    {
        await using var server = await WebhookKit.StartServerAsync(database, manual: true);
        await server.Client.CreateEndpointAsync("http://127.0.0.1:9/unreachable");
        var customer = await NewCustomerAsync(server.Client);
        for (var i = 0; i < 3; i++)
        {
            (await server.Client.GetJsonAsync($"{CustomersPath}/{customer}")).Code.ShouldBe(200);
        }
        (await server.Client.GetJsonAsync($"{CustomersPath}/nobody")).Code.ShouldBe(404);

        var answer = await server.ClientWithKey(null).GetAsync("/metrics", TestContext.Current.CancellationToken);
        answer.StatusCode.ShouldBe(HttpStatusCode.OK);
        answer.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        var text = await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var figures = text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToDictionary(l => l[..l.LastIndexOf(' ')], l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

        const string route = "method=\"GET\",route=\"/api/v1/customers/{reference}\"";
        figures[$"patron_http_requests_total{{{route},class=\"2xx\"}}"].ShouldBe(3);
        figures[$"patron_http_requests_total{{{route},class=\"4xx\"}}"].ShouldBe(1);
        figures[$"patron_http_request_duration_seconds_count{{{route}}}"].ShouldBe(4);
        figures[$"patron_http_request_duration_seconds_bucket{{{route},le=\"+Inf\"}}"].ShouldBe(4);
        figures[$"patron_http_request_duration_seconds_sum{{{route}}}"].ShouldBeGreaterThan(0);
        figures["patron_http_requests_total{method=\"POST\",route=\"/api/v1/customers\",class=\"2xx\"}"].ShouldBe(1);
        figures["patron_webhook_backlog"].ShouldBeGreaterThanOrEqualTo(1, "the customer.created delivery waits for a dispatcher");
        figures["patron_webhook_failed"].ShouldBe(0);
        text.ShouldNotContain("nobody");

        await server.DispatchAsync();
        var after = await server.ClientWithKey(null).GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        after.ShouldContain("\npatron_webhook_retrying 1\n", Case.Sensitive, "the failed first attempt leaves the delivery pending for a retry");
        var allocated = figures["dotnet_gc_allocated_bytes_total"];
        allocated.ShouldBeGreaterThan(0);
        var allocatedAfter = after.Split('\n').Single(l => l.StartsWith("dotnet_gc_allocated_bytes_total ", StringComparison.Ordinal));
        double.Parse(allocatedAfter[(allocatedAfter.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)
            .ShouldBeGreaterThan(allocated, "the allocation counter only grows");
        if (database == TestDatabases.Sqlite)
        {
            figures["patron_write_queue_depth"].ShouldBe(0);
            figures["patron_write_batch_size_count"].ShouldBeGreaterThanOrEqualTo(2);
            figures["patron_write_batch_size_bucket{le=\"+Inf\"}"].ShouldBe(figures["patron_write_batch_size_count"]);
            figures["patron_write_busy_seconds_total"].ShouldBeGreaterThan(0, "the writer ran the two writes");
            figures["patron_write_log_syncs_total"].ShouldBeGreaterThanOrEqualTo(1, "each answered write waited for a sync of the log");
            figures["patron_write_log_sync_seconds_total"].ShouldBeGreaterThan(0);
        }
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, string Text, Dictionary<string, object?> Fields)> Queue { get; } = new();

        public List<(string Category, string Text, Dictionary<string, object?> Fields)> Lines => [.. Queue];

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                    ? pairs.ToDictionary(p => p.Key, p => p.Value)
                    : [];
                owner.Queue.Enqueue((category, formatter(state, exception), fields));
            }
        }
    }
}
