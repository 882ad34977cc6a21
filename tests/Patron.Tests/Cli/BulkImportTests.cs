using System.Text.Json;
using System.Text.Json.Nodes;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Cli;

/// <summary>
/// The bulk path of <c>patron import customers</c> (docs/CONFIGURATION.md "Command-line import and export"): new
/// rows go in as multi-row inserts or COPY, the others through the per-row path, with the same outcome as
/// <c>--row-by-row</c>.
/// </summary>
public sealed class BulkImportTests
{
    private const int NewRows = 2_100; // more than one batch of 2,000

    private static long PointsOf(int i) => i % 5 == 0 ? 0 : (i * 37 % 1000) + 1;

    /// <summary>
    /// New rows across two batches, a row for a known customer (update), in-file duplicates by external id in
    /// the same batch and in the next (updates), one by email alone (conflict), and two invalid rows.
    /// </summary>
    private static string[] Rows()
    {
        var lines = new List<string> { "external_id,email,phone,first_name,last_name,birthday,points" };
        for (var i = 0; i < NewRows; i++)
        {
            lines.Add($"bulk-{i},bulk{i}@example.com,+4930{i:D7},First,Row {i},19{50 + (i % 50)}-0{1 + (i % 9)}-1{i % 10},{(PointsOf(i) == 0 ? "" : PointsOf(i))}");
            if (i == 10)
            {
                lines.Add("bulk-3,,,Three,Again,,99");
                lines.Add("ext-known,known@example.com,,Known,Updated,,500");
                lines.Add(",not-an-email,,Bad,Email,,1");
            }
        }
        lines.Add("bulk-5,,,Five,Again,,");
        lines.Add(",bulk9@example.com,,Nine,Other,,5");
        lines.Add("bad-points,badpoints@example.com,,,,,-3");
        return [.. lines];
    }

    private const string Counts = "Created 2100, updated 3, conflicts 1, rejected 2.";

    private static async Task PrepareAsync(HttpClient client)
    {
        (await client.PostJsonAsync("/api/v1/vip_tiers", new { name = "Silver", points_required = 500, multiplier = 1.5m })).Code.ShouldBe(201);
        (await client.PostJsonAsync("/api/v1/customers", new { external_id = "ext-known", email = "known@example.com", initial_points = 40 }))
            .Code.ShouldBe(201);
    }

    [Theory, DatabaseData]
    public async Task Bulk_import_writes_what_the_per_row_path_writes_and_a_second_run_creates_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var bulk = server.Client;
        var (rowProgram, rowByRow) = await server.CreateProgramAsync();
        await PrepareAsync(bulk);
        await PrepareAsync(rowByRow);
        var file = await server.WriteFileAsync("customers.csv", Rows());
        var main = server.ProgramId;
        var run = await server.CliAsync("import", "customers", file, "--program", main);
        var perRow = await server.CliAsync("import", "customers", file, "--program", rowProgram, "--row-by-row");

        run.Stdout.ShouldContain(Counts, customMessage: run.Output);
        perRow.Stdout.ShouldContain(Counts, customMessage: perRow.Output);
        run.Exit.ShouldBe(1, run.Output);
        ErrorLines(run.Stderr).Select(Unnamed).ShouldBe(ErrorLines(perRow.Stderr).Select(Unnamed));

        var customers = await ShouldAddUpAsync(bulk);
        (await ShouldAddUpAsync(rowByRow)).Count.ShouldBe(customers.Count);
        customers.Count.ShouldBe(NewRows + 1);
        var three = customers.Single(c => c.GetProperty("external_id").GetString() == "bulk-3");
        three.GetProperty("first_name").GetString().ShouldBe("Three");
        three.GetProperty("points_balance").GetInt64().ShouldBe(PointsOf(3));
        var known = customers.Single(c => c.GetProperty("external_id").GetString() == "ext-known");
        known.GetProperty("last_name").GetString().ShouldBe("Updated");
        known.GetProperty("points_balance").GetInt64().ShouldBe(40);
        customers.Count(c => c.GetProperty("vip_tier").ValueKind == JsonValueKind.String)
            .ShouldBe(Enumerable.Range(0, NewRows).Count(i => PointsOf(i) >= 500));

        // Refused rows left nothing behind.
        (await bulk.GetJsonAsync("/api/v1/customers/bad-points")).Code.ShouldBe(404);
        (await bulk.TotalAsync("/api/v1/customers?search=bad")).ShouldBe(0);
        (await bulk.GetJsonAsync("/api/v1/customers/bulk9@example.com")).Str("last_name").ShouldBe("Row 9");

        // The same events, in the same order per customer, with the same payloads but for ids, codes and times.
        var bulkEvents = await EventsByCustomerAsync(bulk, customers);
        var rowEvents = await EventsByCustomerAsync(rowByRow, await rowByRow.AllAsync("/api/v1/customers"));
        bulkEvents.Keys.Order().ShouldBe(rowEvents.Keys.Order());
        foreach (var (externalId, events) in bulkEvents)
        {
            events.ShouldBe(rowEvents[externalId], externalId);
        }
        var bulkAudit = await ImportAuditAsync(bulk, customers);
        bulkAudit.Count.ShouldBe(NewRows + 3); // the new customers, and the three rows that changed one
        bulkAudit.ShouldBe(await ImportAuditAsync(rowByRow, await rowByRow.AllAsync("/api/v1/customers")));

        // A second run finds every customer: nothing is created or credited again.
        var ledgerBefore = await bulk.TotalAsync("/api/v1/points_transactions");
        var createdEvents = await bulk.TotalAsync("/api/v1/events?type=customer.created");
        var again = await server.CliAsync("import", "customers", file, "--program", main);

        again.Stdout.ShouldContain($"Created 0, updated {NewRows + 3}, conflicts 1, rejected 2.", customMessage: again.Output);
        (await bulk.TotalAsync("/api/v1/customers")).ShouldBe(NewRows + 1);
        (await bulk.TotalAsync("/api/v1/points_transactions")).ShouldBe(ledgerBefore);
        (await bulk.TotalAsync("/api/v1/events?type=customer.created")).ShouldBe(createdEvents);
        (await bulk.TotalAsync("/api/v1/events?type=points.created")).ShouldBe(ledgerBefore);
        await ShouldAddUpAsync(bulk);
    }

    [Theory, DatabaseData]
    public async Task A_known_customer_met_after_a_batch_of_new_ones_is_matched_and_the_rest_of_its_batch_is_created(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        await PrepareAsync(client);
        // The first batch is all new, so the second goes in without looking its identifiers up first: the
        // unique indexes meet the known customer's email and external id there.
        var lines = new List<string> { "external_id,email,first_name,points" };
        for (var i = 0; i < NewRows; i++)
        {
            lines.Add(i switch
            {
                2_050 => ",known@example.com,Known by email,5",
                2_060 => "ext-known,,Known by id,7",
                _ => $"late-{i},late{i}@example.com,Row {i},{PointsOf(i)}",
            });
        }
        var file = await server.WriteFileAsync("late.csv", [.. lines]);

        var run = await server.CliAsync("import", "customers", file);

        run.Stdout.ShouldContain($"Created {NewRows - 2}, updated 1, conflicts 1, rejected 0.", customMessage: run.Output);
        run.Stderr.ShouldContain("line 2052: conflict: matches customer", customMessage: run.Output);
        var customers = await ShouldAddUpAsync(client);
        customers.Count.ShouldBe(NewRows - 1);
        var known = customers.Single(c => c.GetProperty("external_id").GetString() == "ext-known");
        known.GetProperty("first_name").GetString().ShouldBe("Known by id");
        known.GetProperty("points_balance").GetInt64().ShouldBe(40);
        foreach (var i in new[] { 0, 1_999, 2_000, 2_049, 2_051, 2_099 })
        {
            (await client.GetJsonAsync($"/api/v1/customers/late-{i}")).Long("points_balance").ShouldBe(PointsOf(i), $"late-{i}");
        }
        (await client.TotalAsync("/api/v1/events?type=customer.created")).ShouldBe(NewRows - 1);
    }

    private static List<string> ErrorLines(string stderr) =>
        [.. CliRun.Lines(stderr).Where(l => l.StartsWith("line ", StringComparison.Ordinal))];

    private static string CustomerIdIn(string line) =>
        line.Split(' ').FirstOrDefault(w => w.StartsWith("cus_", StringComparison.Ordinal)) ?? "";

    private static string Unnamed(string line) => CustomerIdIn(line) is { Length: > 0 } id ? line.Replace(id, "cus_*") : line;

    /// <summary>Every balance equals its ledger's sum, every referral code is one customer's. Returns the customers.</summary>
    private static async Task<List<JsonElement>> ShouldAddUpAsync(HttpClient client)
    {
        var customers = await client.AllAsync("/api/v1/customers");
        var ledger = (await client.AllAsync("/api/v1/points_transactions"))
            .GroupBy(t => t.GetProperty("customer_id").GetString()!)
            .ToDictionary(g => g.Key, g => g.Sum(t => t.GetProperty("points").GetInt64()));
        foreach (var c in customers)
        {
            var id = c.GetProperty("id").GetString()!;
            c.GetProperty("points_balance").GetInt64().ShouldBe(ledger.GetValueOrDefault(id), id);
            c.GetProperty("lifetime_points").GetInt64().ShouldBe(ledger.GetValueOrDefault(id), id);
        }
        customers.Select(c => c.GetProperty("referral_code").GetString()).Distinct().Count().ShouldBe(customers.Count);
        return customers;
    }

    private static readonly HashSet<string> Volatile =
        ["id", "customer_id", "created_at", "updated_at", "referral_code", "qr_code", "expires_at"];

    /// <summary>A payload with its ids, codes and times replaced by whether they are set.</summary>
    private static string Shape(JsonElement data)
    {
        var node = JsonNode.Parse(data.GetRawText())!;
        if (node is JsonObject o)
        {
            foreach (var key in o.Select(p => p.Key).ToList())
            {
                if (Volatile.Contains(key) && o[key] is not null)
                {
                    o[key] = "*";
                }
                // The setup's entries name each program's own API key.
                if (key == "created_by" && o[key]?.GetValue<string>() is { } by && by.StartsWith("key_", StringComparison.Ordinal))
                {
                    o[key] = "key_*";
                }
                if (o[key] is JsonObject inner && inner["id"] is not null)
                {
                    inner["id"] = "*";
                }
            }
        }
        return node.ToJsonString();
    }

    private static async Task<Dictionary<string, List<string>>> EventsByCustomerAsync(HttpClient client, List<JsonElement> customers)
    {
        var external = customers.ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("external_id").GetString()!);
        var events = await client.AllAsync("/api/v1/events");
        return events
            .Select(e => (Data: e.GetProperty("data"), Type: e.GetProperty("type").GetString()!, Id: e.GetProperty("id").GetString()!))
            .Select(e => (e.Type, e.Id, e.Data, Customer: e.Data.TryGetProperty("customer_id", out var c) ? c.GetString()! : e.Data.GetProperty("id").GetString()!))
            .GroupBy(e => external[e.Customer])
            .ToDictionary(g => g.Key, g => g.OrderBy(e => e.Id, StringComparer.Ordinal).Select(e => e.Type + " " + Shape(e.Data)).ToList());
    }

    private static async Task<List<string>> ImportAuditAsync(HttpClient client, List<JsonElement> customers)
    {
        var external = customers.ToDictionary(c => c.GetProperty("id").GetString()!, c => c.GetProperty("external_id").GetString()!);
        var rows = await client.AllAsync("/api/v1/audit_events?action=customer.imported");
        return [.. rows
            .Select(a => external[a.GetProperty("subject_id").GetString()!] + " " + a.GetProperty("actor").GetRawText() + " "
                + (a.GetProperty("before").ValueKind == JsonValueKind.Null ? "null" : Shape(a.GetProperty("before"))) + " "
                + (a.GetProperty("after").ValueKind == JsonValueKind.Null ? "null" : Shape(a.GetProperty("after"))))
            .Order(StringComparer.Ordinal)];
    }
}
