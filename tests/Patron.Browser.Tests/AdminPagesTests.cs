using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>
/// The dashboard's program pages (docs/ADMIN.md): the audit trail, rewards and voucher pools, earn rules,
/// VIP tiers, settings, erasure, webhook replay, the POS camera scan and imports, clicked through as a person would.
/// </summary>
public sealed class AdminPagesTests(BrowserFixture browser)
{
    private const string Password = "correct horse battery";

    [BrowserTheory, DatabaseData]
    public async Task An_owner_reads_the_audit_trail_filtered_by_action_and_subject_page_by_page(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffUsers.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        var rewardIds = new List<string>();
        for (var i = 1; i <= AdminPageSize + 1; i++)
        {
            using var created = await server.Client.PostAsJsonAsync("/api/v1/rewards", new { name = $"Reward {i}", type = "free_product", points_cost = 10 * i }, ct);
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
            rewardIds.Add((await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!);
        }
        using (var key = await server.Client.PostAsJsonAsync("/api/v1/api_keys", new { name = "Audited key", scope = "read" }, ct))
        {
            key.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        var (context, page) = await SignInAsync(server, "owner@example.com");
        await using var _ = context;

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit trail" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit trail" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#audit tbody tr").First).ToContainTextAsync("api_key.created");

        await page.GetByLabel("Action").SelectOptionAsync("reward.created");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToHaveCountAsync(AdminPageSize);
        await Assertions.Expect(page.Locator("#audit")).Not.ToContainTextAsync("api_key.created");
        await Assertions.Expect(page.Locator("#audit tbody tr").First).ToContainTextAsync(rewardIds[^1]);
        await Screenshot(page, "audit");
        await page.GetByRole(AriaRole.Link, new() { Name = "Older events" }).ClickAsync();
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToContainTextAsync(rewardIds[0]);
        await Assertions.Expect(page.GetByLabel("Action")).ToHaveValueAsync("reward.created");

        await page.GetByLabel("Action").SelectOptionAsync("");
        await page.GetByLabel("Subject (type or id)").FillAsync(rewardIds[3]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToContainTextAsync("Reward 4");

        await page.GetByLabel("Subject (type or id)").FillAsync("api_key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.Locator("#audit tbody tr").First).ToContainTextAsync("Audited key");
        await Assertions.Expect(page.Locator("#audit")).Not.ToContainTextAsync("reward.created");
    }

    [BrowserTheory, DatabaseData]
    public async Task An_owner_erases_a_customer_after_confirming_and_the_ledger_stays(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffUsers.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        string customerId;
        using (var created = await server.Client.PostAsJsonAsync("/api/v1/customers",
            new { phone = "+4915199999999", first_name = "Grace", last_name = "Hopper", email = "grace@example.com" }, ct))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
            customerId = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!;
        }
        var (context, page) = await SignInAsync(server, "owner@example.com");
        await using var _ = context;

        await page.GotoAsync(Url(server, "/admin/customers/" + customerId));
        await page.GetByRole(AriaRole.Link, new() { Name = "Erase customer…" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Erase Grace Hopper?" })).ToBeVisibleAsync();
        await page.GetByLabel("I understand: erase this customer's personal data").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Erase for good" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Customer {customerId} is erased");

        await page.GetByLabel("Find by id, email, phone, external id, QR code or name").FillAsync("grace@example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No customer matches.")).ToBeVisibleAsync();
        var row = await server.App.Services.GetRequiredService<Database>().ReadAsync(sql =>
            sql.ListAsync("SELECT email, phone, first_name, status FROM customers WHERE id = @id",
                r => (Email: r.StringOrNull(0), Phone: r.StringOrNull(1), Name: r.StringOrNull(2), Status: r.GetString(3)), ("id", customerId)));
        row.ShouldHaveSingleItem().ShouldBe((null, null, null, "deleted"));

        await page.GotoAsync(Url(server, $"/admin/audit?action=customer.erased"));
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToContainTextAsync(customerId);
    }

    private const int AdminPageSize = Patron.Dashboard.AdminPage.PageSize;

    /// <summary>A new browser context (dispose it) whose page is signed in as <paramref name="email"/>.</summary>
    private async Task<(IBrowserContext Context, IPage Page)> SignInAsync(PatronServer server, string email, int width = 1100)
    {
        var context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url(server, "/admin/login"));
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        return (context, page);
    }

    private static string Url(PatronServer server, string path) => new Uri(server.BaseAddress, path).ToString();

    /// <summary>Saves a page as docs/ADMIN.md shows it, into docs/admin/ only when PATRON_UPDATE_SCREENSHOTS=1.</summary>
    private static async Task Screenshot(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("PATRON_UPDATE_SCREENSHOTS") == "1"
            ? Repository.File("docs", "admin")
            : Directory.CreateTempSubdirectory("patron-screenshots-").FullName;
        var path = Path.Combine(folder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        new FileInfo(path).Length.ShouldBeGreaterThan(0, name);
    }
}
