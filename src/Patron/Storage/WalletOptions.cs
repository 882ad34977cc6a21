namespace Patron.Storage;

/// <summary>The <c>Patron:Wallet</c> configuration section (docs/WALLET.md).</summary>
public sealed class WalletOptions
{
    /// <summary>The address devices and customers reach Patron at, e.g. <c>https://loyalty.example.com</c>; the request's own when unset.</summary>
    public string? PublicUrl { get; set; }

    public AppleWalletOptions Apple { get; set; } = new();
}

/// <summary>Apple Wallet: the pass type certificate (a PFX), its password, and Apple's WWDR intermediate.</summary>
public sealed class AppleWalletOptions
{
    /// <summary>The pass type identifier the certificate was issued for, e.g. <c>pass.com.example.loyalty</c>.</summary>
    public string? PassTypeIdentifier { get; set; }

    /// <summary>The Apple developer team identifier (10 characters).</summary>
    public string? TeamIdentifier { get; set; }

    /// <summary>The name shown on the lock screen and by Wallet; the program's name when unset.</summary>
    public string? OrganizationName { get; set; }

    /// <summary>The pass type certificate with its private key, as a PFX (PKCS#12) file.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PFX's password (better given as the environment variable Patron__Wallet__Apple__CertificatePassword).</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Apple's WWDR intermediate certificate (DER or PEM), included in every signature.</summary>
    public string? WwdrCertificatePath { get; set; }

    public bool IsConfigured =>
        !string.IsNullOrWhiteSpace(PassTypeIdentifier) && !string.IsNullOrWhiteSpace(TeamIdentifier)
        && !string.IsNullOrWhiteSpace(CertificatePath) && !string.IsNullOrWhiteSpace(WwdrCertificatePath);
}
