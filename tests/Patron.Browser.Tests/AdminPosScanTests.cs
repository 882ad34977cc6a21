using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Patron.Operations.StaffAccounts;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>The POS screen's QR scan (docs/ADMIN.md): a QR image that Patron drew is decoded in the page.</summary>
public sealed class AdminPosScanTests(BrowserFixture browser)
{
    private const string Password = "correct horse battery";

    [BrowserTheory, DatabaseData]
    public async Task Scanning_an_image_of_the_member_QR_code_Patron_drew_finds_the_customer(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "staff@example.com", StaffRoles.Staff, Password);
        var ct = TestContext.Current.CancellationToken;
        var (customerId, qrCode) = await CreateCustomerAsync(server, ct);
        var image = Path.Combine(Directory.CreateTempSubdirectory("patron-qr-").FullName, "card.png");
        using (var png = await server.Client.GetAsync($"/api/v1/customers/{customerId}/qr.png", ct))
        {
            png.StatusCode.ShouldBe(HttpStatusCode.OK);
            await File.WriteAllBytesAsync(image, await png.Content.ReadAsByteArrayAsync(ct), ct);
        }
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 420, Height = 860 } });
        var page = await SignInAsync(context, server);

        await page.GotoAsync(AdminScreens.Url(server, "/admin/pos"));
        // Headless chromium has no BarcodeDetector: the page decodes with the vendored jsQR, served by Patron.
        (await page.EvaluateAsync<bool>("() => 'BarcodeDetector' in window")).ShouldBeFalse();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Scan with the camera" })).ToBeVisibleAsync();
        await page.GetByLabel("Scan an image").SetInputFilesAsync(image);

        await Assertions.Expect(page.Locator("#pos-customer")).ToContainTextAsync("Ada Lovelace");
        await Assertions.Expect(page.GetByLabel("Phone, QR or customer code")).ToHaveValueAsync(qrCode);
        page.Url.ShouldContain("find=" + Uri.EscapeDataString(qrCode));
        await AdminScreens.Screenshot(page, "pos-scan");
    }

    [BrowserTheory, DatabaseData]
    public async Task An_image_without_a_QR_code_finds_nobody_and_says_so(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "staff@example.com", StaffRoles.Staff, Password);
        var image = Path.Combine(Directory.CreateTempSubdirectory("patron-qr-").FullName, "blank.png");
        await File.WriteAllBytesAsync(image, Convert.FromBase64String(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="), TestContext.Current.CancellationToken);
        await using var context = await browser.NewContextAsync();
        var page = await SignInAsync(context, server);

        await page.GotoAsync(AdminScreens.Url(server, "/admin/pos"));
        await page.GetByLabel("Scan an image").SetInputFilesAsync(image);

        await Assertions.Expect(page.Locator("#scan-status")).ToHaveTextAsync("No QR code was found in that image.");
        await Assertions.Expect(page.Locator("#pos-customer")).ToHaveCountAsync(0);
    }

    [BrowserTheory, DatabaseData]
    public async Task Without_JavaScript_the_POS_finds_a_customer_by_the_typed_QR_code_and_shows_no_scan_controls(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "staff@example.com", StaffRoles.Staff, Password);
        var (_, qrCode) = await CreateCustomerAsync(server, TestContext.Current.CancellationToken);
        await using var context = await browser.NewContextAsync(new() { JavaScriptEnabled = false });
        var page = await SignInAsync(context, server);

        await page.GotoAsync(AdminScreens.Url(server, "/admin/pos"));
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Scan with the camera" })).ToBeHiddenAsync();
        await page.GetByLabel("Phone, QR or customer code").FillAsync(qrCode);
        await page.GetByRole(AriaRole.Button, new() { Name = "Find" }).ClickAsync();

        await Assertions.Expect(page.Locator("#pos-customer")).ToContainTextAsync("Ada Lovelace");
    }

    private static async Task<(string Id, string QrCode)> CreateCustomerAsync(PatronServer server, CancellationToken ct)
    {
        using var created = await server.Client.PostAsJsonAsync("/api/v1/customers",
            new { phone = "+4915112345678", first_name = "Ada", last_name = "Lovelace" }, ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>(ct);
        return (body.GetProperty("id").GetString()!, body.GetProperty("qr_code").GetString()!);
    }

    private static async Task<IPage> SignInAsync(IBrowserContext context, PatronServer server)
    {
        var page = await context.NewPageAsync();
        await AdminScreens.SignInAsync(page, server, "staff@example.com", Password);
        return page;
    }
}
