using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Patron.Tests.Infrastructure;
using Patron.Tests.Webhooks;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Members.MembersTestKit;

namespace Patron.Tests.Members;

/// <summary>
/// The Google Wallet update queue (docs/WALLET.md) against a local stand-in for Google's token URL and
/// Wallet API: a balance change PATCHes the member's loyalty object with a bearer token bought by a
/// signed assertion, failures are retried with backoff a bounded number of times, and a restart loses nothing.
/// </summary>
public sealed class GoogleWalletUpdateTests
{
    private const string ObjectsPath = "/walletobjects/v1/loyaltyObject/";

    /// <summary>
    /// What Google would do: the token URL checks the assertion (grant type, RS256 signature, issuer,
    /// scope, audience) and hands out a token; the API takes a PATCH only with that bearer token, and
    /// answers <paramref name="failing"/>'s status while it says so.
    /// </summary>
    private static Func<WebhookReceiver.Received, HttpContext, Task> StandIn(GoogleWalletTestAccount account, Func<int?> failing) =>
        async (request, http) =>
        {
            if (request.Method == "POST" && request.Path == "/token")
            {
                var form = QueryHelpers.ParseQuery(request.Text);
                var claims = account.Verify(form["assertion"].ToString());
                var valid = form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
                    && claims.GetProperty("iss").GetString() == GoogleWalletTestAccount.Email
                    && claims.GetProperty("scope").GetString() == "https://www.googleapis.com/auth/wallet_object.issuer"
                    && claims.GetProperty("aud").GetString()!.EndsWith("/token", StringComparison.Ordinal);
                http.Response.StatusCode = valid ? 200 : 400;
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync(valid ? """{"access_token":"ya29.stand-in-token","expires_in":3600,"token_type":"Bearer"}""" : "{}");
                return;
            }
            if (request.Method == "PATCH" && request.Path.StartsWith(ObjectsPath, StringComparison.Ordinal))
            {
                http.Response.StatusCode = request.Headers.GetValueOrDefault("Authorization") != "Bearer ya29.stand-in-token" ? 401 : failing() ?? 200;
                return;
            }
            http.Response.StatusCode = 404;
        };

    private static bool IsPatch(WebhookReceiver.Received r) => r.Method == "PATCH";

    private static long PatchedPoints(WebhookReceiver.Received r) =>
        r.Json.GetProperty("loyaltyPoints").GetProperty("balance").GetProperty("int").GetInt64();

    private static HttpClient MemberAt(PatronServer server, string secret, string customer, ManualClock clock)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        return MemberClient(server, server.ProgramId, customer, now, Sign(secret, server.ProgramId, customer, now));
    }

    [Theory, DatabaseData]
    public async Task A_balance_change_patches_the_loyalty_objects_points_with_the_bearer_token_and_a_failure_is_retried_after_backoff(string database)
    {
        using var account = new GoogleWalletTestAccount();
        await using var standIn = await WebhookReceiver.StartAsync();
        int? failWith = null;
        standIn.Respond = StandIn(account, () => failWith);
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock, account.Settings(standIn.BaseAddress, retryBaseSeconds: 30));
        var (_, secret) = await NewSecretAsync(server.Client);
        var id = await NewShopCustomerAsync(server.Client, "shop-q1", points: 250);
        var other = await NewShopCustomerAsync(server.Client, "shop-q2", points: 10);

        // Only a member whose link was signed has an object to update.
        (await MemberAt(server, secret, "shop-q1", clock).GetJsonAsync("/api/v1/me"))["wallet"].GetProperty("google_pass_url").GetString()
            .ShouldStartWith("https://pay.google.com/gp/v/save/");
        await server.RunJobsAsync();
        standIn.Requests.ShouldBeEmpty("nothing changed since the link was signed");

        clock.Advance(TimeSpan.FromSeconds(1));
        await PostPointsAsync(server.Client, id, 40);
        await PostPointsAsync(server.Client, other, 40);
        failWith = 503;
        await server.RunJobsAsync();
        standIn.Requests.Count(IsPatch).ShouldBe(1);
        await server.RunJobsAsync();
        standIn.Requests.Count(IsPatch).ShouldBe(1, "the retry waits for its backoff");

        failWith = null;
        clock.Advance(TimeSpan.FromSeconds(31));
        await server.RunJobsAsync();
        var patches = standIn.Requests.Where(IsPatch).ToList();
        patches.Count.ShouldBe(2);
        var patch = patches[^1];
        patch.Path.ShouldBe($"{ObjectsPath}{GoogleWalletTestAccount.Issuer}.{id}");
        patch.Header("Authorization").ShouldBe("Bearer ya29.stand-in-token");
        PatchedPoints(patch).ShouldBe(290);
        standIn.Requests.Count(r => r.Path == "/token").ShouldBe(1, "the access token is reused until it expires");

        // Delivered: nothing more is due until the next change, which is sent with its own balance.
        await server.RunJobsAsync();
        standIn.Requests.Count(IsPatch).ShouldBe(2);
        clock.Advance(TimeSpan.FromSeconds(1));
        (await SpendAsync(server.Client, id, 90)).Code.ShouldBe(201);
        await server.RunJobsAsync();
        PatchedPoints(standIn.Requests.Where(IsPatch).Last()).ShouldBe(200);
    }

    [Theory, DatabaseData]
    public async Task Retries_are_bounded_and_the_members_next_change_is_sent_again(string database)
    {
        using var account = new GoogleWalletTestAccount();
        await using var standIn = await WebhookReceiver.StartAsync();
        int? failWith = 500;
        standIn.Respond = StandIn(account, () => failWith);
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock, account.Settings(standIn.BaseAddress, retryBaseSeconds: 10, maxAttempts: 3));
        var (_, secret) = await NewSecretAsync(server.Client);
        var id = await NewShopCustomerAsync(server.Client, "shop-q3", points: 100);
        (await MemberAt(server, secret, "shop-q3", clock).GetJsonAsync("/api/v1/me/wallet/google")).Code.ShouldBe(200);

        clock.Advance(TimeSpan.FromSeconds(1));
        await PostPointsAsync(server.Client, id, 5);
        for (var i = 0; i < 6; i++)
        {
            await server.RunJobsAsync();
            clock.Advance(TimeSpan.FromMinutes(5));
        }
        standIn.Requests.Count(IsPatch).ShouldBe(3, "three attempts, then the update is given up");

        failWith = null;
        await PostPointsAsync(server.Client, id, 7);
        await server.RunJobsAsync();
        standIn.Requests.Count(IsPatch).ShouldBe(4);
        PatchedPoints(standIn.Requests.Where(IsPatch).Last()).ShouldBe(112);
    }

    [Theory, DatabaseData]
    public async Task An_update_queued_before_the_server_stops_reaches_Google_after_it_starts_again(string database)
    {
        using var account = new GoogleWalletTestAccount();
        await using var standIn = await WebhookReceiver.StartAsync();
        var restarted = false;
        standIn.Respond = StandIn(account, () => Volatile.Read(ref restarted) ? null : 503);
        var dataDir = PatronServer.NewDataDir();
        await using var testDatabase = await TestDatabase.CreateAsync(database, dataDir);
        var adminKey = "sk_test_" + Guid.NewGuid().ToString("N");
        var settings = account.Settings(standIn.BaseAddress, retryBaseSeconds: 1);
        settings["Patron:Jobs:IntervalSeconds"] = "1";
        try
        {
            string id;
            await using (var first = await PatronProcess.StartAsync(testDatabase.Args, adminKey, settings))
            {
                var (_, secret) = await NewSecretAsync(first.Client);
                id = await NewShopCustomerAsync(first.Client, "shop-q4", points: 100);
                var program = (await first.Client.GetJsonAsync("/api/v1/program")).Str("id");
                var member = first.ClientWithKey(null);
                var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                member.DefaultRequestHeaders.Add("X-Patron-Program", program);
                member.DefaultRequestHeaders.Add("X-Patron-Customer", "shop-q4");
                member.DefaultRequestHeaders.Add("X-Patron-Timestamp", now.ToString(CultureInfo.InvariantCulture));
                member.DefaultRequestHeaders.Add("X-Patron-Signature", Sign(secret, program, "shop-q4", now));
                (await member.GetJsonAsync("/api/v1/me/wallet/google")).Code.ShouldBe(200);
                await Task.Delay(5, TestContext.Current.CancellationToken);
                await PostPointsAsync(first.Client, id, 25);

                // Google is down while the first server runs: it tries (twice, so a failure was recorded), then stops.
                await standIn.WaitForAsync(r => r.Count(IsPatch) >= 2, TimeSpan.FromSeconds(60), "the first server's attempts");
                await first.KillAsync();
            }
            var beforeRestart = standIn.Requests.Count;
            Volatile.Write(ref restarted, true);

            await using var second = await PatronProcess.StartAsync(testDatabase.Args, adminKey, settings);
            var delivered = await standIn.WaitForAsync(r => r.Skip(beforeRestart).Any(IsPatch), TimeSpan.FromSeconds(90), "the update after the restart");
            var patch = delivered.Skip(beforeRestart).First(IsPatch);
            patch.Path.ShouldBe($"{ObjectsPath}{GoogleWalletTestAccount.Issuer}.{id}");
            patch.Header("Authorization").ShouldBe("Bearer ya29.stand-in-token");
            PatchedPoints(patch).ShouldBe(125);
        }
        finally
        {
            PatronServer.DeleteQuietly(dataDir);
        }
    }
}
