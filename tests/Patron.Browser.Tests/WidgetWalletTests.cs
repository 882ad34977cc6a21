using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>The widget's wallet pass buttons and its once-only redeem (docs/WIDGET.md), in a real browser.</summary>
public sealed class WidgetWalletTests(BrowserFixture browser)
{
    [BrowserFact]
    public async Task The_hosted_page_offers_the_Google_Wallet_button_and_a_redeem_carries_an_idempotency_key()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = PatronServer.NewDataDir();
        using var key = RSA.Create(2048);
        var keyPath = Path.Combine(folder, "service-account.json");
        await File.WriteAllTextAsync(keyPath, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["client_email"] = "wallet@patron-test.iam.gserviceaccount.com",
            ["private_key"] = key.ExportPkcs8PrivateKeyPem(),
        }), ct);
        try
        {
            await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite, settings: new Dictionary<string, string>
            {
                ["Patron:Wallet:Google:IssuerId"] = "3388000000022",
                ["Patron:Wallet:Google:ClassId"] = "loyalty",
                ["Patron:Wallet:Google:ServiceAccountKeyPath"] = keyPath,
            });
            var admin = server.Client;
            using var created = await admin.PostAsync("/api/v1/program/member_secrets", null, ct);
            var secret = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("secret").GetString()!;
            using var customer = await admin.PostAsJsonAsync("/api/v1/customers",
                new Dictionary<string, object> { ["external_id"] = "shop-wallet-1", ["email"] = "wal@example.com", ["initial_points"] = 300 }, ct);
            customer.StatusCode.ShouldBe(HttpStatusCode.Created);
            using var reward = await admin.PostAsJsonAsync("/api/v1/rewards",
                new Dictionary<string, object> { ["name"] = "Free tea", ["type"] = "custom", ["points_cost"] = 100 }, ct);
            var rewardId = (await reward.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!;
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
                Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{server.ProgramId}:shop-wallet-1:{timestamp}"))));

            await using var context = await browser.NewContextAsync();
            var page = await context.NewPageAsync();
            await page.GotoAsync(new Uri(server.BaseAddress,
                $"/p/{server.ProgramId}?customer=shop-wallet-1&timestamp={timestamp}&signature={signature}").ToString());

            await Assertions.Expect(page.Locator("[data-balance]")).ToHaveTextAsync("300");
            var google = page.Locator("a[data-pass='google']");
            await Assertions.Expect(google).ToBeVisibleAsync();
            (await google.GetAttributeAsync("href"))!.ShouldStartWith("https://pay.google.com/gp/v/save/");
            await Assertions.Expect(page.Locator("a[data-pass='apple']")).ToBeHiddenAsync();

            var redeem = page.WaitForRequestAsync(r => r.Method == "POST" && r.Url.Contains("/api/v1/me/redemptions", StringComparison.Ordinal));
            await page.Locator($"li[data-reward='{rewardId}'] button.redeem").ClickAsync();
            var request = await redeem;
            request.Headers.ShouldContainKey("idempotency-key");
            request.Headers["idempotency-key"].ShouldStartWith("widget-");
            await Assertions.Expect(page.Locator("[data-balance]")).ToHaveTextAsync("200");
        }
        finally
        {
            PatronServer.DeleteQuietly(folder);
        }
    }
}
