using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Members.MembersTestKit;

namespace Patron.Tests.Members;

/// <summary>Apple Wallet passes and the PassKit web service (docs/WALLET.md).</summary>
public sealed class WalletTests
{
    private const string PassKit = "/wallet/passkit/v1";
    private const string Device = "device-abc123";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<(PatronServer Server, string Secret)> StartAsync(string database, bool configured = true)
    {
        var server = await PatronServer.StartAsync(database, settings: configured ? WalletTestChain.Instance.Settings() : null);
        var (_, secret) = await NewSecretAsync(server.Client);
        return (server, secret);
    }

    private static async Task<Dictionary<string, byte[]>> DownloadPassAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Cancel);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancel));
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/vnd.apple.pkpass");
        return Unzip(await response.Content.ReadAsByteArrayAsync(Cancel));
    }

    private static Dictionary<string, byte[]> Unzip(byte[] pkpass)
    {
        using var zip = new ZipArchive(new MemoryStream(pkpass), ZipArchiveMode.Read);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[entry.FullName] = copy.ToArray();
        }
        return files;
    }

    private static JsonElement PassJson(Dictionary<string, byte[]> files) => JsonDocument.Parse(files["pass.json"]).RootElement.Clone();

    private static HttpRequestMessage ApplePass(HttpMethod method, string path, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("ApplePass", token);
        }
        if (body is not null)
        {
            request.Content = System.Net.Http.Json.JsonContent.Create(body);
        }
        return request;
    }

    [Theory, DatabaseData]
    public async Task Apple_pass_unzips_to_a_manifest_matching_every_file_and_a_signature_that_verifies_against_the_test_chain(string database)
    {
        var (server, secret) = await StartAsync(database);
        await using var _ = server;
        var id = await NewShopCustomerAsync(server.Client, "shop-w1", points: 250);
        var customer = await CustomerAsync(server.Client, id);
        var client = SignedIn(server, server.ProgramId, secret, "shop-w1");

        var me = await client.GetJsonAsync("/api/v1/me");
        var link = me["wallet"].GetProperty("apple_pass_url").GetString();
        link.ShouldBe("/api/v1/me/wallet/apple");
        var files = await DownloadPassAsync(client, link!);

        var manifestBytes = files["manifest.json"];
        var manifest = JsonDocument.Parse(manifestBytes).RootElement;
        var listed = manifest.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        var content = files.Keys.Where(k => k is not "manifest.json" and not "signature").ToList();
        content.ShouldContain("pass.json");
        content.ShouldContain("icon.png");
        content.ShouldContain("logo.png");
        listed.Keys.OrderBy(k => k, StringComparer.Ordinal).ShouldBe(content.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var name in content)
        {
#pragma warning disable CA5350 // the manifest's format is SHA-1
            listed[name].ShouldBe(Convert.ToHexStringLower(SHA1.HashData(files[name])), name);
#pragma warning restore CA5350
        }

        var chain = WalletTestChain.Instance;
        var cms = new SignedCms(new ContentInfo(manifestBytes), detached: true);
        cms.Decode(files["signature"]);
        cms.CheckSignature(new X509Certificate2Collection(chain.Wwdr), verifySignatureOnly: true);
        cms.Certificates.Select(c => c.Thumbprint).ShouldContain(chain.Wwdr.Thumbprint);
        var signer = cms.SignerInfos[0].Certificate!;
        signer.Thumbprint.ShouldBe(chain.Signer.Thumbprint);
        using var verify = new X509Chain();
        verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verify.ChainPolicy.CustomTrustStore.Add(chain.Root);
        verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        verify.ChainPolicy.ExtraStore.AddRange(cms.Certificates);
        verify.Build(signer).ShouldBeTrue(string.Join(", ", verify.ChainStatus.Select(s => s.StatusInformation)));

        // A manifest changed after signing no longer verifies.
        var tampered = new SignedCms(new ContentInfo([.. manifestBytes, (byte)' ']), detached: true);
        tampered.Decode(files["signature"]);
        Should.Throw<CryptographicException>(() => tampered.CheckSignature(true));

        var pass = PassJson(files);
        pass.GetProperty("passTypeIdentifier").GetString().ShouldBe(WalletTestChain.PassType);
        pass.GetProperty("teamIdentifier").GetString().ShouldBe(WalletTestChain.Team);
        pass.GetProperty("serialNumber").GetString().ShouldBe(id);
        pass.GetProperty("webServiceURL").GetString().ShouldBe(server.BaseAddress.ToString().TrimEnd('/') + "/wallet/passkit");
        pass.GetProperty("authenticationToken").GetString()!.Length.ShouldBeGreaterThanOrEqualTo(16);
        pass.GetProperty("storeCard").GetProperty("primaryFields")[0].GetProperty("value").GetInt64().ShouldBe(250);
        pass.GetProperty("barcodes")[0].GetProperty("message").GetString().ShouldBe(customer.Str("qr_code"));
        pass.GetProperty("barcodes")[0].GetProperty("format").GetString().ShouldBe("PKBarcodeFormatQR");
    }

    [Theory, DatabaseData]
    public async Task Without_certificates_the_pass_endpoints_say_passes_are_not_configured(string database)
    {
        var (server, secret) = await StartAsync(database, configured: false);
        await using var _ = server;
        var id = await NewShopCustomerAsync(server.Client, "shop-w2", points: 10);
        var client = SignedIn(server, server.ProgramId, secret, "shop-w2");

        var me = await client.GetJsonAsync("/api/v1/me");
        me["wallet"].GetProperty("apple_pass_url").ValueKind.ShouldBe(JsonValueKind.Null);
        var pass = await client.GetJsonAsync("/api/v1/me/wallet/apple");
        pass.Code.ShouldBe(503, pass.Raw);
        pass.ErrorCode.ShouldBe("wallet_not_configured");
        pass["error"].GetProperty("message").GetString()!.ShouldContain("not configured");
        var latest = await Http.SendAsync(server.ClientWithKey(null), ApplePass(HttpMethod.Get, $"{PassKit}/passes/pass.any/{id}", "whatever-token-123"));
        latest.Code.ShouldBe(503, latest.Raw);
        latest.ErrorCode.ShouldBe("wallet_not_configured");
    }

    [Theory, DatabaseData]
    public async Task PassKit_registration_updates_since_and_latest_pass_follow_apples_web_service(string database)
    {
        var (server, secret) = await StartAsync(database);
        await using var _ = server;
        var id = await NewShopCustomerAsync(server.Client, "shop-w3", points: 100);
        var files = await DownloadPassAsync(SignedIn(server, server.ProgramId, secret, "shop-w3"), "/api/v1/me/wallet/apple");
        var token = PassJson(files).GetProperty("authenticationToken").GetString();
        var device = server.ClientWithKey(null);
        var registration = $"{PassKit}/devices/{Device}/registrations/{WalletTestChain.PassType}/{id}";

        (await Http.SendAsync(device, ApplePass(HttpMethod.Post, registration, token, new { pushToken = "push\u0000" }))).Code.ShouldBe(400);
        (await Http.SendAsync(device, ApplePass(HttpMethod.Post, registration, token, new { pushToken = "push-1" }))).Code.ShouldBe(201);
        (await Http.SendAsync(device, ApplePass(HttpMethod.Post, registration, token, new { pushToken = "push-1" }))).Code.ShouldBe(200);

        var updates = $"{PassKit}/devices/{Device}/registrations/{WalletTestChain.PassType}";
        var all = await device.GetJsonAsync(updates);
        all.Code.ShouldBe(200, all.Raw);
        all["serialNumbers"].EnumerateArray().Select(s => s.GetString()).ShouldBe([id]);
        var tag = all.Str("lastUpdated");
        (await device.GetJsonAsync($"{updates}?passesUpdatedSince={tag}")).Code.ShouldBe(204);

        // The latest pass, unchanged since the device's copy: 304.
        var passPath = $"{PassKit}/passes/{WalletTestChain.PassType}/{id}";
        using var first = await device.SendAsync(ApplePass(HttpMethod.Get, passPath, token), Cancel);
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        var lastModified = first.Content.Headers.LastModified!.Value;
        var unchanged = ApplePass(HttpMethod.Get, passPath, token);
        unchanged.Headers.IfModifiedSince = lastModified;
        using (var notModified = await device.SendAsync(unchanged, Cancel))
        {
            notModified.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        }

        // A balance change marks the pass updated.
        var wait = lastModified - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait + TimeSpan.FromMilliseconds(20), Cancel);
        }
        await PostPointsAsync(server.Client, id, 40);
        var changed = await device.GetJsonAsync($"{updates}?passesUpdatedSince={tag}");
        changed.Code.ShouldBe(200, changed.Raw);
        changed["serialNumbers"].EnumerateArray().Select(s => s.GetString()).ShouldBe([id]);
        long.Parse(changed.Str("lastUpdated"), System.Globalization.CultureInfo.InvariantCulture)
            .ShouldBeGreaterThan(long.Parse(tag, System.Globalization.CultureInfo.InvariantCulture));
        var stale = ApplePass(HttpMethod.Get, passPath, token);
        stale.Headers.IfModifiedSince = lastModified;
        using (var newer = await device.SendAsync(stale, Cancel))
        {
            newer.StatusCode.ShouldBe(HttpStatusCode.OK);
            var balance = PassJson(Unzip(await newer.Content.ReadAsByteArrayAsync(Cancel)));
            balance.GetProperty("storeCard").GetProperty("primaryFields")[0].GetProperty("value").GetInt64().ShouldBe(140);
        }

        (await device.SendRawAsync(HttpMethod.Post, $"{PassKit}/log", """{"logs":["a message"]}""")).Code.ShouldBe(200);
        (await device.SendRawAsync(HttpMethod.Post, $"{PassKit}/log", """{"logs":["half \ud83d"]}""")).Code.ShouldBe(400);
        (await Http.SendAsync(device, ApplePass(HttpMethod.Delete, registration, token))).Code.ShouldBe(200);
        (await device.GetJsonAsync(updates)).Code.ShouldBe(204);
    }

    [Theory, DatabaseData]
    public async Task A_wrong_ApplePass_token_is_401(string database)
    {
        var (server, secret) = await StartAsync(database);
        await using var _ = server;
        var id = await NewShopCustomerAsync(server.Client, "shop-w4", points: 5);
        var other = await NewShopCustomerAsync(server.Client, "shop-w5", points: 5);
        var files = await DownloadPassAsync(SignedIn(server, server.ProgramId, secret, "shop-w5"), "/api/v1/me/wallet/apple");
        var otherToken = PassJson(files).GetProperty("authenticationToken").GetString();
        var device = server.ClientWithKey(null);
        var registration = $"{PassKit}/devices/{Device}/registrations/{WalletTestChain.PassType}/{id}";

        foreach (var token in new[] { otherToken, "not-the-token-at-all", null })
        {
            var register = await Http.SendAsync(device, ApplePass(HttpMethod.Post, registration, token, new { pushToken = "p" }));
            register.Code.ShouldBe(401, register.Raw);
            register.ErrorCode.ShouldBe("invalid_pass_token");
            (await Http.SendAsync(device, ApplePass(HttpMethod.Get, $"{PassKit}/passes/{WalletTestChain.PassType}/{id}", token))).Code.ShouldBe(401);
        }
        // The other customer's own token, on its own pass, is accepted.
        (await Http.SendAsync(device, ApplePass(HttpMethod.Get, $"{PassKit}/passes/{WalletTestChain.PassType}/{other}", otherToken))).Code.ShouldBe(200);
    }

    [Theory, DatabaseData]
    public async Task LoyaltyDogs_walletPassUrl_downloads_the_members_pass_and_a_forged_link_is_401(string database)
    {
        var (server, _) = await StartAsync(database);
        await using var _s = server;
        var id = await NewShopCustomerAsync(server.Client, "shop-w6", points: 70);

        var customer = await server.Client.GetJsonAsync($"/compat/loyaltydog/customers/{id}");
        customer.Code.ShouldBe(200, customer.Raw);
        var link = customer.Str("walletPassUrl");
        link.ShouldStartWith(server.BaseAddress.ToString().TrimEnd('/') + "/wallet/v1/");
        var anonymous = server.ClientWithKey(null);
        var pass = PassJson(await DownloadPassAsync(anonymous, link));
        pass.GetProperty("serialNumber").GetString().ShouldBe(id);
        pass.GetProperty("storeCard").GetProperty("primaryFields")[0].GetProperty("value").GetInt64().ShouldBe(70);

        var forged = await anonymous.GetJsonAsync(link[..(link.IndexOf("token=", StringComparison.Ordinal) + 6)] + "forged");
        forged.Code.ShouldBe(401, forged.Raw);
    }
}
