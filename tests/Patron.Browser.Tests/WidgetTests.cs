using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>
/// The loyalty widget (docs/WIDGET.md) on a shop's page, in a real browser: the shop is a static page
/// on another origin that pastes the documented snippet with a credential its "server" signed.
/// </summary>
public sealed class WidgetTests(BrowserFixture browser)
{
    private sealed record Shop(PatronServer Server, string Secret, string CustomerId, string RewardId);

    private static async Task<Shop> SetUpAsync(PatronServer server, string? shopOrigin)
    {
        var admin = server.Client;
        var ct = TestContext.Current.CancellationToken;
        using var secret = await admin.PostAsync("/api/v1/program/member_secrets", null, ct);
        secret.StatusCode.ShouldBe(HttpStatusCode.Created);
        var secretValue = (await secret.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("secret").GetString()!;
        if (shopOrigin is not null)
        {
            using var settings = await admin.PatchAsJsonAsync("/api/v1/program/member_settings",
                new Dictionary<string, object> { ["allowed_origins"] = new[] { shopOrigin } }, ct);
            settings.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        using var customer = await admin.PostAsJsonAsync("/api/v1/customers",
            new Dictionary<string, object> { ["external_id"] = "shop-cust-1", ["email"] = "ada@example.com", ["initial_points"] = 500 }, ct);
        customer.StatusCode.ShouldBe(HttpStatusCode.Created);
        var customerId = (await customer.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!;
        using var reward = await admin.PostAsJsonAsync("/api/v1/rewards",
            new Dictionary<string, object> { ["name"] = "Free coffee", ["type"] = "custom", ["points_cost"] = 100 }, ct);
        reward.StatusCode.ShouldBe(HttpStatusCode.Created);
        var rewardId = (await reward.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!;
        return new Shop(server, secretValue, customerId, rewardId);
    }

    /// <summary>What the shop's server does (docs/WIDGET.md): HMAC-SHA256 over program:customer:timestamp.</summary>
    private static (long Timestamp, string Signature) Sign(string secret, string programId, string customer)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var message = string.Create(CultureInfo.InvariantCulture, $"{programId}:{customer}:{timestamp}");
        return (timestamp, Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(message))));
    }

    private static async Task<long> BalanceAsync(PatronServer server, string customerId)
    {
        var customer = await server.Client.GetFromJsonAsync<JsonElement>($"/api/v1/customers/{customerId}", TestContext.Current.CancellationToken);
        return customer.GetProperty("points_balance").GetInt64();
    }

    [BrowserFact]
    public async Task A_shop_page_with_the_widget_shows_the_balance_and_a_redemption_lowers_it()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var port = FreePort();
        var shopOrigin = $"http://127.0.0.1:{port}";
        var shop = await SetUpAsync(server, shopOrigin);
        var (timestamp, signature) = Sign(shop.Secret, server.ProgramId, "shop-cust-1");
        var patron = server.BaseAddress.ToString().TrimEnd('/');
        var html = $"""
            <!doctype html><html><head><meta charset="utf-8"><title>Test shop</title>
            <style>:root {"{"} --patron-accent: #0a7d34; {"}"}</style></head>
            <body><h1>Test shop</h1>
            <script src="{patron}/widget/v1.js" data-program="{server.ProgramId}" data-customer="shop-cust-1"
                    data-timestamp="{timestamp}" data-signature="{signature}" defer></script>
            </body></html>
            """;
        using var listener = new HttpListener();
        listener.Prefixes.Add(shopOrigin + "/");
        listener.Start();
        var serving = ServeAsync(listener, html);

        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors)
                {
                    errors.Add(message.Text);
                }
            }
        };
        await page.GotoAsync(shopOrigin + "/");

        var launcher = page.Locator("button.launcher");
        await Assertions.Expect(launcher).ToContainTextAsync("500");
        (await launcher.GetAttributeAsync("aria-expanded")).ShouldBe("false");
        await launcher.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        (await launcher.GetAttributeAsync("aria-expanded")).ShouldBe("true");
        var balance = page.Locator("[data-balance]");
        await Assertions.Expect(balance).ToHaveTextAsync("500");
        var accent = await launcher.EvaluateAsync<string>("b => getComputedStyle(b).backgroundColor");
        accent.ShouldBe("rgb(10, 125, 52)", "the shop's CSS variable themes the widget");

        await page.Locator($"li[data-reward='{shop.RewardId}'] button.redeem").ClickAsync();

        await Assertions.Expect(balance).ToHaveTextAsync("400");
        await Assertions.Expect(page.Locator(".status")).ToContainTextAsync("Free coffee redeemed");
        (await BalanceAsync(server, shop.CustomerId)).ShouldBe(400);

        await page.Keyboard.PressAsync("Escape");
        (await launcher.GetAttributeAsync("aria-expanded")).ShouldBe("false");
        errors.ShouldBeEmpty();

        listener.Stop();
        await serving;
    }

    [BrowserFact]
    public async Task A_widget_on_an_origin_the_program_does_not_list_shows_no_balance()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var port = FreePort();
        var shopOrigin = $"http://127.0.0.1:{port}";
        var shop = await SetUpAsync(server, "https://the-real-shop.example.com");
        var (timestamp, signature) = Sign(shop.Secret, server.ProgramId, "shop-cust-1");
        var html = $"""
            <!doctype html><html><head><meta charset="utf-8"><title>Copycat</title></head><body>
            <script src="{server.BaseAddress.ToString().TrimEnd('/')}/widget/v1.js" data-program="{server.ProgramId}" data-customer="shop-cust-1"
                    data-timestamp="{timestamp}" data-signature="{signature}" data-open="true"></script>
            </body></html>
            """;
        using var listener = new HttpListener();
        listener.Prefixes.Add(shopOrigin + "/");
        listener.Start();
        var serving = ServeAsync(listener, html);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(shopOrigin + "/");

        await Assertions.Expect(page.Locator(".status.error")).Not.ToBeEmptyAsync();
        await Assertions.Expect(page.Locator("[data-balance]")).Not.ToHaveTextAsync("500");
        listener.Stop();
        await serving;
    }

    [BrowserFact]
    public async Task The_hosted_page_shows_the_customers_balance_and_redeems()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var shop = await SetUpAsync(server, null);
        var (timestamp, signature) = Sign(shop.Secret, server.ProgramId, "shop-cust-1");
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(new Uri(server.BaseAddress,
            $"/p/{server.ProgramId}?customer=shop-cust-1&timestamp={timestamp}&signature={signature}").ToString());

        var balance = page.Locator("[data-balance]");
        await Assertions.Expect(balance).ToHaveTextAsync("500");
        await page.Locator($"li[data-reward='{shop.RewardId}'] button.redeem").ClickAsync();
        await Assertions.Expect(balance).ToHaveTextAsync("400");
        (await BalanceAsync(server, shop.CustomerId)).ShouldBe(400);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>The test shop: every request gets the one static page.</summary>
    private static async Task ServeAsync(HttpListener listener, string html)
    {
        var bytes = Encoding.UTF8.GetBytes(html);
        while (listener.IsListening)
        {
            HttpListenerContext http;
            try
            {
                http = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            http.Response.ContentType = "text/html; charset=utf-8";
            http.Response.ContentLength64 = bytes.Length;
            await http.Response.OutputStream.WriteAsync(bytes);
            http.Response.Close();
        }
    }
}
