using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// Opening balances of customers created by a bulk write (the customer import): the same entry, counters and
/// lot as <see cref="PostAsync(WriteContext, string, string, long, string, string?, string?, string)"/> gives an
/// <c>adjusted</c> "Initial points" entry on a customer whose balance is still zero, computed for many
/// customers at once so that the caller can insert them with <see cref="BulkRows"/> in the same transaction
/// as the customers themselves.
/// </summary>
public static partial class Ledger
{
    /// <summary>The columns of <see cref="Opening.Row"/>, in the order of <see cref="PostAsync(WriteContext, Entry)"/>'s insert.</summary>
    public static readonly string[] OpeningColumns =
        ["program_id", "id", "customer_id", "points", "type", "description", "reference", "balance_after", "created_by", "created_at",
            "status", "available_at", "expires_at", "order_id", "label", "remaining", "source"];

    /// <summary>One opening entry: what to insert, what its event carries, and how the customer's counters move.</summary>
    public sealed record Opening(PointsTransactionDto Entry, object?[] Row, LedgerRules.CounterDeltas Deltas);

    /// <summary>The program's points lifetime in days (null: points do not expire), as the balance update reads it.</summary>
    public static async Task<long?> ExpiryDaysAsync(Sql sql, string programId) =>
        await sql.ScalarAsync("SELECT points_expiry_days FROM programs WHERE id = @p", ("p", programId)) is { } days
            ? Convert.ToInt64(days)
            : null;

    /// <summary>
    /// The opening entry of <paramref name="points"/> (1 to <see cref="LedgerRules.MaxPointsPerEntry"/>) for a
    /// customer created in this operation with a zero balance: the balance after it is the points, and all of
    /// them form one lot.
    /// </summary>
    public static Opening OpeningEntry(
        WriteContext context, string programId, string customerId, long points, string createdBy, long? expiryDays)
    {
        if (points is <= 0 or > LedgerRules.MaxPointsPerEntry)
        {
            throw new ArgumentOutOfRangeException(nameof(points), "An opening balance is from 1 to the largest entry.");
        }
        const string type = PointsTypes.Adjusted;
        var deltas = LedgerRules.Deltas(type, points);
        long? expiresAt = expiryDays is { } days ? context.Now.AddDays(days).ToUnixTimeMilliseconds() : null;
        var remaining = LedgerRules.LotRemaining(0, points);
        var entry = new PointsTransactionDto(
            Ids.New("ptx_"), customerId, points, type, "Initial points", null, deltas.Balance, createdBy, context.Now,
            Available, null, expiresAt is { } x ? Time.FromMs(x) : null, null, null);
        object?[] row =
        [
            programId, entry.Id, customerId, points, type, entry.Description, null, entry.BalanceAfter, createdBy, context.NowMs,
            Available, null, expiresAt, null, null, remaining, null,
        ];
        return new Opening(entry, row, deltas);
    }
}
