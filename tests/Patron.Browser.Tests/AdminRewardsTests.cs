using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Patron.Operations.StaffAccounts;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>
/// The dashboard's Rewards page (docs/ADMIN.md, Rewards): an owner creates a reward and uploads a voucher
/// pool CSV and reads the upload's report; the upload is in the audit trail with the staff user as actor.
/// Staff see the rewards but may not change them.
/// </summary>
public sealed class AdminRewardsTests(BrowserFixture browser)
{
    private const string Password = "correct horse battery";

    private static readonly string[] TakenCodes = ["TAKEN-1"];

    [BrowserTheory, DatabaseData]
    public async Task An_owner_creates_a_pool_reward_uploads_a_voucher_csv_and_sees_the_report_and_the_audit_entry(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var owner = await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        // A code already in the program's pools counts as a duplicate of the upload.
        string otherPool;
        using (var created = await server.Client.PostAsJsonAsync("/api/v1/rewards",
            new { name = "Old pool", type = "free_shipping", points_cost = 10, code_source = "pool" }, ct))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
            otherPool = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!;
        }
        using (var seeded = await server.Client.PostAsJsonAsync($"/api/v1/rewards/{otherPool}/voucher_codes", TakenCodes, ct))
        {
            seeded.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        var (context, page) = await SignInAsync(server, "owner@example.com");
        await using var _ = context;

        await page.GetByRole(AriaRole.Link, new() { Name = "Rewards" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Rewards", Exact = true })).ToBeVisibleAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Ten euro voucher");
        await page.GetByLabel("Type").SelectOptionAsync("amount_discount");
        await page.GetByLabel("Points cost").FillAsync("500");
        await page.GetByLabel("Value (money off, percentage or credit)").FillAsync("10");
        await page.GetByLabel("Codes").SelectOptionAsync("pool");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create reward" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Reward 'Ten euro voucher' created.");
        var row = page.Locator("#rewards tbody tr", new() { HasText = "Ten euro voucher" });
        await Assertions.Expect(row).ToContainTextAsync("amount_discount");
        await Assertions.Expect(row).ToContainTextAsync("500");
        var rewardId = await row.GetAttributeAsync("data-reward");
        rewardId.ShouldNotBeNull();

        // Two good codes, one repeated in the file, one already in another pool, and a line with a space.
        const string Csv = "code\nSUMMER-001\nSUMMER-002\nSUMMER-001\nTAKEN-1\nNOT VALID\n";
        await page.GetByLabel("Reward", new() { Exact = true }).SelectOptionAsync(rewardId);
        await page.GetByLabel("File").SetInputFilesAsync(new FilePayload
        {
            Name = "codes.csv",
            MimeType = "text/csv",
            Buffer = Encoding.UTF8.GetBytes(Csv),
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload codes" }).ClickAsync();
        var report = page.Locator("#upload-report");
        await Assertions.Expect(report).ToContainTextAsync("Voucher upload to Ten euro voucher");
        await Assertions.Expect(report.Locator("[data-count=added]")).ToHaveTextAsync("2");
        await Assertions.Expect(report.Locator("[data-count=duplicates]")).ToHaveTextAsync("2");
        await Assertions.Expect(report.Locator("[data-count=invalid]")).ToHaveTextAsync("1");
        await Assertions.Expect(report).ToContainTextAsync("Line 6:");
        await Assertions.Expect(report).ToContainTextAsync("TAKEN-1");
        await AdminScreens.Screenshot(page, "rewards");

        using (var stats = await server.Client.GetAsync($"/api/v1/rewards/{rewardId}/voucher_codes/stats", ct))
        {
            var body = await stats.Content.ReadFromJsonAsync<JsonElement>(ct);
            body.GetProperty("available").GetInt64().ShouldBe(2);
        }

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit trail" }).ClickAsync();
        await page.GetByLabel("Action").SelectOptionAsync("reward.voucher_codes_imported");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var entry = page.Locator("#audit tbody tr", new() { HasText = rewardId });
        await Assertions.Expect(entry).ToHaveCountAsync(1);
        await Assertions.Expect(entry).ToContainTextAsync($"staff {owner.Id}");
        await Assertions.Expect(entry).ToContainTextAsync("\"imported\":2");
    }

    [BrowserTheory, DatabaseData]
    public async Task An_owner_edits_a_reward_and_disables_it(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        using (var created = await server.Client.PostAsJsonAsync("/api/v1/rewards", new { name = "Free coffee", type = "free_product", points_cost = 50 }, ct))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        var (context, page) = await SignInAsync(server, "owner@example.com");
        await using var _ = context;
        await page.GotoAsync(AdminScreens.Url(server, "/admin/rewards"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Edit reward Free coffee" }).ClickAsync();
        await page.Locator("#edit-name").FillAsync("Free flat white");
        await page.Locator("#edit-points").FillAsync("75");
        await page.GetByLabel("Enabled").UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save reward" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Reward saved.");
        var row = page.Locator("#rewards tbody tr", new() { HasText = "Free flat white" });
        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("disabled");
        await Assertions.Expect(row).ToContainTextAsync("75");

        // A refusal of the core is shown on the page, with a 4xx.
        await page.GetByRole(AriaRole.Link, new() { Name = "Edit reward Free flat white" }).ClickAsync();
        await page.Locator("#edit-points").FillAsync("-5");
        await page.Locator("#edit-points").EvaluateAsync("e => e.removeAttribute('min')");
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Save reward" }).ClickAsync(), r => r.Request.Method == "POST");
        refused.Status.ShouldBe(400);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("'points_cost' must be from 0");
    }

    [BrowserTheory, DatabaseData]
    public async Task A_staff_user_sees_the_rewards_but_is_refused_creating_one(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "staff@example.com", StaffRoles.Staff, Password);
        var ct = TestContext.Current.CancellationToken;
        using (var created = await server.Client.PostAsJsonAsync("/api/v1/rewards", new { name = "Free coffee", type = "free_product", points_cost = 50 }, ct))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        var (context, page) = await SignInAsync(server, "staff@example.com");
        await using var _ = context;
        await page.GetByRole(AriaRole.Link, new() { Name = "Rewards" }).ClickAsync();
        await Assertions.Expect(page.Locator("#rewards tbody tr")).ToContainTextAsync("Free coffee");
        await Assertions.Expect(page.Locator("#new-reward")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#upload")).ToHaveCountAsync(0);

        // A hand-made post with the staff session's own antiforgery token (from the sign-out form) is still refused.
        var response = await page.RunAndWaitForResponseAsync(() => page.EvaluateAsync(
            """
            () => {
                const token = document.querySelector('input[name=__csrf]').value;
                const form = document.createElement('form');
                form.method = 'post';
                form.action = '/admin/rewards?handler=Create';
                for (const [name, value] of [['__csrf', token], ['name', 'Sneaky'], ['type', 'free_product'], ['pointsCost', '1']]) {
                    const input = document.createElement('input');
                    input.type = 'hidden';
                    input.name = name;
                    input.value = value;
                    form.append(input);
                }
                document.body.append(form);
                form.submit();
            }
            """), r => r.Request.Method == "POST");
        response.Status.ShouldBe(403);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Only an owner");
        using var list = await server.Client.GetAsync("/api/v1/rewards", ct);
        (await list.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("total_count").GetInt64().ShouldBe(1);
    }

    /// <summary>A new browser context (dispose it) whose page is signed in as <paramref name="email"/>.</summary>
    private async Task<(IBrowserContext Context, IPage Page)> SignInAsync(PatronServer server, string email)
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 800 } });
        var page = await context.NewPageAsync();
        await AdminScreens.SignInAsync(page, server, email, Password);
        return (context, page);
    }
}
