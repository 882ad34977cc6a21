using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Wallet;

/// <summary>What a member's Google Wallet loyalty object shows.</summary>
public sealed record GooglePassContent(string CustomerId, long PointsBalance, string? TierName, string QrCode, string? MemberName);

/// <summary>
/// Google Wallet (docs/WALLET.md): "Save to Google Wallet" links, a JWT signed RS256 with the service
/// account's key that carries the member's loyalty object, and the signed assertions that buy the
/// update queue its OAuth access tokens.
/// </summary>
public sealed class GooglePasses(IOptions<PatronOptions> options)
{
    public const string SaveUrlPrefix = "https://pay.google.com/gp/v/save/";
    public const string DefaultTokenUrl = "https://oauth2.googleapis.com/token";
    public const string Scope = "https://www.googleapis.com/auth/wallet_object.issuer";

    private readonly GoogleWalletOptions _options = options.Value.Wallet.Google;
    private readonly Lock _gate = new();
    private (string Email, RSA Key, string? TokenUri)? _account;

    public bool IsConfigured => _options.IsConfigured;

    public GoogleWalletOptions Options => _options;

    /// <summary>The loyalty class's full id.</summary>
    public string ClassId => _options.ClassId!.Contains('.', StringComparison.Ordinal) ? _options.ClassId! : $"{_options.IssuerId}.{_options.ClassId}";

    /// <summary>The member's loyalty object id: <c>{issuerId}.{customer id}</c> (customer ids are letters, digits and _).</summary>
    public string ObjectIdFor(string customerId) => $"{_options.IssuerId}.{customerId}";

    public string TokenUrl
    {
        get
        {
            var account = Account();
            return !string.IsNullOrWhiteSpace(_options.TokenUrl) ? _options.TokenUrl : account.TokenUri ?? DefaultTokenUrl;
        }
    }

    /// <summary>Throws <see cref="WalletUnavailableException"/> unless links can be signed.</summary>
    public void EnsureAvailable() => _ = Account();

    /// <summary>The "Save to Google Wallet" link for a member's loyalty object, signed now.</summary>
    public string SaveLink(GooglePassContent content, DateTimeOffset now)
    {
        var (email, _, _) = Account();
        var claims = new JsonObject
        {
            ["iss"] = email,
            ["aud"] = "google",
            ["typ"] = "savetowallet",
            ["iat"] = now.ToUnixTimeSeconds(),
            ["origins"] = new JsonArray(),
            ["payload"] = new JsonObject { ["loyaltyObjects"] = new JsonArray(LoyaltyObject(content)) },
        };
        return SaveUrlPrefix + Sign(claims);
    }

    /// <summary>The full loyalty object: id, class, state, account, points, tier and barcode.</summary>
    public JsonObject LoyaltyObject(GooglePassContent c)
    {
        var loyaltyObject = new JsonObject
        {
            ["id"] = ObjectIdFor(c.CustomerId),
            ["classId"] = ClassId,
            ["state"] = "ACTIVE",
            ["accountId"] = c.CustomerId,
            ["accountName"] = c.MemberName ?? c.CustomerId,
            ["barcode"] = new JsonObject { ["type"] = "QR_CODE", ["value"] = c.QrCode, ["alternateText"] = c.QrCode },
        };
        foreach (var (name, value) in Points(c))
        {
            loyaltyObject[name] = value;
        }
        return loyaltyObject;
    }

    /// <summary>What the update queue PATCHes: the balance and the tier.</summary>
    public static JsonObject PointsPatch(GooglePassContent c)
    {
        var patch = new JsonObject();
        foreach (var (name, value) in Points(c))
        {
            patch[name] = value;
        }
        return patch;
    }

    private static IEnumerable<(string, JsonNode)> Points(GooglePassContent c)
    {
        yield return ("loyaltyPoints", new JsonObject { ["label"] = "Points", ["balance"] = new JsonObject { ["int"] = c.PointsBalance } });
        yield return ("textModulesData", new JsonArray(new JsonObject { ["id"] = "tier", ["header"] = "Tier", ["body"] = c.TierName ?? "—" }));
    }

    /// <summary>The JWT assertion that asks the token URL for an access token (OAuth 2.0 JWT bearer grant).</summary>
    public string TokenAssertion(DateTimeOffset now)
    {
        var (email, _, _) = Account();
        var iat = now.ToUnixTimeSeconds();
        return Sign(new JsonObject
        {
            ["iss"] = email,
            ["scope"] = Scope,
            ["aud"] = TokenUrl,
            ["iat"] = iat,
            ["exp"] = iat + 3600,
        });
    }

    private string Sign(JsonObject claims)
    {
        var (_, key, _) = Account();
        var header = Base64Url(Encoding.UTF8.GetBytes("""{"alg":"RS256","typ":"JWT"}"""));
        var body = Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signingInput = header + "." + body;
        byte[] signature;
        lock (_gate)
        {
            signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private (string Email, RSA Key, string? TokenUri) Account()
    {
        if (!_options.IsConfigured)
        {
            throw new WalletUnavailableException("wallet_not_configured",
                "Google Wallet is not configured on this server: set Patron:Wallet:Google (IssuerId, ClassId, ServiceAccountKeyPath), see docs/WALLET.md.");
        }
        lock (_gate)
        {
            if (_account is { } loaded)
            {
                return loaded;
            }
            try
            {
                string email, pem;
                string? tokenUri = null;
                if (!string.IsNullOrWhiteSpace(_options.ServiceAccountKeyPath))
                {
                    using var json = JsonDocument.Parse(File.ReadAllText(_options.ServiceAccountKeyPath));
                    email = json.RootElement.GetProperty("client_email").GetString() ?? throw new FormatException("client_email");
                    pem = json.RootElement.GetProperty("private_key").GetString() ?? throw new FormatException("private_key");
                    tokenUri = json.RootElement.TryGetProperty("token_uri", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                }
                else
                {
                    email = _options.ServiceAccountEmail!;
                    pem = File.ReadAllText(_options.PrivateKeyPath!);
                }
                var key = RSA.Create();
                key.ImportFromPem(pem);
                _account = (email, key, tokenUri);
                return _account.Value;
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or JsonException
                or FormatException or KeyNotFoundException or ArgumentException or InvalidOperationException)
            {
                throw new WalletUnavailableException("wallet_key_unreadable",
                    "The Google Wallet service account key configured cannot be read (check the path and that it holds an RSA private key, docs/WALLET.md).");
            }
        }
    }

    /// <summary>A member's object content from the customer row.</summary>
    public static GooglePassContent ContentOf(CustomerDto c)
    {
        var name = string.Join(' ', new[] { c.FirstName, c.LastName }.Where(n => !string.IsNullOrWhiteSpace(n)));
        return new GooglePassContent(c.Id, c.PointsBalance, c.VipTier, c.QrCode, name.Length == 0 ? null : name);
    }
}
