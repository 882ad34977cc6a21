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
            return await ListForCustomerIdAsync(sql, programId, customer.Id, paging);
        });

    /// <summary>A customer's ledger by Patron id, newest first (the member API's history).</summary>
    public static Task<ListEnvelope<PointsTransactionDto>> ListForCustomerIdAsync(Database db, string programId, string customerId, Paging paging) =>
        db.ReadAsync(sql => ListForCustomerIdAsync(sql, programId, customerId, paging));

    /// <summary>
    /// All the program's entries, newest first; <paramref name="customerReference"/> (any reference) and
    /// <paramref name="type"/> (the type as shown: a kind or the caller's label) filter when not empty.
    /// </summary>
    public static Task<ListEnvelope<PointsTransactionDto>> ListAsync(Database db, string programId, string customerReference, string type, Paging paging) =>
        db.ReadAsync(async sql =>
        {
            var filter = (await new ListFilter(programId).AddCustomerAsync(sql, customerReference)).Add("COALESCE(label, type) = @t", "t", type);
            return await filter.PageAsync(sql, Ledger.Columns, "points_transactions", Ledger.Map, paging);
        });

    /// <summary>One entry of the program's ledger.</summary>
    public static Task<PointsTransactionDto> GetAsync(Database db, string programId, string id) =>
        db.ReadAsync(async sql =>
            await sql.SingleAsync($"SELECT {Ledger.Columns} FROM points_transactions WHERE id = @id AND program_id = @p",
                Ledger.Map, ("id", id), ("p", programId))
            ?? throw OperationException.NotFound("points transaction", id));

    /// <summary>A customer's ledger (by Patron id) as the dashboard pages it: newest first, by <c>starting_after</c>.</summary>
    public static Task<CursorPage<PointsTransactionDto>> PageForCustomerAsync(Database db, string programId, string customerId, string? startingAfter, int limit) =>
        db.ReadAsync(sql => new ListFilter(programId).Require("customer_id = @c", ("c", customerId))
            .CursorPageAsync(sql, Ledger.Columns, "points_transactions", Ledger.Map, startingAfter, limit));

    private static Task<ListEnvelope<PointsTransactionDto>> ListForCustomerIdAsync(Sql sql, string programId, string customerId, Paging paging) =>
        new ListFilter(programId).Require("customer_id = @c", ("c", customerId))
            .PageAsync(sql, Ledger.Columns, "points_transactions", Ledger.Map, paging);
}
