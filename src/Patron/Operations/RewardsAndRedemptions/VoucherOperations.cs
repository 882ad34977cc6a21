using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.RewardsAndRedemptions;

/// <summary>A line of an uploaded file that holds no usable voucher code: its number (from 1) and why.</summary>
public sealed record InvalidCodeLine(int Line, string Reason);

/// <summary>The codes of an uploaded file that can be imported, and the lines that cannot.</summary>
public sealed record VoucherFile(List<string> Codes, List<InvalidCodeLine> InvalidLines);

/// <summary>
/// Voucher codes (docs/API.md, Rewards and Redemptions): a pool reward's imported codes, their stats,
/// and the use of an issued code, from the native API, the dialects, the dashboard and the command line.
/// An import is audited here (docs/AUDIT.md) with the front door's actor.
/// </summary>
public static class VoucherOperations
{
    /// <summary>The longest <c>order_id</c> a use may name.</summary>
    public const int MaxOrderIdLength = Limits.IdLength;

    /// <summary>
    /// Adds checked codes (<see cref="Vouchers.Clean"/>) to a pool reward's pool in the caller's write and
    /// audits the import: how many were received, imported and duplicates (never the codes themselves).
    /// </summary>
    public static async Task<Vouchers.ImportResult> ImportAsync(
        WriteContext context, Actor actor, string programId, string rewardId, IReadOnlyList<string> codes)
    {
        var result = await Vouchers.ImportAsync(context, programId, rewardId, codes);
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.VoucherCodesImported, rewardId, null,
            new { received = result.Received, imported = result.Imported, duplicate_count = result.DuplicateCount });
        return result;
    }

    /// <summary>
    /// Reads an uploaded CSV or text file leniently, as the dashboard does: the first column of each line,
    /// a header line <c>code</c> and blank lines skipped, and each line that is not a valid code reported
    /// by its number instead of refusing the whole file.
    /// </summary>
    public static VoucherFile ReadFile(string text)
    {
        var codes = new List<string>();
        var invalid = new List<InvalidCodeLine>();
        var lines = text.TrimStart('\uFEFF').Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var cell = lines[i].Split(',')[0].Trim().Trim('"').Trim();
            if (cell.Length == 0 || (i == 0 && cell.Equals("code", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            if (cell.Length > Vouchers.MaxCodeLength || cell.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            {
                invalid.Add(new InvalidCodeLine(i + 1, $"A code is 1 to {Vouchers.MaxCodeLength} characters without spaces."));
                continue;
            }
            codes.Add(cell);
        }
        if (codes.Count > Vouchers.MaxCodesPerImport)
        {
            throw OperationException.Invalid("file", $"At most {Vouchers.MaxCodesPerImport} codes can be imported at once.");
        }
        return new VoucherFile(codes, invalid);
    }

    /// <summary>How many codes a reward has: available, issued and used.</summary>
    public static Task<Vouchers.PoolStats> StatsAsync(Sql sql, string programId, string rewardId) =>
        Vouchers.StatsAsync(sql, programId, rewardId);

    /// <summary>A voucher code's state now.</summary>
    public static Task<VoucherDto> GetAsync(Sql sql, string programId, string code, long nowMs) =>
        Vouchers.GetAsync(sql, programId, code, nowMs);

    /// <summary>Refuses an <c>order_id</c> that is too long; checked before the write.</summary>
    public static void ValidateUse(string? orderId)
    {
        if (orderId is { Length: > MaxOrderIdLength })
        {
            throw OperationException.Invalid("order_id", $"'order_id' is limited to {MaxOrderIdLength} characters.");
        }
    }

    /// <summary>Marks an issued code used, once, in the caller's write (docs/API.md, Redemptions).</summary>
    public static Task<VoucherDto> UseAsync(WriteContext context, string programId, string code, string? orderId)
    {
        ValidateUse(orderId);
        return Vouchers.UseAsync(context, programId, code, orderId);
    }
}
