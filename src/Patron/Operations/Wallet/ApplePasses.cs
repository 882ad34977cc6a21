using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Patron.Domain;
using Patron.Storage;
using Patron.Webhooks;

namespace Patron.Operations.Wallet;

/// <summary>What one member's Apple pass shows and how Wallet reaches Patron about it.</summary>
public sealed record ApplePassContent(
    string SerialNumber, string AuthenticationToken, string WebServiceUrl, string OrganizationName, string ProgramName,
    long PointsBalance, string? TierName, string QrCode, string? MemberName, DateTimeOffset UpdatedAt);

/// <summary>Why the wallet cannot answer: not configured, or its certificate cannot be read.</summary>
public sealed class WalletUnavailableException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// Builds and signs Apple Wallet passes (docs/WALLET.md): a store card's <c>pass.json</c>, its images,
/// <c>manifest.json</c> with every file's SHA-1, and <c>signature</c>, a detached PKCS#7 signature of
/// the manifest made with the pass type certificate, Apple's WWDR intermediate included.
/// </summary>
public sealed class ApplePasses(IOptions<PatronOptions> options, WebhookSecrets secrets)
{
    public const string ContentType = "application/vnd.apple.pkpass";

    private static readonly string[] Images = ["icon.png", "icon@2x.png", "logo.png", "logo@2x.png"];

    private readonly AppleWalletOptions _options = options.Value.Wallet.Apple;
    private readonly byte[] _tokenKey = secrets.DeriveKey("patron wallet pass tokens v1");
    private readonly Lock _gate = new();
    private (X509Certificate2 Signer, X509Certificate2 Wwdr)? _certificates;

    public bool IsConfigured => _options.IsConfigured;

    public string PassTypeIdentifier => _options.PassTypeIdentifier ?? "";

    /// <summary>The serial number of a customer's pass: the customer's id, which never changes.</summary>
    public static string SerialFor(CustomerDto customer) => customer.Id;

    /// <summary>
    /// The pass's authentication token, derived from the serial number under Patron's key, so that
    /// nothing secret is stored: only a pass Patron issued carries it.
    /// </summary>
    public string TokenFor(string serialNumber) =>
        Convert.ToBase64String(HMACSHA256.HashData(_tokenKey, Encoding.UTF8.GetBytes("apple:" + serialNumber)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public bool TokenMatches(string serialNumber, string? token) =>
        token is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(TokenFor(serialNumber)), Encoding.UTF8.GetBytes(token));

    /// <summary>Throws <see cref="WalletUnavailableException"/> unless passes can be signed.</summary>
    public void EnsureAvailable() => _ = Certificates();

    /// <summary>The pass type certificate (with its private key), which also authenticates Patron to APNs.</summary>
    public X509Certificate2 PassCertificate => Certificates().Signer;

    public AppleWalletOptions Options => _options;

    public string OrganizationNameOr(string programName) =>
        string.IsNullOrWhiteSpace(_options.OrganizationName) ? programName : _options.OrganizationName;

    /// <summary>The <c>.pkpass</c> archive: pass.json, the images, manifest.json and signature.</summary>
    public byte[] Build(ApplePassContent content)
    {
        var (signer, wwdr) = Certificates();
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal) { ["pass.json"] = PassJson(content) };
        foreach (var image in Images)
        {
            files[image] = Image(image);
        }
        var manifest = new JsonObject();
        foreach (var (name, bytes) in files)
        {
#pragma warning disable CA5350 // Apple's manifest format names SHA-1; the signature itself is SHA-256.
            manifest[name] = Convert.ToHexStringLower(SHA1.HashData(bytes));
#pragma warning restore CA5350
        }
        var manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        var signature = Sign(manifestBytes, signer, wwdr);

        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in files)
            {
                Add(zip, name, bytes);
            }
            Add(zip, "manifest.json", manifestBytes);
            Add(zip, "signature", signature);
        }
        return buffer.ToArray();
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        using var entry = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        entry.Write(bytes);
    }

    private static byte[] Sign(byte[] manifest, X509Certificate2 signer, X509Certificate2 wwdr)
    {
        var cms = new SignedCms(new ContentInfo(manifest), detached: true);
        var cmsSigner = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, signer)
        {
            IncludeOption = X509IncludeOption.EndCertOnly,
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"),
        };
        cmsSigner.Certificates.Add(wwdr);
        cmsSigner.SignedAttributes.Add(new Pkcs9SigningTime(DateTime.UtcNow));
        cms.ComputeSignature(cmsSigner, silent: true);
        return cms.Encode();
    }

    private byte[] PassJson(ApplePassContent c)
    {
        var balance = c.PointsBalance.ToString("N0", CultureInfo.InvariantCulture);
        var pass = new JsonObject
        {
            ["formatVersion"] = 1,
            ["passTypeIdentifier"] = _options.PassTypeIdentifier,
            ["serialNumber"] = c.SerialNumber,
            ["teamIdentifier"] = _options.TeamIdentifier,
            ["organizationName"] = c.OrganizationName,
            ["description"] = $"{c.ProgramName} loyalty card",
            ["logoText"] = c.ProgramName,
            ["webServiceURL"] = c.WebServiceUrl,
            ["authenticationToken"] = c.AuthenticationToken,
            ["foregroundColor"] = "rgb(255, 255, 255)",
            ["backgroundColor"] = "rgb(43, 76, 126)",
            ["labelColor"] = "rgb(220, 228, 240)",
            ["storeCard"] = new JsonObject
            {
                ["headerFields"] = new JsonArray(Field("points", "POINTS", balance, "Your balance is now %@ points.")),
                ["primaryFields"] = new JsonArray(Field("balance", "Balance", c.PointsBalance)),
                ["secondaryFields"] = new JsonArray(
                    Field("tier", "Tier", c.TierName ?? "—", c.TierName is null ? null : "You are now %@."),
                    Field("member", "Member", c.MemberName ?? "")),
                ["backFields"] = new JsonArray(
                    Field("updated", "Updated", c.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))),
            },
            ["barcodes"] = new JsonArray(new JsonObject
            {
                ["format"] = "PKBarcodeFormatQR",
                ["message"] = c.QrCode,
                ["messageEncoding"] = "iso-8859-1",
                ["altText"] = c.QrCode,
            }),
        };
        return Encoding.UTF8.GetBytes(pass.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static JsonObject Field(string key, string label, JsonNode? value, string? changeMessage = null)
    {
        var field = new JsonObject { ["key"] = key, ["label"] = label, ["value"] = value };
        if (changeMessage is not null)
        {
            field["changeMessage"] = changeMessage;
        }
        return field;
    }

    private static byte[] Image(string name)
    {
        using var stream = typeof(ApplePasses).Assembly.GetManifestResourceStream("Patron.Wallet." + name)
            ?? throw new InvalidOperationException($"The wallet image {name} is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private (X509Certificate2 Signer, X509Certificate2 Wwdr) Certificates()
    {
        if (!_options.IsConfigured)
        {
            throw new WalletUnavailableException("wallet_not_configured",
                "Apple Wallet passes are not configured on this server: set Patron:Wallet:Apple (PassTypeIdentifier, TeamIdentifier, CertificatePath, CertificatePassword, WwdrCertificatePath), see docs/WALLET.md.");
        }
        lock (_gate)
        {
            if (_certificates is { } loaded)
            {
                return loaded;
            }
            try
            {
                var signer = X509CertificateLoader.LoadPkcs12FromFile(_options.CertificatePath!, _options.CertificatePassword,
                    X509KeyStorageFlags.EphemeralKeySet);
                if (!signer.HasPrivateKey)
                {
                    throw new CryptographicException("The pass certificate has no private key.");
                }
                var wwdr = X509CertificateLoader.LoadCertificateFromFile(_options.WwdrCertificatePath!);
                _certificates = (signer, wwdr);
                return (signer, wwdr);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new WalletUnavailableException("wallet_certificate_unreadable",
                    "The Apple Wallet pass certificate or the WWDR certificate configured cannot be read (check the paths and the password, docs/WALLET.md).");
            }
        }
    }
}
