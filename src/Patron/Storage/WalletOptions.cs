namespace Patron.Storage;

/// <summary>The <c>Patron:Wallet</c> configuration section (docs/WALLET.md).</summary>
public sealed class WalletOptions
{
    /// <summary>The address devices and customers reach Patron at, e.g. <c>https://loyalty.example.com</c>; the request's own when unset.</summary>
    public string? PublicUrl { get; set; }

    public AppleWalletOptions Apple { get; set; } = new();

    public GoogleWalletOptions Google { get; set; } = new();
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

    /// <summary>APNs, which pass updates are pushed to over HTTP/2 with the pass type certificate (docs/WALLET.md).</summary>
    public string PushUrl { get; set; } = "https://api.push.apple.com";

    /// <summary>
    /// A certificate (DER or PEM) trusted as the root of the push server's chain besides the system's
    /// roots: for a TLS-inspecting proxy in front of APNs, or a stand-in. Unset: the system's roots only.
    /// </summary>
    public string? PushTrustedCertificatePath { get; set; }

    /// <summary>Seconds before the first retry of a failed push; each further retry waits twice as long (at most an hour).</summary>
    public int PushRetryBaseSeconds { get; set; } = 30;

    /// <summary>Attempts at one push before it is given up (until the member's next change).</summary>
    public int PushMaxAttempts { get; set; } = 8;

    public bool IsConfigured =>
        !string.IsNullOrWhiteSpace(PassTypeIdentifier) && !string.IsNullOrWhiteSpace(TeamIdentifier)
        && !string.IsNullOrWhiteSpace(CertificatePath) && !string.IsNullOrWhiteSpace(WwdrCertificatePath);
}

/// <summary>
/// Google Wallet (docs/WALLET.md): the issuer, the loyalty class, and the service account whose key
/// signs "Save to Google Wallet" links and the token requests of the update queue. The key stays in
/// its file (never in the database); give the file to Patron's user only.
/// </summary>
public sealed class GoogleWalletOptions
{
    /// <summary>The issuer id from the Google Pay &amp; Wallet console.</summary>
    public string? IssuerId { get; set; }

    /// <summary>The loyalty class, <c>{issuerId}.{suffix}</c>; a bare suffix gets the issuer id in front.</summary>
    public string? ClassId { get; set; }

    /// <summary>The JSON key file Google gives for the service account (client_email, private_key, token_uri).</summary>
    public string? ServiceAccountKeyPath { get; set; }

    /// <summary>Instead of the JSON file: the service account's email and its RSA private key as a PEM file.</summary>
    public string? ServiceAccountEmail { get; set; }

    public string? PrivateKeyPath { get; set; }

    /// <summary>The Google Wallet API the update queue calls.</summary>
    public string ApiBaseUrl { get; set; } = "https://walletobjects.googleapis.com/walletobjects/v1";

    /// <summary>Where access tokens are asked for; the key file's token_uri, else Google's, when unset.</summary>
    public string? TokenUrl { get; set; }

    /// <summary>Seconds before the first retry of a failed update; each further retry waits twice as long (at most an hour).</summary>
    public int RetryBaseSeconds { get; set; } = 30;

    /// <summary>Attempts at one update before it is given up (until the member's next change).</summary>
    public int MaxAttempts { get; set; } = 8;

    public bool IsConfigured =>
        !string.IsNullOrWhiteSpace(IssuerId) && !string.IsNullOrWhiteSpace(ClassId)
        && (!string.IsNullOrWhiteSpace(ServiceAccountKeyPath)
            || (!string.IsNullOrWhiteSpace(ServiceAccountEmail) && !string.IsNullOrWhiteSpace(PrivateKeyPath)));
}
