using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Patron.Operations.StaffAccounts;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>The Imports and exports page (docs/ADMIN.md): a customer CSV imported in the background, and CSV downloads.</summary>
public sealed class AdminImportsTests(BrowserFixture browser)
{
    private const string Password = "correct horse battery";

    [BrowserTheory, DatabaseData]
    public async Task An_owner_uploads_a_customer_CSV_follows_the_import_and_reads_its_report(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var owner = await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        var file = Path.Combine(Directory.CreateTempSubdirectory("patron-import-").FullName, "shop-customers.csv");
        await File.WriteAllTextAsync(file, string.Join('\n',
            "external_id,email,phone,first_name,last_name,points",
            "shop-1,ada@example.com,+4915100000001,Ada,Lovelace,120",
            "shop-2,not-an-email,+4915100000002,Bad,Row,0",
            "shop-3,grace@example.com,,Grace,Hopper,0",
            ""), ct);
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 900 } });
        var page = await SignInAsync(context, server);

        await page.GetByRole(AriaRole.Link, new() { Name = "Imports" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Imports and exports" })).ToBeVisibleAsync();
        await page.GetByLabel("Customer CSV file").SetInputFilesAsync(file);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start import" }).ClickAsync();

        // The import runs in the background; its page reloads itself until it is done.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Import of shop-customers.csv" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#import-status")).ToHaveTextAsync("Done", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#import-progress")).ToHaveAttributeAsync("value", "100");
        var report = page.Locator("#import-report");
        await Assertions.Expect(report.GetByRole(AriaRole.Row, new() { Name = "Created 2", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(report.GetByRole(AriaRole.Row, new() { Name = "Rejected 1", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(report.GetByRole(AriaRole.Row, new() { Name = "Updated 0", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#import-messages")).ToContainTextAsync("line 3:");
        await AdminScreens.Screenshot(page, "import");

        using var found = await server.Client.GetAsync("/api/v1/customers/ada@example.com", ct);
        found.StatusCode.ShouldBe(HttpStatusCode.OK);
        var ada = await found.Content.ReadFromJsonAsync<JsonElement>(ct);
        ada.GetProperty("points_balance").GetInt64().ShouldBe(120);
        using var missing = await server.Client.GetAsync("/api/v1/customers/not-an-email", ct);
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);

        await page.GotoAsync(AdminScreens.Url(server, "/admin/audit?action=customer.imported"));
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#audit tbody tr").First).ToContainTextAsync("staff " + owner.Id);

        await page.GotoAsync(AdminScreens.Url(server, "/admin/imports"));
        await Assertions.Expect(page.Locator("#imports tbody tr")).ToContainTextAsync("done: 2 created, 0 updated, 0 conflicts, 1 rejected");
    }

    [BrowserTheory, DatabaseData]
    public async Task A_file_that_is_not_CSV_is_refused_whole_and_nothing_is_written(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        var file = Path.Combine(Directory.CreateTempSubdirectory("patron-import-").FullName, "broken.csv");
        await File.WriteAllTextAsync(file, "email,first_name\nok@example.com,Ok\n\"unterminated@example.com,Broken\n", ct);
        await using var context = await browser.NewContextAsync();
        var page = await SignInAsync(context, server);

        await page.GotoAsync(AdminScreens.Url(server, "/admin/imports"));
        await page.GetByLabel("Customer CSV file").SetInputFilesAsync(file);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start import" }).ClickAsync();

        await Assertions.Expect(page.Locator("#import-status")).ToHaveTextAsync("Failed", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The file was not imported: line");
        using var missing = await server.Client.GetAsync("/api/v1/customers/ok@example.com", ct);
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [BrowserTheory, DatabaseData]
    public async Task An_owner_downloads_every_customer_of_the_program_as_CSV(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        var emails = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var email = $"member{i}@example.com";
            using var created = await server.Client.PostAsJsonAsync("/api/v1/customers", new { email, first_name = i == 1 ? "=SUM(A1)" : "Member" }, ct);
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
            emails.Add(email);
        }
        await using var context = await browser.NewContextAsync(new() { AcceptDownloads = true });
        var page = await SignInAsync(context, server);
        await page.GotoAsync(AdminScreens.Url(server, "/admin/imports"));

        var download = await page.RunAndWaitForDownloadAsync(
            () => page.GetByRole(AriaRole.Link, new() { Name = "Download customers (CSV)" }).ClickAsync());

        download.SuggestedFilename.ShouldStartWith($"customers-{server.ProgramId}-");
        var path = await download.PathAsync();
        var lines = (await File.ReadAllLinesAsync(path, ct)).Where(l => l.Length > 0).ToList();
        lines[0].ShouldStartWith("id,external_id,email,phone,first_name,last_name");
        lines.Count.ShouldBe(1 + emails.Count);
        foreach (var email in emails)
        {
            lines.ShouldContain(l => l.Contains(email, StringComparison.Ordinal));
        }
        // A cell that a spreadsheet would run as a formula is written as text.
        lines.ShouldContain(l => l.Contains(",'=SUM(A1),", StringComparison.Ordinal));
    }

    private static async Task<IPage> SignInAsync(IBrowserContext context, PatronServer server)
    {
        var page = await context.NewPageAsync();
        await AdminScreens.SignInAsync(page, server, "owner@example.com", Password);
        return page;
    }
}
