using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Patron.Operations.StaffAccounts;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>
/// The admin dashboard at <c>/admin</c>, clicked through in a real browser as a merchant's staff would
/// (docs/ADMIN.md). The main pages are saved as screenshots into docs/admin/ for the guide.
/// </summary>
public sealed class AdminDashboardTests(BrowserFixture browser)
{
    private const string Password = "correct horse battery";
    private const string Phone = "+4915112345678";

    private static readonly Dictionary<string, string> Settings = new() { ["Patron:Webhooks:AllowPrivateTargets"] = "true" };

    [BrowserFact]
    public async Task An_owner_finds_a_customer_by_phone_awards_redeems_and_manages_keys_and_webhooks()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite, settings: Settings);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        using (var created = await server.Client.PostAsJsonAsync("/api/v1/customers",
            new { phone = Phone, first_name = "Ada", last_name = "Lovelace", email = "ada@example.com" }, ct))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        using (var reward = await server.Client.PostAsJsonAsync("/api/v1/rewards", new { name = "Free coffee", type = "free_product", points_cost = 50 }, ct))
        {
            reward.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 800 } });
        var page = await context.NewPageAsync();

        await page.GotoAsync(AdminScreens.Url(server, "/admin"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await AdminScreens.Screenshot(page, "login");
        await page.GetByLabel("Email").FillAsync("owner@example.com");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#members")).ToHaveTextAsync("1");

        // A webhook endpoint first, so that what follows is delivered to it.
        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await page.GetByLabel("URL").FillAsync("http://127.0.0.1:9/patron-hooks");
        await page.GetByLabel("Description (optional)").FillAsync("Till integration");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create endpoint" }).ClickAsync();
        await Assertions.Expect(page.Locator("#new-secret")).ToContainTextAsync("whsec_");
        await Assertions.Expect(page.Locator("#endpoints")).ToContainTextAsync("http://127.0.0.1:9/patron-hooks");

        // Customers: search by phone opens the customer.
        await page.GetByRole(AriaRole.Link, new() { Name = "Customers" }).ClickAsync();
        await page.GetByLabel("Find by id, email, phone, external id, QR code or name").FillAsync(Phone);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Ada Lovelace" })).ToBeVisibleAsync();

        // POS: find by phone, award by amount, redeem; the threshold is the cheapest reward.
        await page.GetByRole(AriaRole.Link, new() { Name = "POS" }).ClickAsync();
        await page.GetByLabel("Phone, QR or customer code").FillAsync(Phone);
        await page.GetByRole(AriaRole.Button, new() { Name = "Find" }).ClickAsync();
        await Assertions.Expect(page.Locator("#pos-threshold")).ToHaveTextAsync("50");
        await Assertions.Expect(page.Locator("#pos-balance")).ToHaveTextAsync("0");
        await page.GetByLabel("Amount spent (USD)").FillAsync("60");
        await page.GetByRole(AriaRole.Button, new() { Name = "Award points" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Awarded 60 points");
        await Assertions.Expect(page.Locator("#pos-balance")).ToHaveTextAsync("60");
        await page.GetByRole(AriaRole.Button, new() { Name = "Redeem Free coffee" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Redeemed 50 points");
        await Assertions.Expect(page.Locator("#pos-balance")).ToHaveTextAsync("10");
        await AdminScreens.Screenshot(page, "pos");

        // The ledger shows both, written by the staff user.
        await page.GetByRole(AriaRole.Link, new() { Name = "Ada Lovelace" }).ClickAsync();
        await Assertions.Expect(page.Locator("#ledger tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#ledger")).ToContainTextAsync("Redeemed: Free coffee");
        await Assertions.Expect(page.Locator("#balance")).ToHaveTextAsync("10");
        await AdminScreens.Screenshot(page, "customer");

        await page.GetByRole(AriaRole.Link, new() { Name = "Overview" }).ClickAsync();
        await Assertions.Expect(page.Locator("#issued")).ToHaveTextAsync("60");
        await Assertions.Expect(page.Locator("#spent")).ToHaveTextAsync("50");
        await Assertions.Expect(page.Locator("#outstanding")).ToHaveTextAsync("10");
        await Assertions.Expect(page.Locator("#redemptions")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator(".chart svg rect.earned")).ToHaveCountAsync(30);
        await AdminScreens.Screenshot(page, "overview");

        await page.GetByRole(AriaRole.Link, new() { Name = "Customers" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Ada Lovelace" })).ToBeVisibleAsync();
        await AdminScreens.Screenshot(page, "customers");

        // The webhook endpoint's delivery log shows what the award and redemption sent.
        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Delivery log" }).ClickAsync();
        await Assertions.Expect(page.Locator("#deliveries")).ToContainTextAsync("points.created");
        await AdminScreens.Screenshot(page, "webhooks");

        // API keys: the secret is shown once, works, and stops working when revoked.
        await page.GetByRole(AriaRole.Link, new() { Name = "API keys" }).ClickAsync();
        await page.GetByLabel("Name").FillAsync("Till 2");
        await page.GetByLabel("Scope").SelectOptionAsync("read");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var secret = (await page.Locator("#new-secret").TextContentAsync())!.Trim();
        secret.ShouldStartWith("sk_");
        using (var client = server.ClientWithKey(secret))
        {
            using var read = await client.GetAsync("/api/v1/program", ct);
            read.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        await AdminScreens.Screenshot(page, "keys");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key Till 2" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The key is revoked.");
        await Assertions.Expect(page.Locator("#keys tr", new() { HasText = "Till 2" }).Locator(".state")).ToHaveTextAsync("revoked");
        await Assertions.Expect(page.Locator("#new-secret")).ToHaveCountAsync(0);
        using (var client = server.ClientWithKey(secret))
        {
            using var refused = await client.GetAsync("/api/v1/program", ct);
            refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
    }

    [BrowserFact]
    public async Task A_staff_user_works_the_till_but_is_refused_the_owner_pages()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "till@example.com", StaffRoles.Staff, Password);
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 390, Height = 844 } });
        var page = await context.NewPageAsync();
        await SignInAsync(page, server, "till@example.com");

        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "POS" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "API keys" })).ToHaveCountAsync(0);
        foreach (var path in new[] { "/admin/keys", "/admin/webhooks", "/admin/users" })
        {
            var response = await page.GotoAsync(AdminScreens.Url(server, path));
            response!.Status.ShouldBe(403, path);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
        }
        var pos = await page.GotoAsync(AdminScreens.Url(server, "/admin/pos"));
        pos!.Status.ShouldBe(200);
        await AdminScreens.Screenshot(page, "pos-phone");
    }

    [BrowserFact]
    public async Task Five_wrong_passwords_throttle_the_sign_in_form()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(AdminScreens.Url(server, "/admin/login"));

        for (var i = 0; i < 5; i++)
        {
            await page.GetByLabel("Email").FillAsync("owner@example.com");
            await page.GetByLabel("Password").FillAsync($"guess number {i}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong email or password.");
        }
        await page.GetByLabel("Email").FillAsync("owner@example.com");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Too many wrong passwords");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
    }

    private static async Task SignInAsync(IPage page, PatronServer server, string email)
    {
        await AdminScreens.SignInAsync(page, server, email, Password);
    }

}
