using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Cli;

/// <summary>
/// An export imports back without loss, a row found only by email or phone is a conflict unless
/// <c>--update-existing</c>, and <c>--dry-run</c> writes nothing (docs/CONFIGURATION.md "Import and export").
/// </summary>
public sealed class ImportRoundTripCliTests
{
    [Theory, DatabaseData]
    public async Task An_export_imported_into_an_empty_program_reproduces_every_customer_and_balance(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        for (var i = 0; i < 25; i++)
        {
            var id = await NewCustomerAsync(client, points: i * 10);
            if (i % 3 == 0)
            {
                await PostPointsAsync(client, id, 7);
            }
            if (i % 4 == 1)
            {
                var spent = await client.PostJsonAsync(PointsPath(id), new { points = -3, type = "adjusted", description = "spent" });
                spent.Code.ShouldBe(201, spent.Raw);
            }
        }
        var named = await client.PostJsonAsync(CustomersPath, new
        {
            external_id = "till-42",
            email = "named@example.com",
            phone = "+44 7700 900123",
            first_name = "Ada, \"the\" first",
            last_name = "=Lovelace",
            birthday = "1815-12-10",
            initial_points = 99,
        });
        named.Code.ShouldBe(201, named.Raw);
        var blocked = await client.PatchJsonAsync($"{CustomersPath}/{named.Str("id")}", new { status = "blocked" });
        blocked.Code.ShouldBe(200, blocked.Raw);
        var original = await client.AllAsync(CustomersPath);

        var export = await server.CliAsync("export", "customers", "out.csv", "--program", server.ProgramId);
        export.Exit.ShouldBe(0, export.Output);
        var (otherProgram, other) = await server.CreateProgramAsync();
        var import = await server.CliAsync("import", "customers", "out.csv", "--program", otherProgram);

        import.Exit.ShouldBe(0, import.Output);
        import.Stdout.ShouldContain($"Created {original.Count}, updated 0, conflicts 0, rejected 0.", customMessage: import.Output);
        import.Stderr.ShouldNotContain("is not imported", customMessage: import.Output);
        var copies = (await other.AllAsync(CustomersPath)).ToDictionary(c => c.GetProperty("email").GetString()!);
        copies.Count.ShouldBe(original.Count);
        foreach (var customer in original)
        {
            var copy = copies[customer.GetProperty("email").GetString()!];
            foreach (var field in new[] { "external_id", "phone", "first_name", "last_name", "birthday", "status" })
            {
                copy.GetProperty(field).ToString().ShouldBe(customer.GetProperty(field).ToString(), field);
            }
            copy.GetProperty("points_balance").GetInt64().ShouldBe(customer.GetProperty("points_balance").GetInt64());
        }
        (await other.AllAsync("/api/v1/points_transactions")).Sum(t => t.GetProperty("points").GetInt64())
            .ShouldBe(original.Sum(c => c.GetProperty("points_balance").GetInt64()));
    }

    [Theory, DatabaseData]
    public async Task A_row_found_only_by_email_is_a_conflict_that_changes_nothing_unless_update_existing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var known = await client.PostJsonAsync(CustomersPath, new { external_id = "crm-1", email = "known@example.com", first_name = "Kim" });
        known.Code.ShouldBe(201, known.Raw);
        var file = await server.WriteFileAsync("customers.csv",
            ["external_id,email,phone,first_name", "shop-9,known@example.com,,Imposter", ",,+1 415 555 0100,New", "crm-1,,,Kimberly"]);

        var run = await server.CliAsync("import", "customers", file, "--report", "report.csv");

        run.Exit.ShouldBe(1, run.Output);
        run.Stdout.ShouldContain("Created 1, updated 1, conflicts 1, rejected 0.", customMessage: run.Output);
        run.Stderr.ShouldContain($"line 2: conflict: matches customer {known.Str("id")} by email", customMessage: run.Output);
        var kim = await client.GetJsonAsync($"{CustomersPath}/{known.Str("id")}");
        kim.Str("external_id").ShouldBe("crm-1");
        kim.Str("first_name").ShouldBe("Kimberly"); // line 4 names crm-1 itself: an update
        var report = CliKit.ParseCsv(await File.ReadAllTextAsync(Path.Combine(server.DataDir, "report.csv"), TestContext.Current.CancellationToken));
        report[0].ShouldBe(["line", "outcome", "customer_id", "detail"]);
        var byLine = report.Skip(1).ToDictionary(r => r[0]);
        byLine["2"][1].ShouldBe("conflict");
        byLine["2"][2].ShouldBe(known.Str("id"));
        byLine["3"][1].ShouldBe("created");
        byLine["3"][2].ShouldStartWith("cus_");
        byLine["4"][1].ShouldBe("updated");

        var byEmail = await server.WriteFileAsync("by-email.csv", ["email,first_name", "known@example.com,Kim B."]);
        var forced = await server.CliAsync("import", "customers", byEmail, "--update-existing");

        forced.Exit.ShouldBe(0, forced.Output);
        forced.Stdout.ShouldContain("Created 0, updated 1, conflicts 0, rejected 0.", customMessage: forced.Output);
        (await client.GetJsonAsync($"{CustomersPath}/{known.Str("id")}")).Str("first_name").ShouldBe("Kim B.");
    }

    [Theory, DatabaseData]
    public async Task A_dry_run_reports_what_would_happen_and_writes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        await NewCustomerAsync(client, email: "known@example.com", points: 5);
        var file = await server.WriteFileAsync("customers.csv",
            ["email,first_name,points", "new1@example.com,One,10", "new2@example.com,Two,20", "known@example.com,Known,30", "not-an-email,Bad,1"]);
        var eventsBefore = await client.TotalAsync("/api/v1/events");

        var run = await server.CliAsync("import", "customers", file, "--dry-run", "--report", "report.csv");

        run.Exit.ShouldBe(1, run.Output);
        run.Stdout.ShouldContain("Dry run, nothing written: would create 2, update 0; conflicts 1, rejected 1.", customMessage: run.Output);
        (await client.TotalAsync(CustomersPath)).ShouldBe(1);
        (await client.TotalAsync("/api/v1/points_transactions")).ShouldBe(1);
        (await client.TotalAsync("/api/v1/events")).ShouldBe(eventsBefore);
        var report = CliKit.ParseCsv(await File.ReadAllTextAsync(Path.Combine(server.DataDir, "report.csv"), TestContext.Current.CancellationToken));
        report.Skip(1).Select(r => (r[0], r[1])).OrderBy(r => r.Item1)
            .ShouldBe([("2", "created"), ("3", "created"), ("4", "conflict"), ("5", "rejected")]);

        var real = await server.CliAsync("import", "customers", file);

        real.Stdout.ShouldContain("Created 2, updated 0, conflicts 1, rejected 1.", customMessage: real.Output);
        (await client.TotalAsync(CustomersPath)).ShouldBe(3);
    }
}
