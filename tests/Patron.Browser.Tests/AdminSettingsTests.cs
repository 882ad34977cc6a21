using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Patron.Operations.StaffAccounts;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>The program settings page (docs/ADMIN.md): the settings <c>PATCH /program</c> changes, for owners only.</summary>
public sealed class AdminSettingsTests(BrowserFixture browser)
{
    private const string Password = "correct horse battery";

    [BrowserTheory, DatabaseData]
    public async Task An_owner_changes_the_program_settings_and_the_change_is_audited_as_the_staff_user(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var owner = await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 900 } });
        var page = await SignInAsync(context, server, "owner@example.com");

        await page.GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Program settings" })).ToBeVisibleAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Corner Bakery Rewards");
        await page.GetByLabel("Days until points expire (0: never)").FillAsync("365");
        await page.GetByLabel("Value of one point", new() { Exact = false }).FillAsync("0.01");
        await page.GetByLabel("Points for the referrer").FillAsync("250");
        await page.GetByLabel("Rounding").SelectOptionAsync("nearest");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Settings saved.");
        await Assertions.Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("Corner Bakery Rewards");
        await AdminScreens.Screenshot(page, "settings");
        var program = await server.Client.GetFromJsonAsync<JsonElement>("/api/v1/program", ct);
        program.GetProperty("name").GetString().ShouldBe("Corner Bakery Rewards");
        program.GetProperty("points_expiry_days").GetInt32().ShouldBe(365);
        program.GetProperty("point_value").GetDecimal().ShouldBe(0.01m);
        program.GetProperty("rounding").GetString().ShouldBe("nearest");
        program.GetProperty("referral").GetProperty("referrer_points").GetInt64().ShouldBe(250);

        await page.GotoAsync(AdminScreens.Url(server, "/admin/audit?action=program.updated"));
        var row = page.Locator("#audit tbody tr");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync("staff " + owner.Id);
        await Assertions.Expect(row).ToContainTextAsync("Corner Bakery Rewards");
    }

    [BrowserTheory, DatabaseData]
    public async Task Settings_that_are_not_valid_are_marked_on_the_form_and_nothing_is_saved(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        var before = await server.Client.GetFromJsonAsync<JsonElement>("/api/v1/program", ct);
        await using var context = await browser.NewContextAsync();
        var page = await SignInAsync(context, server, "owner@example.com");
        await page.GotoAsync(AdminScreens.Url(server, "/admin/settings"));

        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Renamed");
        await page.GetByLabel("Points per unit").FillAsync("lots");
        var typed = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync(), r => r.Request.Method == "POST");
        typed.Status.ShouldBe(400);
        await Assertions.Expect(page.Locator("#Form_PointsPerUnit-error")).ToHaveTextAsync("Type a number, such as 1 or 0.5.");
        await Assertions.Expect(page.GetByLabel("Points per unit")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("Renamed");

        await page.GetByLabel("Points per unit").FillAsync("1");
        await page.GetByLabel("Currency (ISO 4217, such as EUR)").FillAsync("E1");
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync(), r => r.Request.Method == "POST");
        refused.Status.ShouldBe(400);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("three-letter ISO 4217 code");
        await Assertions.Expect(page.Locator("#Form_Currency-error")).ToContainTextAsync("'currency' must be a three-letter ISO 4217 code");

        var after = await server.Client.GetFromJsonAsync<JsonElement>("/api/v1/program", ct);
        after.GetProperty("name").GetString().ShouldBe(before.GetProperty("name").GetString());
        after.GetProperty("currency").GetString().ShouldBe(before.GetProperty("currency").GetString());
        after.GetProperty("updated_at").GetString().ShouldBe(before.GetProperty("updated_at").GetString());
    }

    [BrowserTheory, DatabaseData]
    public async Task A_settings_form_shown_before_another_change_is_refused_rather_than_undoing_it(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        await using var context = await browser.NewContextAsync();
        var page = await SignInAsync(context, server, "owner@example.com");
        await page.GotoAsync(AdminScreens.Url(server, "/admin/settings"));
        await Task.Delay(5, ct);
        using (var patched = await server.Client.PatchAsJsonAsync("/api/v1/program", new { name = "Changed through the API" }, ct))
        {
            patched.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await page.GetByLabel("Days until points expire (0: never)").FillAsync("30");
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync(), r => r.Request.Method == "POST");

        refused.Status.ShouldBe(409);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("changed by someone else");
        var program = await server.Client.GetFromJsonAsync<JsonElement>("/api/v1/program", ct);
        program.GetProperty("name").GetString().ShouldBe("Changed through the API");
        program.GetProperty("points_expiry_days").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [BrowserTheory, DatabaseData]
    public async Task A_staff_user_is_refused_the_settings_page_and_every_other_owner_page(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "staff@example.com", StaffRoles.Staff, Password);
        var ct = TestContext.Current.CancellationToken;
        var before = await server.Client.GetFromJsonAsync<JsonElement>("/api/v1/program", ct);
        await using var context = await browser.NewContextAsync();
        var page = await SignInAsync(context, server, "staff@example.com");

        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Settings" })).ToHaveCountAsync(0);
        foreach (var path in new[] { "/admin/settings", "/admin/imports", "/admin/imports?handler=Export&what=customers", "/admin/keys", "/admin/webhooks", "/admin/users", "/admin/audit" })
        {
            var response = await page.GotoAsync(AdminScreens.Url(server, path));
            response.ShouldNotBeNull().Status.ShouldBe(403, path);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
        }

        // A post with a valid antiforgery token (taken from a page staff may use) is refused too, and changes nothing.
        await page.GotoAsync(AdminScreens.Url(server, "/admin/account"));
        var token = await page.Locator("input[name=__csrf]").First.GetAttributeAsync("value");
        var post = await page.APIRequest.PostAsync(AdminScreens.Url(server, "/admin/settings"), new()
        {
            Form = Form(context, token!),
            MaxRedirects = 0,
        });
        post.Status.ShouldBe(403);
        var after = await server.Client.GetFromJsonAsync<JsonElement>("/api/v1/program", ct);
        after.GetProperty("name").GetString().ShouldBe(before.GetProperty("name").GetString());
    }

    private static IFormData Form(IBrowserContext context, string token)
    {
        var form = context.APIRequest.CreateFormData();
        form.Set("__csrf", token);
        form.Set("Form.Name", "Taken over");
        form.Set("Form.Currency", "EUR");
        form.Set("Form.EarnMode", "spend");
        form.Set("Form.PointsPerUnit", "1");
        form.Set("Form.Rounding", "floor");
        form.Set("Form.StampsRequired", "10");
        return form;
    }

    private static async Task<IPage> SignInAsync(IBrowserContext context, PatronServer server, string email)
    {
        var page = await context.NewPageAsync();
        await AdminScreens.SignInAsync(page, server, email, Password);
        return page;
    }
}
