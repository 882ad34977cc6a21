using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Points;

/// <summary>Reads of the points ledger (docs/API.md, Points ledger) for every front door.</summary>
public static class LedgerQueries
{
    /// <summary>A customer's ledger (any reference), newest first.</summary>
    public static Task<ListEnvelope<PointsTransactionDto>> ListForCustomerAsync(Database db, string programId, string customerReference, Paging paging) =>
        db.ReadAsync(async sql =>
        {
            var customer = await Customers.GetAsync(sql, programId, customerReference);
            return await ListAsync(sql, paging, "customer_id = @c AND program_id = @p", [("c", customer.Id), ("p", programId)]);
        });

    /// <summary>
    /// All the program's entries, newest first; <paramref name="customerReference"/> (any reference) and
    /// <paramref name="type"/> (the type as shown: a kind or the caller's label) filter when not empty.
    /// </summary>
    public static Task<ListEnvelope<PointsTransactionDto>> ListAsync(Database db, string programId, string customerReference, string type, Paging paging) =>
        db.ReadAsync(async sql =>
        {
            var filter = (await new ListFilter(programId).AddCustomerAsync(sql, customerReference)).Add("COALESCE(label, type) = @t", "t", type);
            return await ListAsync(sql, paging, filter.Where, filter.Args);
        });

    /// <summary>One entry of the program's ledger.</summary>
    public static Task<PointsTransactionDto> GetAsync(Database db, string programId, string id) =>
        db.ReadAsync(async sql =>
            await sql.SingleAsync($"SELECT {Ledger.Columns} FROM points_transactions WHERE id = @id AND program_id = @p",
                Ledger.Map, ("id", id), ("p", programId))
            ?? throw OperationException.NotFound("points transaction", id));

    /// <summary>A customer's ledger (by Patron id) as the dashboard pages it: newest first, by <c>starting_after</c>.</summary>
    public static Task<CursorPage<PointsTransactionDto>> PageForCustomerAsync(Database db, string programId, string customerId, string? startingAfter, int limit) =>
        db.ReadAsync(async sql =>
        {
            var rows = await sql.ListAsync(
                $"SELECT {Ledger.Columns} FROM points_transactions WHERE customer_id = @c AND program_id = @p" +
                (startingAfter is null ? "" : " AND id < @after") + " ORDER BY id DESC LIMIT @n",
                Ledger.Map, ("c", customerId), ("p", programId), ("after", startingAfter), ("n", limit + 1));
            return CursorPage.Of(rows, limit, startingAfter);
        });

    private static async Task<ListEnvelope<PointsTransactionDto>> ListAsync(Sql sql, Paging paging, string where, List<(string, object?)> args)
    {
        var listArgs = new List<(string, object?)>(args);
        var rows = await sql.ListAsync(paging.Apply($"SELECT {Ledger.Columns} FROM points_transactions WHERE {where}", listArgs),
            Ledger.Map, [.. listArgs]);
        long? total = paging.StartingAfter is null
            ? Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM points_transactions WHERE {where}", [.. args]))
            : null;
        return paging.Envelope(rows, total);
    }
}
