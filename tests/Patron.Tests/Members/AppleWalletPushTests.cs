using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Members.MembersTestKit;

namespace Patron.Tests.Members;

/// <summary>
/// Apple Wallet pushes (docs/WALLET.md) against a local stand-in for APNs (HTTP/2, TLS, client
/// certificate required): a balance change is pushed once to each device registered for the pass,
/// a 410 removes the registration, failures are retried with backoff a bounded number of times,
/// and a push queued before a restart is sent after it.
/// </summary>
public sealed class AppleWalletPushTests
{
    private const string PassKit = "/wallet/passkit/v1";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The pass's authentication token, from the member's own .pkpass.</summary>
    private static async Task<string> PassTokenAsync(HttpClient member)
    {
        using var response = await member.GetAsync("/api/v1/me/wallet/apple", Cancel);
        response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync(Cancel));
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync(Cancel)), ZipArchiveMode.Read);
        using var pass = await JsonDocument.ParseAsync(zip.GetEntry("pass.json")!.Open(), cancellationToken: Cancel);
        return pass.RootElement.GetProperty("authenticationToken").GetString()!;
    }

    private static HttpClient MemberAt(PatronServer server, string secret, string customer, ManualClock clock)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        return MemberClient(server, server.ProgramId, customer, now, Sign(secret, server.ProgramId, customer, now));
    }

    /// <summary>What Wallet does once the pass is added: registers the device with its push token.</summary>
    private static async Task<int> RegisterAsync(HttpClient device, string deviceId, string serial, string passToken, string pushToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{PassKit}/devices/{deviceId}/registrations/{WalletTestChain.PassType}/{serial}")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { pushToken }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("ApplePass", passToken);
        return (await Http.SendAsync(device, request)).Code;
    }

    private static void ShouldBeAWalletPush(ApnsStandIn.Push push, string pushToken)
    {
        push.Method.ShouldBe("POST");
        push.Path.ShouldBe($"/3/device/{pushToken}");
        push.Protocol.ShouldBe("HTTP/2");
        push.Header("apns-topic").ShouldBe(WalletTestChain.PassType);
        push.Header("apns-push-type").ShouldBe("background");
        push.Body.ShouldBe("{}");
        push.ClientThumbprint.ShouldBe(WalletTestChain.Instance.Signer.Thumbprint, "APNs is reached with the pass type certificate");
    }

    [Theory, DatabaseData]
    public async Task A_balance_change_is_pushed_once_to_each_device_registered_for_the_pass_with_the_pass_type_as_topic(string database)
    {
        await using var apns = await ApnsStandIn.StartAsync();
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock, apns.Settings());
        var (_, secret) = await NewSecretAsync(server.Client);
        var alice = await NewShopCustomerAsync(server.Client, "shop-ap1", points: 100);
        var bob = await NewShopCustomerAsync(server.Client, "shop-ap2", points: 50);
        var carol = await NewShopCustomerAsync(server.Client, "shop-ap3", points: 10);
        var aliceToken = await PassTokenAsync(MemberAt(server, secret, "shop-ap1", clock));
        var bobToken = await PassTokenAsync(MemberAt(server, secret, "shop-ap2", clock));
        var device = server.ClientWithKey(null);

        // Alice's pass is on a phone and a watch; the phone also holds Bob's pass (one push token per device and pass type).
        (await RegisterAsync(device, "phone-1", alice, aliceToken, "token-phone")).ShouldBe(201);
        (await RegisterAsync(device, "watch-1", alice, aliceToken, "token-watch")).ShouldBe(201);
        (await RegisterAsync(device, "phone-1", bob, bobToken, "token-phone")).ShouldBe(201);
        await server.RunJobsAsync();
        apns.Pushes.ShouldBeEmpty("registered devices have the pass as it is");

        clock.Advance(TimeSpan.FromSeconds(1));
        await PostPointsAsync(server.Client, alice, 40);
        await PostPointsAsync(server.Client, alice, 5);
        await PostPointsAsync(server.Client, bob, 7);
        await PostPointsAsync(server.Client, carol, 7);
        await server.RunJobsAsync();

        var pushes = apns.Pushes;
        // One push per device, however many changes and passes it has.
        pushes.Select(p => p.Token).Order(StringComparer.Ordinal).ShouldBe(["token-phone", "token-watch"]);
        ShouldBeAWalletPush(pushes.Single(p => p.Token == "token-phone"), "token-phone");
        ShouldBeAWalletPush(pushes.Single(p => p.Token == "token-watch"), "token-watch");

        await server.RunJobsAsync();
        apns.Pushes.Count.ShouldBe(2, "nothing more is due until the next change");

        // The phone, woken by the push, asks what changed: both passes.
        var changed = await device.GetJsonAsync($"{PassKit}/devices/phone-1/registrations/{WalletTestChain.PassType}");
        changed["serialNumbers"].EnumerateArray().Select(s => s.GetString()).Order(StringComparer.Ordinal)
            .ShouldBe(new[] { alice, bob }.Order(StringComparer.Ordinal));

        clock.Advance(TimeSpan.FromSeconds(1));
        (await SpendAsync(server.Client, bob, 20)).Code.ShouldBe(201);
        await server.RunJobsAsync();
        apns.Pushes.Count.ShouldBe(3);
        ShouldBeAWalletPush(apns.Pushes[^1], "token-phone");
    }

    [Theory, DatabaseData]
    public async Task A_410_from_APNs_removes_the_devices_registration_and_other_devices_are_still_pushed(string database)
    {
        await using var apns = await ApnsStandIn.StartAsync();
        apns.Respond = push => push.Token switch
        {
            "token-gone" => (410, "Unregistered"),
            "token-bad" => (400, "BadDeviceToken"),
            _ => (200, null),
        };
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock, apns.Settings());
        var (_, secret) = await NewSecretAsync(server.Client);
        var id = await NewShopCustomerAsync(server.Client, "shop-ap4", points: 100);
        var passToken = await PassTokenAsync(MemberAt(server, secret, "shop-ap4", clock));
        var device = server.ClientWithKey(null);
        (await RegisterAsync(device, "old-phone", id, passToken, "token-gone")).ShouldBe(201);
        (await RegisterAsync(device, "new-phone", id, passToken, "token-live")).ShouldBe(201);
        (await RegisterAsync(device, "odd-phone", id, passToken, "token-bad")).ShouldBe(201);
        (await device.GetJsonAsync($"{PassKit}/devices/old-phone/registrations/{WalletTestChain.PassType}")).Code.ShouldBe(200);

        clock.Advance(TimeSpan.FromSeconds(1));
        await PostPointsAsync(server.Client, id, 10);
        await server.RunJobsAsync();
        apns.Pushes.Select(p => p.Token).Order(StringComparer.Ordinal).ShouldBe(["token-bad", "token-gone", "token-live"]);

        // The old phone's registration is gone: it has no passes, and the next change is not pushed to it.
        (await device.GetJsonAsync($"{PassKit}/devices/old-phone/registrations/{WalletTestChain.PassType}")).Code.ShouldBe(204);
        (await device.GetJsonAsync($"{PassKit}/devices/odd-phone/registrations/{WalletTestChain.PassType}")).Code.ShouldBe(204, "a token APNs calls bad is removed too");
        (await device.GetJsonAsync($"{PassKit}/devices/new-phone/registrations/{WalletTestChain.PassType}")).Code.ShouldBe(200);
        clock.Advance(TimeSpan.FromSeconds(1));
        await PostPointsAsync(server.Client, id, 10);
        await server.RunJobsAsync();
        apns.Pushes.Count.ShouldBe(4);
        apns.Pushes[^1].Token.ShouldBe("token-live");
    }

    [Theory, DatabaseData]
    public async Task A_failed_push_is_retried_after_its_backoff_a_bounded_number_of_times_and_the_next_change_is_pushed_again(string database)
    {
        await using var apns = await ApnsStandIn.StartAsync();
        var failing = true;
        apns.Respond = _ => Volatile.Read(ref failing) ? (503, "ServiceUnavailable") : (200, null);
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock, apns.Settings(retryBaseSeconds: 10, maxAttempts: 3));
        var (_, secret) = await NewSecretAsync(server.Client);
        var id = await NewShopCustomerAsync(server.Client, "shop-ap5", points: 100);
        var passToken = await PassTokenAsync(MemberAt(server, secret, "shop-ap5", clock));
        (await RegisterAsync(server.ClientWithKey(null), "phone-5", id, passToken, "token-five")).ShouldBe(201);

        clock.Advance(TimeSpan.FromSeconds(1));
        await PostPointsAsync(server.Client, id, 10);
        await server.RunJobsAsync();
        apns.Pushes.Count.ShouldBe(1);
        clock.Advance(TimeSpan.FromSeconds(5));
        await server.RunJobsAsync();
        apns.Pushes.Count.ShouldBe(1, "the retry waits for its 10 s backoff");
        clock.Advance(TimeSpan.FromSeconds(6));
        await server.RunJobsAsync();
        apns.Pushes.Count.ShouldBe(2);
        clock.Advance(TimeSpan.FromSeconds(15));
        await server.RunJobsAsync();
        apns.Pushes.Count.ShouldBe(2, "the second retry waits twice as long");
        clock.Advance(TimeSpan.FromSeconds(6));
        await server.RunJobsAsync();
        apns.Pushes.Count.ShouldBe(3);
        for (var i = 0; i < 4; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(10));
            await server.RunJobsAsync();
        }
        apns.Pushes.Count.ShouldBe(3, "three attempts, then the push is given up");

        Volatile.Write(ref failing, false);
        await PostPointsAsync(server.Client, id, 10);
        await server.RunJobsAsync();
        apns.Pushes.Count.ShouldBe(4);
        ShouldBeAWalletPush(apns.Pushes[^1], "token-five");
    }

    [Theory, DatabaseData]
    public async Task A_push_queued_before_the_server_stops_reaches_APNs_after_it_starts_again(string database)
    {
        await using var apns = await ApnsStandIn.StartAsync();
        var dataDir = PatronServer.NewDataDir();
        await using var testDatabase = await TestDatabase.CreateAsync(database, dataDir);
        var adminKey = "sk_test_" + Guid.NewGuid().ToString("N");
        var settings = apns.Settings();
        try
        {
            string id;
            var stopped = new Dictionary<string, string>(settings) { ["Patron:Jobs:IntervalSeconds"] = "0" };
            await using (var first = await PatronProcess.StartAsync(testDatabase.Args, adminKey, stopped))
            {
                var (_, secret) = await NewSecretAsync(first.Client);
                id = await NewShopCustomerAsync(first.Client, "shop-ap6", points: 100);
                var program = (await first.Client.GetJsonAsync("/api/v1/program")).Str("id");
                var member = first.ClientWithKey(null);
                var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                member.DefaultRequestHeaders.Add("X-Patron-Program", program);
                member.DefaultRequestHeaders.Add("X-Patron-Customer", "shop-ap6");
                member.DefaultRequestHeaders.Add("X-Patron-Timestamp", now.ToString(System.Globalization.CultureInfo.InvariantCulture));
                member.DefaultRequestHeaders.Add("X-Patron-Signature", Sign(secret, program, "shop-ap6", now));
                var passToken = await PassTokenAsync(member);
                (await RegisterAsync(first.ClientWithKey(null), "phone-6", id, passToken, "token-six")).ShouldBe(201);
                await Task.Delay(5, Cancel);
                await PostPointsAsync(first.Client, id, 25);

                // The change is committed, and with it the push it owes; the server stops before sending it.
                await first.KillAsync();
            }
            apns.Pushes.ShouldBeEmpty();

            settings["Patron:Jobs:IntervalSeconds"] = "1";
            await using var second = await PatronProcess.StartAsync(testDatabase.Args, adminKey, settings);
            var pushes = await apns.WaitForAsync(p => p.Count > 0, TimeSpan.FromSeconds(60), "the push after the restart");
            ShouldBeAWalletPush(pushes[0], "token-six");
            await Task.Delay(2500, Cancel);
            apns.Pushes.Count.ShouldBe(1, "one push, then nothing more is due");
        }
        finally
        {
            PatronServer.DeleteQuietly(dataDir);
        }
    }
}
