using System.Security.Cryptography;
using Patron.Domain;
using Patron.Storage;
using Patron.Webhooks;

namespace Patron.Operations.Members;

/// <summary>
/// Member secrets at rest: encrypted with AES-256-GCM under a key derived from the one that protects
/// webhook secrets (<see cref="WebhookSecrets.DeriveKey"/>), each bound to its own id.
/// </summary>
public sealed class MemberSecretProtector(WebhookSecrets webhookSecrets)
{
    private readonly WebhookSecrets _protector = new(webhookSecrets.DeriveKey("patron member secrets v1"));

    public string Protect(string id, string secret) => _protector.Protect(id, secret);

    public string Unprotect(string id, string stored) => _protector.Unprotect(id, stored);
}

/// <summary>Why a member credential was refused; each is a 401 at the front door.</summary>
public enum MemberAuthFailure { None, Malformed, UnknownProgram, NoSecret, Expired, BadSignature, UnknownCustomer }

/// <summary>The customer a credential proved, with the program's member settings.</summary>
public sealed record Member(string ProgramId, CustomerDto Customer, MemberSettings Settings);

/// <summary>Creating, rotating and checking member secrets (docs/WIDGET.md).</summary>
public static class MemberAccess
{
    public const string SecretPrefix = "msk_";

    /// <summary>A new secret for the program; the plain value is returned once and kept only encrypted.</summary>
    public static async Task<(MemberSecretRow Row, string Secret)> CreateSecretAsync(
        WriteContext context, MemberSecretProtector protector, string programId)
    {
        var secret = SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var id = Ids.New("msec_");
        var row = new MemberSecretRow(id, programId, protector.Protect(id, secret), secret[^4..], context.NowMs, null);
        await MemberStore.AddSecretAsync(context, row);
        return (row, secret);
    }

    /// <summary>
    /// Checks a credential: a fresh timestamp (within the program's limit), a signature by one of the
    /// program's active secrets over exactly this program, customer and time, and a live customer of
    /// this program whose <c>external_id</c> is the one signed. Nothing else identifies the customer.
    /// </summary>
    public static async Task<(Member? Member, MemberAuthFailure Failure)> AuthenticateAsync(
        Sql sql, MemberSecretProtector protector, string programId, string customerId, string timestampText, string signature, long nowSeconds)
    {
        if (programId.Length is 0 or > 100 || customerId.Length is 0 or > MemberCredential.MaxCustomerIdLength
            || !MemberCredential.TryParseTimestamp(timestampText, out var timestamp) || signature.Length == 0)
        {
            return (null, MemberAuthFailure.Malformed);
        }
        if (await MemberStore.ProgramNameAsync(sql, programId) is null)
        {
            return (null, MemberAuthFailure.UnknownProgram);
        }
        var settings = await MemberStore.SettingsAsync(sql, programId);
        if (!MemberCredential.IsFresh(timestamp, nowSeconds, settings.CredentialMaxAgeSeconds))
        {
            return (null, MemberAuthFailure.Expired);
        }
        var secrets = await MemberStore.ActiveSecretsAsync(sql, programId);
        if (secrets.Count == 0)
        {
            return (null, MemberAuthFailure.NoSecret);
        }
        var matched = false;
        foreach (var row in secrets)
        {
            matched |= MemberCredential.Matches(protector.Unprotect(row.Id, row.Secret), programId, customerId, timestamp, signature);
        }
        if (!matched)
        {
            return (null, MemberAuthFailure.BadSignature);
        }
        var customer = await Customers.ByColumnAsync(sql, programId, "external_id", customerId);
        return customer is null ? (null, MemberAuthFailure.UnknownCustomer) : (new Member(programId, customer, settings), MemberAuthFailure.None);
    }
}
