using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Wallet;

/// <summary>Issuing a member's Apple pass and the PassKit web service's reads and writes (docs/WALLET.md).</summary>
public static class WalletPasses
{
    /// <summary>The path under Patron's address that passes name as their <c>webServiceURL</c>.</summary>
    public const string WebServicePath = "/wallet/passkit";

    /// <summary>The customer's signed <c>.pkpass</c>, recording the pass as issued.</summary>
    public static async Task<(byte[] Pass, DateTimeOffset UpdatedAt)> IssueAppleAsync(
        IWritePath path, ApplePasses passes, string programId, string customerId, string baseUrl)
    {
        passes.EnsureAvailable();
        var (customer, programName) = await path.RunAsync(async context =>
        {
            var c = await Customers.ByIdAsync(context.Sql, programId, customerId) ?? throw OperationException.NotFound("customer", customerId);
            await WalletStore.IssueAsync(context, new WalletPassRow(passes.PassTypeIdentifier, ApplePasses.SerialFor(c), programId, c.Id));
            var name = await MemberStore.ProgramNameAsync(context.Sql, programId) ?? "";
            return (c, name);
        });
        return (Build(passes, customer, programName, baseUrl), customer.UpdatedAt);
    }

    /// <summary>The latest version of an issued pass, or null when the serial number is not one Patron issued.</summary>
    public static async Task<(byte[] Pass, DateTimeOffset UpdatedAt)?> LatestAppleAsync(
        Database db, ApplePasses passes, string serialNumber, string baseUrl, DateTimeOffset? ifModifiedSince)
    {
        var found = await db.ReadAsync(async sql =>
        {
            var row = await WalletStore.PassAsync(sql, passes.PassTypeIdentifier, serialNumber);
            if (row is null || await Customers.ByIdAsync(sql, row.ProgramId, row.CustomerId) is not { } c)
            {
                return ((CustomerDto, string)?)null;
            }
            return (c, await MemberStore.ProgramNameAsync(sql, row.ProgramId) ?? "");
        });
        if (found is not { } f)
        {
            return null;
        }
        var (customer, programName) = f;
        // HTTP dates have whole seconds, and Last-Modified is the change's time rounded up (HttpDate).
        if (ifModifiedSince is { } since && customer.UpdatedAt <= since)
        {
            return ([], customer.UpdatedAt);
        }
        return (Build(passes, customer, programName, baseUrl), customer.UpdatedAt);
    }

    /// <summary>A change's time as an HTTP date: rounded up to the next whole second.</summary>
    public static DateTimeOffset HttpDate(DateTimeOffset at) =>
        DateTimeOffset.FromUnixTimeSeconds((at.ToUnixTimeMilliseconds() + 999) / 1000);

    private static byte[] Build(ApplePasses passes, CustomerDto c, string programName, string baseUrl)
    {
        var serial = ApplePasses.SerialFor(c);
        var name = string.Join(' ', new[] { c.FirstName, c.LastName }.Where(n => !string.IsNullOrWhiteSpace(n)));
        return passes.Build(new ApplePassContent(serial, passes.TokenFor(serial), baseUrl.TrimEnd('/') + WebServicePath,
            passes.OrganizationNameOr(programName), programName, c.PointsBalance, c.VipTier, c.QrCode,
            name.Length == 0 ? null : name, c.UpdatedAt));
    }
}
