using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Patron.Operations.StaffAccounts;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>
/// The dashboard's "VIP tiers" and "Earn rules &amp; campaigns" pages (docs/ADMIN.md), clicked through as an
/// owner would: refusals of the core shown on the form, changes visible in the API and in the audit trail
/// with the staff user as the actor. Staff are refused both pages.
/// </summary>
public sealed class AdminTiersAndEarnRulesTests(BrowserFixture browser)
{
    private const string Password = "correct horse battery";

    [BrowserTheory, DatabaseData]
    public async Task An_owner_creates_a_tier_and_an_earn_rule_sees_them_listed_and_audited_as_staff(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var owner = await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 800 } });
        var page = await context.NewPageAsync();
        await SignInAsync(page, server, "owner@example.com");

        await page.GetByRole(AriaRole.Link, new() { Name = "VIP tiers" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "VIP tiers", Exact = true })).ToBeVisibleAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Gold");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create tier" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("A tier needs a requirement");
        await Assertions.Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("Gold");

        await page.GetByLabel("Points or spend required").FillAsync("500");
        await page.GetByLabel("Points multiplier (default 1)").FillAsync("1.5");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create tier" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("VIP tier 'Gold' created.");
        await Assertions.Expect(page.Locator("#tiers tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#tiers tbody tr")).ToContainTextAsync("500 lifetime points");
        await AdminScreens.Screenshot(page, "vip-tiers");

        await page.GetByRole(AriaRole.Link, new() { Name = "Earn rules & campaigns" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Earn rules & campaigns" })).ToBeVisibleAsync();
        await page.GetByLabel("Activity type").FillAsync("review");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create rule" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Missing required parameter: points.");
        await Assertions.Expect(page.GetByLabel("Activity type")).ToHaveValueAsync("review");

        await page.GetByLabel("Name (optional)").FillAsync("Review bonus");
        await page.GetByLabel("Points (fixed award)").FillAsync("25");
        await page.GetByLabel("Gold").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create rule" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Earn rule on 'review' created.");
        await Assertions.Expect(page.Locator("#rules tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#rules tbody tr")).ToContainTextAsync("25 points");

        await page.GetByRole(AriaRole.Link, new() { Name = "Edit Review bonus" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Points (fixed award)")).ToHaveValueAsync("25");
        await page.GetByLabel("Points (fixed award)").FillAsync("30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save rule" }).ClickAsync();
        await Assertions.Expect(page.Locator("#rules tbody tr")).ToContainTextAsync("30 points");
        await AdminScreens.Screenshot(page, "earn-rules");

        // The pages changed the program through the core: the API shows the same rule and tier.
        var tiers = await server.Client.GetFromJsonAsync<JsonElement>("/api/v1/vip_tiers", ct);
        var tier = tiers.GetProperty("data")[0];
        tier.GetProperty("name").GetString().ShouldBe("Gold");
        tier.GetProperty("multiplier").GetDecimal().ShouldBe(1.5m);
        var rules = await server.Client.GetFromJsonAsync<JsonElement>("/api/v1/earn_rules", ct);
        var rule = rules.GetProperty("data")[0];
        rule.GetProperty("points").GetInt64().ShouldBe(30);
        rule.GetProperty("tier_ids")[0].GetString().ShouldBe(tier.GetProperty("id").GetString());

        foreach (var action in new[] { "vip_tier.created", "earn_rule.created", "earn_rule.updated" })
        {
            await page.GotoAsync(AdminScreens.Url(server, $"/admin/audit?action={action}"));
            await Assertions.Expect(page.Locator("#audit tbody tr")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("#audit tbody tr")).ToContainTextAsync($"staff {owner.Id}");
        }

        await page.GotoAsync(AdminScreens.Url(server, "/admin/earn-rules"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Review bonus" }).ClickAsync();
        await Assertions.Expect(page.Locator("#rules tbody")).ToContainTextAsync("No earn rule yet.");
        await page.GotoAsync(AdminScreens.Url(server, "/admin/tiers"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Gold" }).ClickAsync();
        await Assertions.Expect(page.Locator("#tiers tbody")).ToContainTextAsync("No VIP tier yet.");
        (await server.Client.GetFromJsonAsync<JsonElement>("/api/v1/vip_tiers", ct)).GetProperty("data").GetArrayLength().ShouldBe(0);
    }

    [BrowserFact]
    public async Task A_staff_user_is_refused_the_tier_and_earn_rule_pages()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "till@example.com", StaffRoles.Staff, Password);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await SignInAsync(page, server, "till@example.com");

        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "VIP tiers" })).ToHaveCountAsync(0);
        foreach (var path in new[] { "/admin/tiers", "/admin/earn-rules" })
        {
            var response = await page.GotoAsync(AdminScreens.Url(server, path));
            response!.Status.ShouldBe(403, path);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
        }
    }

    private static async Task SignInAsync(IPage page, PatronServer server, string email)
    {
        await AdminScreens.SignInAsync(page, server, email, Password);
    }
}
