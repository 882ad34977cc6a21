using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Orders;

/// <summary>Reads of orders for the dashboard.</summary>
public static class OrderQueries
{
    /// <summary>
    /// The program's orders, newest first, paged by <c>starting_after</c> (an order id: the merchant's own, any short
    /// text); <paramref name="status"/> filters when given.
    /// </summary>
    public static Task<CursorPage<OrderDto>> BrowseAsync(Database db, string programId, string? status, string? startingAfter, int limit) =>
        db.ReadAsync(async sql =>
        {
            var filter = new ListFilter(programId).When(status is not null, "status = @s", ("s", status));
            var orders = await OrderStore.PageAsync(sql, filter, limit + 1, 0, startingAfter);
            var more = orders.Count > limit;
            return new CursorPage<OrderDto>(await OrderStore.ToDtosAsync(sql, programId, orders.Take(limit).ToList()), more, startingAfter);
        });
}
