using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Patron.Tests.Members;

/// <summary>
/// A self-signed chain made for the tests: a root, an intermediate standing in for Apple's WWDR,
/// and a pass type certificate it issued, written as Patron's configuration expects them.
/// </summary>
internal sealed class WalletTestChain
{
    public const string PassType = "pass.test.patron.loyalty";
    public const string Team = "TEAM123456";
    public const string Password = "test-pfx-password";

    public X509Certificate2 Root { get; }
    public X509Certificate2 Wwdr { get; }
    public X509Certificate2 Signer { get; }
    public string PfxPath { get; }
    public string WwdrPath { get; }

    private static readonly Lazy<WalletTestChain> Shared = new(() => new WalletTestChain());

    public static WalletTestChain Instance => Shared.Value;

    private WalletTestChain()
    {
        var from = DateTimeOffset.UtcNow.AddDays(-1);
        var to = DateTimeOffset.UtcNow.AddDays(30);
        using var rootKey = RSA.Create(2048);
        var rootRequest = new CertificateRequest("CN=Patron Test Root", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Root = rootRequest.CreateSelfSigned(from, to);

        using var wwdrKey = RSA.Create(2048);
        var wwdrRequest = new CertificateRequest("CN=Patron Test WWDR", wwdrKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        wwdrRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        wwdrRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var wwdrPublic = wwdrRequest.Create(Root, from, to, [1, 2, 3, 4]);
        Wwdr = wwdrPublic.CopyWithPrivateKey(wwdrKey);

        using var signerKey = RSA.Create(2048);
        var signerRequest = new CertificateRequest($"CN=Pass Type ID: {PassType}, OU={Team}", signerKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        signerRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        signerRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        using var signerPublic = signerRequest.Create(Wwdr, from, to, [5, 6, 7, 8]);
        Signer = signerPublic.CopyWithPrivateKey(signerKey);

        var dir = Path.Combine(Path.GetTempPath(), "patron-tests", "wallet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        PfxPath = Path.Combine(dir, "pass.pfx");
        WwdrPath = Path.Combine(dir, "wwdr.cer");
        File.WriteAllBytes(PfxPath, Signer.Export(X509ContentType.Pfx, Password));
        File.WriteAllBytes(WwdrPath, Wwdr.Export(X509ContentType.Cert));
    }

    /// <summary>The server configuration that turns Apple passes on with this chain.</summary>
    public Dictionary<string, string> Settings() => new()
    {
        ["Patron:Wallet:Apple:PassTypeIdentifier"] = PassType,
        ["Patron:Wallet:Apple:TeamIdentifier"] = Team,
        ["Patron:Wallet:Apple:CertificatePath"] = PfxPath,
        ["Patron:Wallet:Apple:CertificatePassword"] = Password,
        ["Patron:Wallet:Apple:WwdrCertificatePath"] = WwdrPath,
    };
}
