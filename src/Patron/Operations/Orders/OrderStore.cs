using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Orders;

/// <summary>An order as the API shows it (docs/API.md, Orders).</summary>
public sealed record OrderDto(
    string Id, string CustomerId, string Status, string Currency, decimal Total, decimal RefundedTotal, long Units,
    JsonElement DiscountCodes, JsonElement Items, long PointsEarned, long PointsCredited, long PointsPending,
    DateTimeOffset? PaidAt, DateTimeOffset? CancelledAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt) : IAboutCustomer
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "order";
}

/// <summary>The <c>orders</c> table: reading, writing and showing orders. No rules here.</summary>
public static class OrderStore
{
    private const string Columns =
        "id, customer_id, status, currency, total_e4, refunded_e4, units, discount_codes, items, points_earned, paid_at, cancelled_at, created_at, updated_at, earn_mode, earn_rate, points_placed";

    private static Order Map(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
        r.GetString(7), r.GetString(8), r.GetInt64(9), r.Int64OrNull(10), r.Int64OrNull(11), r.GetInt64(12), r.GetInt64(13),
        r.StringOrNull(14), r.StringOrNull(15) is { } rate ? decimal.Parse(rate, CultureInfo.InvariantCulture) : null, r.GetInt64(16));

    public static Task<Order?> FindAsync(Sql sql, string programId, string id) =>
        sql.SingleAsync($"SELECT {Columns} FROM orders WHERE program_id = @p AND id = @id", Map, ("p", programId), ("id", id));

    public static async Task<Order> GetAsync(Sql sql, string programId, string id) =>
        await FindAsync(sql, programId, id) ?? throw OperationException.NotFound("order", id);

    /// <summary>
    /// One page of the program's orders that match <paramref name="filter"/>, most recent first; <paramref name="afterId"/>
    /// is a cursor (an order id), added to the filter.
    /// </summary>
    public static Task<List<Order>> PageAsync(Sql sql, ListFilter filter, int take, int offset, string? afterId)
    {
        // Orders are keyed by the merchant's id, so the cursor is (created_at, id) of the given order.
        filter.When(afterId is not null, "(created_at, id) < (SELECT created_at, id FROM orders WHERE program_id = @p AND id = @after)",
            ("after", afterId));
        return sql.ListAsync($"SELECT {Columns} FROM orders WHERE {filter.Where} ORDER BY created_at DESC, id DESC LIMIT @n OFFSET @o",
            Map, [.. filter.Args, ("n", take), ("o", offset)]);
    }

    public static async Task<OrderDto> ToDtoAsync(Sql sql, string programId, Order o) =>
        (await ToDtosAsync(sql, programId, [o]))[0];

    /// <summary>The orders as the API shows them, with the ledger's view of their points, in one query for all.</summary>
    public static async Task<List<OrderDto>> ToDtosAsync(Sql sql, string programId, IReadOnlyList<Order> orders)
    {
        if (orders.Count == 0)
        {
            return [];
        }
        var args = new List<(string, object?)> { ("p", programId) };
        var names = new List<string>(orders.Count);
        for (var i = 0; i < orders.Count; i++)
        {
            names.Add("@o" + i);
            args.Add(("o" + i, orders[i].Id));
        }
        var held = await sql.ListAsync(
            $"SELECT order_id, status, COALESCE(SUM(points), 0) FROM points_transactions WHERE program_id = @p AND order_id IN ({string.Join(", ", names)}) GROUP BY order_id, status",
            r => (Order: r.GetString(0), Held: new Held(r.GetString(1), Convert.ToInt64(r.GetValue(2)), null)), [.. args]);
        return orders.Select(o => ToDto(o, held.Where(h => h.Order == o.Id).Select(h => h.Held))).ToList();
    }

    /// <summary>The order as the API shows it, given the points the ledger holds for it by status.</summary>
    public static OrderDto ToDto(Order o, IEnumerable<Held> held)
    {
        using var codes = JsonDocument.Parse(StoredJson.Readable(o.DiscountCodes));
        using var items = JsonDocument.Parse(StoredJson.Readable(o.Items));
        long credited = 0, pending = 0;
        foreach (var h in held)
        {
            credited += h.Status == Ledger.Available ? h.Points : 0;
            pending += h.Status == Ledger.Pending ? h.Points : 0;
        }
        return new OrderDto(o.Id, o.CustomerId, o.Status, o.Currency, Money.FromE4(o.TotalE4), Money.FromE4(o.RefundedE4), o.Units,
            codes.RootElement.Clone(), items.RootElement.Clone(), o.PointsEarned, credited, pending + o.PointsPlaced,
            o.PaidAt is { } paid ? Time.FromMs(paid) : null,
            o.CancelledAt is { } cancelled ? Time.FromMs(cancelled) : null,
            Time.FromMs(o.CreatedAt), Time.FromMs(o.UpdatedAt));
    }

    public static Task InsertAsync(WriteContext context, string programId, Order o) =>
        context.Sql.ExecuteAsync(
            $"INSERT INTO orders (program_id, {Columns}) VALUES (@p, @id, @c, @s, @cur, @t, @r, @u, @dc, @it, @pe, @pa, @ca, @now, @now, @em, @er, @pp)",
            ("p", programId), ("id", o.Id), ("c", o.CustomerId), ("s", o.Status), ("cur", o.Currency), ("t", o.TotalE4),
            ("r", o.RefundedE4), ("u", o.Units), ("dc", o.DiscountCodes), ("it", o.Items), ("pe", o.PointsEarned),
            ("pa", Sql.Int64(o.PaidAt)), ("ca", Sql.Int64(o.CancelledAt)), ("now", context.NowMs), ("em", Sql.Text(o.EarnMode)),
            ("er", Sql.Text(Rate(o))), ("pp", o.PointsPlaced));

    public static Task UpdateAsync(WriteContext context, string programId, Order o) =>
        context.Sql.ExecuteAsync(
            """
            UPDATE orders SET status = @s, total_e4 = @t, refunded_e4 = @r, units = @u, discount_codes = @dc, items = @it,
                points_earned = @pe, paid_at = @pa, cancelled_at = @ca, updated_at = @now, earn_mode = @em, earn_rate = @er,
                points_placed = @pp
            WHERE program_id = @p AND id = @id
            """,
            ("s", o.Status), ("t", o.TotalE4), ("r", o.RefundedE4), ("u", o.Units), ("dc", o.DiscountCodes), ("it", o.Items),
            ("pe", o.PointsEarned), ("pa", Sql.Int64(o.PaidAt)), ("ca", Sql.Int64(o.CancelledAt)), ("now", context.NowMs),
            ("em", Sql.Text(o.EarnMode)), ("er", Sql.Text(Rate(o))), ("pp", o.PointsPlaced), ("p", programId), ("id", o.Id));

    private static string? Rate(Order o) => o.EarnRate?.ToString(CultureInfo.InvariantCulture);

    /// <summary>Points the ledger holds for an order in one status, with the latest due time of pending ones when read.</summary>
    public sealed record Held(string Status, long Points, long? DueAt);

    /// <summary>The points of the order in the ledger, by status, with the latest due time of pending ones.</summary>
    public static Task<List<Held>> HeldPointsAsync(Sql sql, string programId, string orderId) =>
        sql.ListAsync(
            "SELECT status, COALESCE(SUM(points), 0), MAX(available_at) FROM points_transactions WHERE program_id = @p AND order_id = @o GROUP BY status",
            r => new Held(r.GetString(0), Convert.ToInt64(r.GetValue(1)), r.Int64OrNull(2)), ("p", programId), ("o", orderId));

    /// <summary>The order's pending entries that are due by now.</summary>
    public static Task<List<string>> DuePendingAsync(Sql sql, string programId, string orderId, long nowMs) =>
        sql.ListAsync(
            "SELECT id FROM points_transactions WHERE program_id = @p AND order_id = @o AND status = 'pending' AND available_at <= @now",
            r => r.GetString(0), ("p", programId), ("o", orderId), ("now", nowMs));
}
