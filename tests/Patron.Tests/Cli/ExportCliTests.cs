using System.Globalization;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Cli;

/// <summary><c>patron export customers|ledger FILE</c> (docs/CONFIGURATION.md API.md "Command-line import and export"), beside a running server.</summary>
public sealed class ExportCliTests
{
    private const string CustomersHeader =
        "id,external_id,email,phone,first_name,last_name,birthday,status,points_balance,pending_points,lifetime_points,points_spent,points_expired,current_stamps,total_spent,referral_code,created_at";

    private const string LedgerHeader = "id,customer_id,points,type,description,reference,balance_after,created_by,created_at";

    private static readonly string[] CustomerColumns = CustomersHeader.Split(',');
    private static readonly string[] LedgerColumns = LedgerHeader.Split(',');

    /// <summary>A text value as a spreadsheet-safe export writes it: a formula-like start gets a leading <c>'</c>.</summary>
    private static string AsExported(string value) =>
        value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;

    [Theory, DatabaseData]
    public async Task Export_customers_writes_one_line_per_customer_with_the_values_the_api_shows(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await SeedAsync(server);

        var run = await server.CliAsync("export", "customers", "customers.csv", "--program", server.ProgramId);

        run.Exit.ShouldBe(0, run.Output);
        var records = CliKit.ParseCsv(await File.ReadAllTextAsync(Path.Combine(server.DataDir, "customers.csv"), TestContext.Current.CancellationToken));
        string.Join(',', records[0]).ShouldBe(CustomersHeader);
        var customers = await server.Client.AllAsync("/api/v1/customers");
        customers.Count.ShouldBe(4); // the erased customer is left out, as the API leaves it out
        records.Count.ShouldBe(customers.Count + 1);
        var byId = records.Skip(1).ToDictionary(r => r[0]);
        foreach (var customer in customers)
        {
            var row = byId[customer.GetProperty("id").GetString()!];
            row.Length.ShouldBe(CustomerColumns.Length);
            for (var i = 0; i < CustomerColumns.Length; i++)
            {
                var column = CustomerColumns[i];
                if (column == "total_spent")
                {
                    decimal.Parse(row[i], CultureInfo.InvariantCulture).ShouldBe(customer.GetProperty(column).GetDecimal());
                }
                else
                {
                    row[i].ShouldBe(AsExported(customer.Text(column)), $"{column} of {row[0]}");
                }
            }
        }
        byId.Values.Single(r => r[1] == "shop-1")[5].ShouldBe("O'Hara, \"Jr\"");
        byId.Values.Single(r => r[1] == "shop-2")[7].ShouldBe("blocked");

        // To standard output with '-': the same lines, and nothing else on standard output.
        var stdout = await server.CliAsync("export", "customers", "-", "--program", server.ProgramId);
        stdout.Exit.ShouldBe(0, stdout.Output);
        CliKit.ParseCsv(stdout.Stdout).Select(r => string.Join('|', r)).ShouldBe(records.Select(r => string.Join('|', r)));
    }

    [Theory, DatabaseData]
    public async Task Export_ledger_writes_one_line_per_entry_with_the_values_the_api_shows(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await SeedAsync(server);

        var run = await server.CliAsync("export", "ledger", "-", "--program", server.ProgramId);

        run.Exit.ShouldBe(0, run.Output);
        var records = CliKit.ParseCsv(run.Stdout);
        string.Join(',', records[0]).ShouldBe(LedgerHeader);
        var entries = await server.Client.AllAsync("/api/v1/points_transactions");
        entries.Count.ShouldBe(6); // the erased customer's entry stays in the ledger
        records.Count.ShouldBe(entries.Count + 1);
        var byId = records.Skip(1).ToDictionary(r => r[0]);
        foreach (var entry in entries)
        {
            var row = byId[entry.GetProperty("id").GetString()!];
            row.Length.ShouldBe(LedgerColumns.Length);
            for (var i = 0; i < LedgerColumns.Length; i++)
            {
                row[i].ShouldBe(entry.Text(LedgerColumns[i]), $"{LedgerColumns[i]} of {row[0]}");
            }
        }
        var order = byId.Values.Single(r => r[5] == "order-1");
        order[2].ShouldBe("50");
        order[3].ShouldBe("earned");
        order[4].ShouldBe("Order 1, \"gift\"\nwith a note");
        order[6].ShouldBe("150");

        // To a file: the same lines.
        var file = await server.CliAsync("export", "ledger", "ledger.csv", "--program", server.ProgramId);
        file.Exit.ShouldBe(0, file.Output);
        var fromFile = CliKit.ParseCsv(await File.ReadAllTextAsync(Path.Combine(server.DataDir, "ledger.csv"), TestContext.Current.CancellationToken));
        fromFile.Select(r => string.Join('|', r)).ShouldBe(records.Select(r => string.Join('|', r)));
    }

    [Theory, DatabaseData]
    public async Task Export_names_its_program_when_there_are_several_and_writes_that_programs_rows_only(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        (await server.Client.PostJsonAsync("/api/v1/customers", new { email = "mine@example.com", initial_points = 3 })).Code.ShouldBe(201);
        var (otherProgram, other) = await server.CreateProgramAsync();
        var theirs = await other.PostJsonAsync("/api/v1/customers", new { email = "theirs@example.com", initial_points = 9 });
        theirs.Code.ShouldBe(201, theirs.Raw);

        var unnamed = await server.CliAsync("export", "customers", "unnamed.csv");
        unnamed.Exit.ShouldBe(2, unnamed.Output);
        unnamed.Stderr.ShouldContain("more than one program");
        File.Exists(Path.Combine(server.DataDir, "unnamed.csv")).ShouldBeFalse();

        var customers = await server.CliAsync("export", "customers", "-", "--program", otherProgram);
        var ledger = await server.CliAsync("export", "ledger", "-", "--program", otherProgram);

        customers.Exit.ShouldBe(0, customers.Output);
        ledger.Exit.ShouldBe(0, ledger.Output);
        var customerRows = CliKit.ParseCsv(customers.Stdout);
        customerRows.Count.ShouldBe(2);
        customerRows[1][0].ShouldBe(theirs.Str("id"));
        customerRows[1][2].ShouldBe("theirs@example.com");
        var ledgerRows = CliKit.ParseCsv(ledger.Stdout);
        ledgerRows.Count.ShouldBe(2);
        ledgerRows[1][1].ShouldBe(theirs.Str("id"));
        ledgerRows[1][2].ShouldBe("9");
    }

    /// <summary>
    /// Five customers of the default program, one of them erased, one blocked, with names and a
    /// description that need quoting; six ledger entries.
    /// </summary>
    private static async Task SeedAsync(PatronServer server)
    {
        var client = server.Client;
        async Task<string> Customer(object body)
        {
            var created = await client.PostJsonAsync("/api/v1/customers", body);
            created.Code.ShouldBe(201, created.Raw);
            return created.Str("id");
        }
        var ada = await Customer(new
        {
            external_id = "shop-1",
            email = "Ada@Example.com",
            phone = "+44 7700 900123",
            first_name = "Ada",
            last_name = "O'Hara, \"Jr\"",
            birthday = "1815-12-10",
            initial_points = 100,
        });
        await Customer(new { external_id = "shop-2", first_name = "Blocked", initial_points = 10 });
        (await client.PatchJsonAsync("/api/v1/customers/shop-2", new { status = "blocked" })).Code.ShouldBe(200);
        await Customer(new { phone = "+4915112345678" });
        await Customer(new { email = "plain@example.com", last_name = "Plain" });
        await Customer(new { email = "erased@example.com", initial_points = 5 });
        (await client.DeleteJsonAsync("/api/v1/customers/erased@example.com")).Code.ShouldBe(200);

        var earned = await client.PostJsonAsync($"/api/v1/customers/{ada}/points_transactions",
            new { points = 50, description = "Order 1, \"gift\"\nwith a note", reference = "order-1" });
        earned.Code.ShouldBe(201, earned.Raw);
        var redeemed = await client.PostJsonAsync($"/api/v1/customers/{ada}/points_transactions", new { points = -30, description = "Coffee" });
        redeemed.Code.ShouldBe(201, redeemed.Raw);
        var adjusted = await client.PostJsonAsync("/api/v1/customers/shop-2/points_transactions", new { points = 4, type = "adjusted" });
        adjusted.Code.ShouldBe(201, adjusted.Raw);
        (await client.GetJsonAsync($"/api/v1/customers/{ada}")).Long("points_balance").ShouldBe(120);
    }
}
