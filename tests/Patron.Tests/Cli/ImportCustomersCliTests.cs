using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Cli;

/// <summary><c>patron import customers FILE.csv</c> (docs/CONFIGURATION.md API.md "Command-line import and export"), beside a running server.</summary>
public sealed class ImportCustomersCliTests
{
    private const string Header = "external_id,email,phone,first_name,last_name,birthday,points";

    /// <summary>
    /// Three new customers (two with points), one known by email, a blank line, and four rows that must be
    /// refused: an invalid email, negative points, no identity, and a conflict (Ada's external id with the
    /// known customer's email).
    /// </summary>
    private static readonly string[] Rows =
    [
        Header,                                                    // line 1
        "ext-1, Ada@Example.COM ,+44 7700 900123,Ada,Lovelace,1815-12-10,120",
        ",grace@example.com,0049 151 1234 5678,Grace,Hopper,,",
        "ext-3,,,\"Smith, \"\"Jr\"\"\",,,75",
        ",KNOWN@example.com,,Known,Updated,,500",                  // line 5: an existing customer
        "",
        ",not-an-email,,Bad,Email,,10",                            // line 7
        "ext-7,neg@example.com,,Negative,Points,,-5",              // line 8
        ",,,No,Identity,,10",                                      // line 9
        "ext-1,known@example.com,,,,,",                            // line 10
    ];

    [Theory, DatabaseData]
    public async Task Import_creates_new_customers_updates_known_ones_and_reports_bad_lines(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var known = await client.PostJsonAsync("/api/v1/customers", new { email = "known@example.com", first_name = "Kim", initial_points = 40 });
        known.Code.ShouldBe(201, known.Raw);
        var file = await server.WriteFileAsync("customers.csv", Rows);

        var run = await server.CliAsync("import", "customers", file, "--update-existing");

        run.Exit.ShouldBe(1, run.Output);
        run.Stdout.ShouldContain("Created 3, updated 1, conflicts 0, rejected 4.");
        var errors = CliRun.Lines(run.Stderr).Where(l => l.StartsWith("line ", StringComparison.Ordinal)).ToList();
        errors.Count.ShouldBe(4, run.Stderr);
        errors[0].ShouldStartWith("line 7:");
        errors[0].ShouldContain("email");
        errors[1].ShouldStartWith("line 8:");
        errors[1].ShouldContain("points");
        errors[2].ShouldStartWith("line 9:");
        errors[2].ShouldContain("external_id, email or phone");
        errors[3].ShouldStartWith("line 10:");
        errors[3].ShouldContain("email");

        await ShouldHoldTheImportAsync(client, known.Str("id"));

        // The same file again, without --update-existing: rows found by external_id are updates, rows found
        // by email alone are conflicts that change nothing, and nothing is credited twice.
        var again = await server.CliAsync("import", "customers", file);

        again.Exit.ShouldBe(1, again.Output);
        again.Stdout.ShouldContain("Created 0, updated 2, conflicts 2, rejected 4.");
        again.Stderr.ShouldContain("line 3: conflict: matches customer");
        again.Stderr.ShouldContain("line 5: conflict: matches customer " + known.Str("id") + " by email");
        await ShouldHoldTheImportAsync(client, known.Str("id"));

        var missing = await server.CliAsync("import", "customers", "missing.csv");
        missing.Exit.ShouldBe(2, missing.Output);
        missing.Stderr.ShouldContain("No file 'missing.csv'.");
    }

    private static async Task ShouldHoldTheImportAsync(HttpClient client, string knownId)
    {
        var ada = await client.GetJsonAsync("/api/v1/customers/ext-1");
        ada.Code.ShouldBe(200, ada.Raw);
        ada.Str("email").ShouldBe("ada@example.com");
        ada.Str("phone").ShouldBe("+447700900123");
        ada.Str("first_name").ShouldBe("Ada");
        ada.Str("last_name").ShouldBe("Lovelace");
        ada.Str("birthday").ShouldBe("1815-12-10");
        ada.Long("points_balance").ShouldBe(120);
        ada.Long("lifetime_points").ShouldBe(120);
        var adaLedger = await LedgerAsync(client, "ext-1");
        adaLedger.Count.ShouldBe(1);
        adaLedger[0].GetProperty("points").GetInt64().ShouldBe(120);
        adaLedger[0].GetProperty("type").GetString().ShouldBe("adjusted");
        adaLedger[0].GetProperty("balance_after").GetInt64().ShouldBe(120);
        adaLedger[0].GetProperty("created_by").GetString().ShouldBe("import");

        var grace = await client.GetJsonAsync("/api/v1/customers/grace@example.com");
        grace.Code.ShouldBe(200, grace.Raw);
        grace.Str("phone").ShouldBe("+4915112345678");
        grace["external_id"].ValueKind.ShouldBe(JsonValueKind.Null);
        grace["birthday"].ValueKind.ShouldBe(JsonValueKind.Null);
        grace.Long("points_balance").ShouldBe(0);
        (await LedgerAsync(client, "grace@example.com")).ShouldBeEmpty();

        var smith = await client.GetJsonAsync("/api/v1/customers/ext-3");
        smith.Code.ShouldBe(200, smith.Raw);
        smith.Str("first_name").ShouldBe("Smith, \"Jr\"");
        smith["email"].ValueKind.ShouldBe(JsonValueKind.Null);
        smith.Long("points_balance").ShouldBe(75);
        (await LedgerAsync(client, "ext-3")).Select(t => t.GetProperty("points").GetInt64()).ShouldBe([75]);

        // The known customer is updated in place; opening points apply only to new customers.
        var kim = await client.GetJsonAsync("/api/v1/customers/known@example.com");
        kim.Str("id").ShouldBe(knownId);
        kim.Str("first_name").ShouldBe("Known");
        kim.Str("last_name").ShouldBe("Updated");
        kim.Long("points_balance").ShouldBe(40);
        (await LedgerAsync(client, knownId)).Select(t => t.GetProperty("points").GetInt64()).ShouldBe([40]);

        // Refused rows left nothing behind.
        (await client.GetJsonAsync("/api/v1/customers/ext-7")).Code.ShouldBe(404);
        (await client.TotalAsync("/api/v1/customers?email=neg@example.com")).ShouldBe(0);
        (await client.TotalAsync("/api/v1/customers?search=identity")).ShouldBe(0);
        (await client.TotalAsync("/api/v1/customers?search=bad")).ShouldBe(0);
        (await client.TotalAsync("/api/v1/customers")).ShouldBe(4);
        (await client.TotalAsync("/api/v1/points_transactions")).ShouldBe(3);
    }

    private static async Task<List<JsonElement>> LedgerAsync(HttpClient client, string reference) =>
        await client.AllAsync($"/api/v1/customers/{reference}/points_transactions");

    [Theory, DatabaseData]
    public async Task Import_of_more_rows_than_one_batch_creates_every_customer_with_its_opening_balance(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        const int count = 3_000;
        static long PointsOf(int i) => i % 4 == 0 ? 0 : i % 97 + 1;
        var file = await server.WriteFileAsync("bulk.csv",
            [Header, .. Enumerable.Range(0, count).Select(i => $"bulk-{i},bulk{i}@example.com,,Bulk,Row {i},,{(PointsOf(i) == 0 ? "" : PointsOf(i))}")]);

        var run = await server.CliAsync("import", "customers", file);

        run.Exit.ShouldBe(0, run.Output);
        run.Stdout.ShouldContain($"Created {count}, updated 0, conflicts 0, rejected 0.");
        run.Stderr.ShouldNotContain("line ");
        var customers = await server.Client.AllAsync("/api/v1/customers");
        customers.Count.ShouldBe(count);
        var balances = customers.ToDictionary(c => c.GetProperty("external_id").GetString()!, c => c.GetProperty("points_balance").GetInt64());
        for (var i = 0; i < count; i++)
        {
            balances[$"bulk-{i}"].ShouldBe(PointsOf(i), $"bulk-{i}");
        }
        var expectedTotal = Enumerable.Range(0, count).Sum(PointsOf);
        balances.Values.Sum().ShouldBe(expectedTotal);
        var ledger = await server.Client.AllAsync("/api/v1/points_transactions");
        ledger.Count.ShouldBe(Enumerable.Range(0, count).Count(i => PointsOf(i) > 0));
        ledger.Sum(t => t.GetProperty("points").GetInt64()).ShouldBe(expectedTotal);
        ledger.ShouldAllBe(t => t.GetProperty("type").GetString() == "adjusted");
        ledger.Select(t => t.GetProperty("customer_id").GetString()).Distinct().Count().ShouldBe(ledger.Count);
    }

    [Theory, DatabaseData]
    public async Task Import_refuses_opening_balances_beyond_the_largest_ledger_entry_as_the_api_does(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        // The API's limit (LedgerRules.MaxPointsPerEntry) keeps balances far from the 64-bit limit.
        var api = await client.PostJsonAsync("/api/v1/customers", new { email = "api@example.com", initial_points = 1_000_000_000_001 });
        api.Code.ShouldBe(422, api.Raw);
        var file = await server.WriteFileAsync("customers.csv",
        [
            "email,points",
            "most@example.com,1000000000000",
            "over@example.com,1000000000001",
            "max@example.com,9223372036854775807",
        ]);

        var run = await server.CliAsync("import", "customers", file);

        run.Stdout.ShouldContain("Created 1, updated 0, conflicts 0, rejected 2.", customMessage: run.Output);
        run.Exit.ShouldBe(1, run.Output);
        run.Stderr.ShouldContain("line 3:");
        run.Stderr.ShouldContain("line 4:");
        (await client.GetJsonAsync("/api/v1/customers/most@example.com")).Long("points_balance").ShouldBe(1_000_000_000_000);
        (await client.GetJsonAsync("/api/v1/customers/over@example.com")).Code.ShouldBe(404);
        (await client.GetJsonAsync("/api/v1/customers/max@example.com")).Code.ShouldBe(404);
    }

    [Theory, DatabaseData]
    public async Task Import_rejects_a_row_with_a_nul_character_as_the_api_does_and_imports_the_others(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        // The API refuses a NUL in any text on both databases (PostgreSQL cannot store it).
        var api = await client.PostJsonAsync("/api/v1/customers", "{\"email\":\"api@example.com\",\"first_name\":\"A\\u0000B\"}");
        api.Code.ShouldBe(422, api.Raw);
        var file = await server.WriteFileAsync("customers.csv",
            ["email,first_name,points", "first@example.com,First,1", "nul@example.com,Nu\0l,2", "last@example.com,Last,3"]);

        var run = await server.CliAsync("import", "customers", file);

        run.Stdout.ShouldContain("Created 2, updated 0, conflicts 0, rejected 1.", customMessage: run.Output);
        run.Exit.ShouldBe(1, run.Output);
        run.Stderr.ShouldContain("line 3:");
        (await client.GetJsonAsync("/api/v1/customers/first@example.com")).Long("points_balance").ShouldBe(1);
        (await client.GetJsonAsync("/api/v1/customers/last@example.com")).Long("points_balance").ShouldBe(3);
        (await client.GetJsonAsync("/api/v1/customers/nul@example.com")).Code.ShouldBe(404);
    }

    [Theory, DatabaseData]
    public async Task Import_into_a_named_program_matches_and_creates_that_programs_customers_only(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        (await server.Client.PostJsonAsync("/api/v1/customers", new { email = "known@example.com", initial_points = 5 })).Code.ShouldBe(201);
        var (otherProgram, other) = await server.CreateProgramAsync();
        var file = await server.WriteFileAsync("customers.csv", ["email,first_name,initial_points", "known@example.com,Other,7"]);

        // With two programs, the program must be named.
        var unnamed = await server.CliAsync("import", "customers", file);
        unnamed.Exit.ShouldBe(2, unnamed.Output);
        unnamed.Stderr.ShouldContain("more than one program");
        var unknown = await server.CliAsync("import", "customers", file, "--program", "prog_nope");
        unknown.Exit.ShouldBe(2, unknown.Output);
        unknown.Stderr.ShouldContain("No program 'prog_nope'");
        (await other.TotalAsync("/api/v1/customers")).ShouldBe(0);

        var run = await server.CliAsync("import", "customers", file, "--program", otherProgram);

        run.Exit.ShouldBe(0, run.Output);
        run.Stdout.ShouldContain("Created 1, updated 0, conflicts 0, rejected 0.");
        var imported = await other.GetJsonAsync("/api/v1/customers/known@example.com");
        imported.Str("first_name").ShouldBe("Other");
        imported.Long("points_balance").ShouldBe(7);
        var original = await server.Client.GetJsonAsync("/api/v1/customers/known@example.com");
        original.Str("id").ShouldNotBe(imported.Str("id"));
        original["first_name"].ValueKind.ShouldBe(JsonValueKind.Null);
        original.Long("points_balance").ShouldBe(5);
    }
}
