using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Cli;

/// <summary>
/// A malformed CSV file is refused before anything is imported, naming the row; exported cells that a
/// spreadsheet would run as a formula are neutralised, and an export imports back unchanged
/// (docs/API.md, Command-line import and export).
/// </summary>
public sealed class CsvSafetyTests
{
    [Theory, DatabaseData]
    public async Task A_quoted_field_that_is_never_closed_refuses_the_file_naming_its_row_and_imports_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var rows = new List<string> { "email,first_name,points" };
        rows.AddRange(Enumerable.Range(1, 10).Select(i => i == 4 ? $"c{i}@example.com,\"Ada,{i}" : $"c{i}@example.com,Name {i},{i}"));
        var file = await server.WriteFileAsync("broken.csv", rows);

        var run = await server.CliAsync("import", "customers", file);

        run.Exit.ShouldBe(2, run.Output);
        run.Stderr.ShouldContain("line 5", Case.Sensitive, run.Output);
        run.Stderr.ShouldContain("never closed", Case.Sensitive, run.Output);
        var customers = await server.Client.GetJsonAsync("/api/v1/customers");
        customers.Long("total_count").ShouldBe(0, customers.Raw);
    }

    [Theory, DatabaseData]
    public async Task Exported_cells_that_start_like_a_formula_are_neutralised_and_import_back_unchanged(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync("/api/v1/customers", new
        {
            email = "formula@example.com",
            first_name = "=HYPERLINK(\"http://evil.example\",\"x\")",
            last_name = "@SUM(A1)",
            phone = "+44 7700 900123",
            external_id = "-1+1",
        });
        created.Code.ShouldBe(201, created.Raw);

        var export = await server.CliAsync("export", "customers", "customers.csv");

        export.Exit.ShouldBe(0, export.Output);
        var text = await File.ReadAllTextAsync(Path.Combine(server.DataDir, "customers.csv"), TestContext.Current.CancellationToken);
        var row = CliKit.ParseCsv(text)[1];
        row[1].ShouldBe("'-1+1");
        row[3].ShouldBe("'" + created.Str("phone"));
        row[4].ShouldBe("'=HYPERLINK(\"http://evil.example\",\"x\")");
        row[5].ShouldBe("'@SUM(A1)");

        // Into a second program: the same values as the first program's customer.
        var (otherProgram, other) = await server.CreateProgramAsync();
        var import = await server.CliAsync("import", "customers", "customers.csv", "--program", otherProgram);
        import.Exit.ShouldBe(0, import.Output);
        var copy = await other.GetJsonAsync("/api/v1/customers/formula@example.com");
        copy.Code.ShouldBe(200, copy.Raw);
        copy.Str("first_name").ShouldBe("=HYPERLINK(\"http://evil.example\",\"x\")");
        copy.Str("last_name").ShouldBe("@SUM(A1)");
        copy.Str("external_id").ShouldBe("-1+1");
        copy.Str("phone").ShouldBe(created.Str("phone"));
    }
}
