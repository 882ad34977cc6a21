using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Members;

/// <summary>Set-up the members tests share: a member secret, shop customers, and signed clients.</summary>
internal static class MembersTestKit
{
    public const string SecretsPath = "/api/v1/program/member_secrets";
    public const string SettingsPath = "/api/v1/program/member_settings";

    /// <summary>Creates a member secret and returns its id and value (shown this once).</summary>
    public static async Task<(string Id, string Secret)> NewSecretAsync(HttpClient admin)
    {
        var created = await admin.PostJsonAsync(SecretsPath);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return (created.Str("id"), created.Str("secret"));
    }

    /// <summary>A customer the shop knows as <paramref name="externalId"/>; returns the Patron id.</summary>
    public static async Task<string> NewShopCustomerAsync(HttpClient admin, string externalId, long points = 0, string? email = null)
    {
        var body = new Dictionary<string, object> { ["external_id"] = externalId, ["email"] = email ?? TestKit.UniqueEmail() };
        if (points > 0)
        {
            body["initial_points"] = points;
        }
        var created = await admin.PostJsonAsync(TestKit.CustomersPath, body);
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        return created.Str("id");
    }

    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>What the shop's server computes (docs/WIDGET.md), written here independently of Patron's code.</summary>
    public static string Sign(string secret, string programId, string customer, long timestamp) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{programId}:{customer}:{timestamp}"))));

    /// <summary>A client with no API key that presents the given credential in the X-Patron-* headers.</summary>
    public static HttpClient MemberClient(PatronServer server, string programId, string customer, long timestamp, string signature)
    {
        var client = server.ClientWithKey(null);
        client.DefaultRequestHeaders.Add("X-Patron-Program", programId);
        client.DefaultRequestHeaders.Add("X-Patron-Customer", customer);
        client.DefaultRequestHeaders.Add("X-Patron-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        client.DefaultRequestHeaders.Add("X-Patron-Signature", signature);
        return client;
    }

    /// <summary>A client signed in as the customer, with a credential signed now.</summary>
    public static HttpClient SignedIn(PatronServer server, string programId, string secret, string customer) =>
        MemberClient(server, programId, customer, Now, Sign(secret, programId, customer, Now));
}
