using System.Net;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Members.MembersTestKit;

namespace Patron.Tests.Members;

/// <summary>Google Wallet "Save" links and the native customer's pass links (docs/WALLET.md).</summary>
public sealed class GoogleWalletTests
{
    private const string SavePrefix = "https://pay.google.com/gp/v/save/";

    private static JsonElement LoyaltyObject(GoogleWalletTestAccount account, string saveUrl)
    {
        saveUrl.ShouldStartWith(SavePrefix);
        var claims = account.Verify(saveUrl[SavePrefix.Length..]);
        claims.GetProperty("iss").GetString().ShouldBe(GoogleWalletTestAccount.Email);
        claims.GetProperty("aud").GetString().ShouldBe("google");
        claims.GetProperty("typ").GetString().ShouldBe("savetowallet");
        var objects = claims.GetProperty("payload").GetProperty("loyaltyObjects");
        objects.GetArrayLength().ShouldBe(1);
        return objects[0].Clone();
    }

    private static long Balance(JsonElement loyaltyObject) =>
        loyaltyObject.GetProperty("loyaltyPoints").GetProperty("balance").GetProperty("int").GetInt64();

    [Theory, DatabaseData]
    public async Task Google_save_link_is_a_JWT_that_verifies_with_the_service_account_key_and_holds_the_members_balance(string database)
    {
        using var account = new GoogleWalletTestAccount();
        await using var server = await PatronServer.StartAsync(database, settings: account.Settings());
        var (_, secret) = await NewSecretAsync(server.Client);
        var id = await NewShopCustomerAsync(server.Client, "shop-g1", points: 250);
        var customer = await CustomerAsync(server.Client, id);
        var client = SignedIn(server, server.ProgramId, secret, "shop-g1");

        var me = await client.GetJsonAsync("/api/v1/me");
        me.Code.ShouldBe(200, me.Raw);
        var loyaltyObject = LoyaltyObject(account, me["wallet"].GetProperty("google_pass_url").GetString()!);
        loyaltyObject.GetProperty("id").GetString().ShouldBe($"{GoogleWalletTestAccount.Issuer}.{id}");
        loyaltyObject.GetProperty("classId").GetString().ShouldBe($"{GoogleWalletTestAccount.Issuer}.{GoogleWalletTestAccount.ClassSuffix}");
        loyaltyObject.GetProperty("state").GetString().ShouldBe("ACTIVE");
        Balance(loyaltyObject).ShouldBe(250);
        loyaltyObject.GetProperty("barcode").GetProperty("type").GetString().ShouldBe("QR_CODE");
        loyaltyObject.GetProperty("barcode").GetProperty("value").GetString().ShouldBe(customer.Str("qr_code"));

        // A link whose balance was changed after signing no longer verifies.
        var jwt = me["wallet"].GetProperty("google_pass_url").GetString()![SavePrefix.Length..].Split('.');
        var forgedClaims = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Pad(jwt[1]))).Replace("\"int\":250", "\"int\":99999", StringComparison.Ordinal);
        forgedClaims.ShouldContain("99999");
        account.Rejects($"{jwt[0]}.{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(forgedClaims)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}.{jwt[2]}")
            .ShouldBeTrue();

        // The link follows the balance: the member's own endpoint and the native customer carry it too.
        await PostPointsAsync(server.Client, id, 50);
        var link = await client.GetJsonAsync("/api/v1/me/wallet/google");
        link.Code.ShouldBe(200, link.Raw);
        link.Str("object").ShouldBe("google_wallet_link");
        link.Str("object_id").ShouldBe($"{GoogleWalletTestAccount.Issuer}.{id}");
        Balance(LoyaltyObject(account, link.Str("url"))).ShouldBe(300);
        var native = await CustomerAsync(server.Client, id);
        Balance(LoyaltyObject(account, native.Str("google_wallet_url"))).ShouldBe(300);
        native.Body.TryGetProperty("wallet_pass_url", out _).ShouldBeFalse("Apple passes are not configured");
    }

    private static string Pad(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return b + new string('=', (4 - b.Length % 4) % 4);
    }

    [Theory, DatabaseData]
    public async Task Without_configuration_Google_links_are_null_and_the_endpoint_answers_wallet_not_configured(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (_, secret) = await NewSecretAsync(server.Client);
        var id = await NewShopCustomerAsync(server.Client, "shop-g2", points: 10);
        var client = SignedIn(server, server.ProgramId, secret, "shop-g2");

        (await client.GetJsonAsync("/api/v1/me"))["wallet"].GetProperty("google_pass_url").ValueKind.ShouldBe(JsonValueKind.Null);
        var link = await client.GetJsonAsync("/api/v1/me/wallet/google");
        link.Code.ShouldBe(503, link.Raw);
        link.ErrorCode.ShouldBe("wallet_not_configured");
        link["error"].GetProperty("message").GetString()!.ShouldContain("Google Wallet is not configured");
        var native = await CustomerAsync(server.Client, id);
        native.Body.TryGetProperty("google_wallet_url", out _).ShouldBeFalse();
        native.Body.TryGetProperty("wallet_pass_url", out _).ShouldBeFalse();
    }

    [Theory, DatabaseData]
    public async Task An_unreadable_service_account_key_answers_wallet_key_unreadable(string database)
    {
        using var account = new GoogleWalletTestAccount();
        var settings = account.Settings();
        settings["Patron:Wallet:Google:ServiceAccountKeyPath"] = Path.Combine(account.Folder, "missing.json");
        await using var server = await PatronServer.StartAsync(database, settings: settings);
        var (_, secret) = await NewSecretAsync(server.Client);
        await NewShopCustomerAsync(server.Client, "shop-g3", points: 10);
        var client = SignedIn(server, server.ProgramId, secret, "shop-g3");

        var link = await client.GetJsonAsync("/api/v1/me/wallet/google");
        link.Code.ShouldBe(503, link.Raw);
        link.ErrorCode.ShouldBe("wallet_key_unreadable");
        var me = await client.GetJsonAsync("/api/v1/me");
        me.Code.ShouldBe(200, me.Raw);
        me["wallet"].GetProperty("google_pass_url").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory, DatabaseData]
    public async Task The_native_customer_carries_wallet_pass_url_and_the_API_document_shows_it(string database)
    {
        using var account = new GoogleWalletTestAccount();
        var settings = new Dictionary<string, string>(WalletTestChain.Instance.Settings());
        foreach (var (key, value) in account.Settings())
        {
            settings[key] = value;
        }
        await using var server = await PatronServer.StartAsync(database, settings: settings);
        var id = await NewShopCustomerAsync(server.Client, "shop-g4", points: 75);

        var customer = await CustomerAsync(server.Client, id);
        var passUrl = customer.Str("wallet_pass_url");
        passUrl.ShouldStartWith(server.BaseAddress.ToString().TrimEnd('/') + $"/wallet/v1/{server.ProgramId}/apple/{id}?token=");
        using (var pass = await server.ClientWithKey(null).GetAsync(passUrl, TestContext.Current.CancellationToken))
        {
            pass.StatusCode.ShouldBe(HttpStatusCode.OK);
            pass.Content.Headers.ContentType!.MediaType.ShouldBe("application/vnd.apple.pkpass");
        }
        Balance(LoyaltyObject(account, customer.Str("google_wallet_url"))).ShouldBe(75);
        // A read-only key sees the same links.
        var read = await server.ClientWithScopeAsync(Patron.Api.Scope.Read);
        (await CustomerAsync(read, id)).Str("wallet_pass_url").ShouldBe(passUrl);

        var document = await server.ClientWithKey(null).GetJsonAsync("/openapi/v1.json");
        document.Code.ShouldBe(200);
        var properties = document["components"].GetProperty("schemas").GetProperty("CustomerDto").GetProperty("properties");
        properties.TryGetProperty("wallet_pass_url", out _).ShouldBeTrue();
        properties.TryGetProperty("google_wallet_url", out _).ShouldBeTrue();
    }
}
