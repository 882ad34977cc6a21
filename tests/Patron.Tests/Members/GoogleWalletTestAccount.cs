using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Members;

/// <summary>
/// A Google service account made in the test: an RSA key written as the JSON key file Google gives,
/// and the checks a receiver of Patron's JWTs makes (RS256 with the account's public key).
/// </summary>
internal sealed class GoogleWalletTestAccount : IDisposable
{
    public const string Issuer = "3388000000022";
    public const string ClassSuffix = "patron_test_loyalty";
    public const string Email = "patron-wallet@patron-test.iam.gserviceaccount.com";

    private readonly RSA _key = RSA.Create(2048);

    public GoogleWalletTestAccount()
    {
        Folder = PatronServer.NewDataDir();
        KeyPath = Path.Combine(Folder, "service-account.json");
        File.WriteAllText(KeyPath, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["client_email"] = Email,
            ["private_key_id"] = "test",
            ["private_key"] = _key.ExportPkcs8PrivateKeyPem(),
            ["token_uri"] = "https://oauth2.googleapis.com/token",
        }));
    }

    public string Folder { get; }
    public string KeyPath { get; }

    /// <summary>The server configuration; the API and the token URL point at a local stand-in when given.</summary>
    public Dictionary<string, string> Settings(Uri? standIn = null, int retryBaseSeconds = 30, int maxAttempts = 8)
    {
        var settings = new Dictionary<string, string>
        {
            ["Patron:Wallet:Google:IssuerId"] = Issuer,
            ["Patron:Wallet:Google:ClassId"] = ClassSuffix,
            ["Patron:Wallet:Google:ServiceAccountKeyPath"] = KeyPath,
            ["Patron:Wallet:Google:RetryBaseSeconds"] = retryBaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Patron:Wallet:Google:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (standIn is not null)
        {
            settings["Patron:Wallet:Google:ApiBaseUrl"] = new Uri(standIn, "/walletobjects/v1").ToString();
            settings["Patron:Wallet:Google:TokenUrl"] = new Uri(standIn, "/token").ToString();
        }
        return settings;
    }

    /// <summary>Checks the JWT's RS256 signature with the account's public key and returns its claims.</summary>
    public JsonElement Verify(string jwt)
    {
        var parts = jwt.Split('.');
        parts.Length.ShouldBe(3, jwt);
        var header = JsonDocument.Parse(Base64Url(parts[0])).RootElement;
        header.GetProperty("alg").GetString().ShouldBe("RS256");
        using var publicKey = RSA.Create();
        publicKey.ImportSubjectPublicKeyInfo(_key.ExportSubjectPublicKeyInfo(), out _);
        publicKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .ShouldBeTrue("the JWT's signature verifies with the service account's public key");
        return JsonDocument.Parse(Base64Url(parts[1])).RootElement.Clone();
    }

    /// <summary>True when the JWT was signed by another key (a forged or tampered token).</summary>
    public bool Rejects(string jwt)
    {
        var parts = jwt.Split('.');
        using var publicKey = RSA.Create();
        publicKey.ImportSubjectPublicKeyInfo(_key.ExportSubjectPublicKeyInfo(), out _);
        return parts.Length != 3 || !publicKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private static byte[] Base64Url(string s)
    {
        var padded = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    public void Dispose()
    {
        _key.Dispose();
        PatronServer.DeleteQuietly(Folder);
    }
}
