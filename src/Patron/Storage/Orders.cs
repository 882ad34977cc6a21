using System.Data.Common;
using System.Text.Json;
using Patron.Api;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>An order as the API shows it (SPEC section 3, Orders).</summary>
public sealed record OrderDto(
    string Id, string CustomerId, string Status, string Currency, decimal Total, decimal RefundedTotal, long Units,
    JsonElement DiscountCodes, JsonElement Items, long PointsEarned, long PointsCredited, long PointsPending,
    DateTimeOffset? PaidAt, DateTimeOffset? CancelledAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "order";
}

public static class OrderStatus
{
    public const string Placed = "placed";
    public const string Paid = "paid";
    public const string Refunded = "refunded";
    public const string Cancelled = "cancelled";
}

/// <summary>
/// The order lifecycle. Every change ends in <see cref="ReconcileAsync"/>: the points the order should
/// have in its current state are compared with what the ledger holds for it, and only the difference
/// is posted. That makes a full-state update safe to send again and again, and makes refunds,
/// cancellations and edits one arithmetic instead of a set of special cases.
/// </summary>
public static class Orders
{
    private const string Columns =
        "id, customer_id, status, currency, total_e4, refunded_e4, units, discount_codes, items, points_earned, paid_at, cancelled_at, created_at, updated_at";

    /// <summary>The stored row, with the ledger's view of the order's points.</summary>
    public sealed record OrderRow(
        string Id, string CustomerId, string Status, string Currency, long TotalE4, long RefundedE4, long Units,
        string DiscountCodes, string Items, long PointsEarned, long? PaidAt, long? CancelledAt, long CreatedAt, long UpdatedAt)
    {
        /// <summary>What the order adds to the customer's total_spent: paid minus refunded (SPEC section 3).</summary>
        public long SpentE4 => Status is OrderStatus.Paid or OrderStatus.Refunded ? TotalE4 - RefundedE4 : 0;
    }

    private static OrderRow Map(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
        r.GetString(7), r.GetString(8), r.GetInt64(9), r.Int64OrNull(10), r.Int64OrNull(11), r.GetInt64(12), r.GetInt64(13));

    public static Task<OrderRow?> FindAsync(Sql sql, string programId, string id) =>
        sql.SingleAsync($"SELECT {Columns} FROM orders WHERE program_id = @p AND id = @id", Map, ("p", programId), ("id", id));

    public static async Task<OrderRow> GetAsync(Sql sql, string programId, string id) =>
        await FindAsync(sql, programId, id) ?? throw ApiException.NotFound("order", id);

    public static async Task<OrderDto> ToDtoAsync(Sql sql, string programId, OrderRow o)
    {
        var points = await sql.ListAsync(
            "SELECT status, COALESCE(SUM(points), 0) FROM points_transactions WHERE program_id = @p AND order_id = @o GROUP BY status",
            r => (Status: r.GetString(0), Points: Convert.ToInt64(r.GetValue(1))), ("p", programId), ("o", o.Id));
        using var codes = JsonDocument.Parse(o.DiscountCodes);
        using var items = JsonDocument.Parse(o.Items);
        return new OrderDto(o.Id, o.CustomerId, o.Status, o.Currency, Money.FromE4(o.TotalE4), Money.FromE4(o.RefundedE4), o.Units,
            codes.RootElement.Clone(), items.RootElement.Clone(), o.PointsEarned,
            points.Where(p => p.Status == Ledger.Available).Sum(p => p.Points),
            points.Where(p => p.Status == Ledger.Pending).Sum(p => p.Points),
            o.PaidAt is { } paid ? PatronJson.FromMs(paid) : null,
            o.CancelledAt is { } cancelled ? PatronJson.FromMs(cancelled) : null,
            PatronJson.FromMs(o.CreatedAt), PatronJson.FromMs(o.UpdatedAt));
    }

    public static async Task InsertAsync(WriteContext context, string programId, OrderRow o) =>
        await context.Sql.ExecuteAsync(
            $"INSERT INTO orders (program_id, {Columns}) VALUES (@p, @id, @c, @s, @cur, @t, @r, @u, @dc, @it, @pe, @pa, @ca, @now, @now)",
            ("p", programId), ("id", o.Id), ("c", o.CustomerId), ("s", o.Status), ("cur", o.Currency), ("t", o.TotalE4),
            ("r", o.RefundedE4), ("u", o.Units), ("dc", o.DiscountCodes), ("it", o.Items), ("pe", o.PointsEarned),
            ("pa", o.PaidAt), ("ca", o.CancelledAt), ("now", context.NowMs));

    public static async Task UpdateAsync(WriteContext context, string programId, OrderRow o) =>
        await context.Sql.ExecuteAsync(
            """
            UPDATE orders SET status = @s, total_e4 = @t, refunded_e4 = @r, units = @u, discount_codes = @dc, items = @it,
                points_earned = @pe, paid_at = @pa, cancelled_at = @ca, updated_at = @now
            WHERE program_id = @p AND id = @id
            """,
            ("s", o.Status), ("t", o.TotalE4), ("r", o.RefundedE4), ("u", o.Units), ("dc", o.DiscountCodes), ("it", o.Items),
            ("pe", o.PointsEarned), ("pa", o.PaidAt), ("ca", o.CancelledAt), ("now", context.NowMs), ("p", programId), ("id", o.Id));

    /// <summary>
    /// Points the whole order earns when paid, with the multipliers in force now: program rate, the
    /// customer's tier, and any running <c>place_order</c> campaign. A blocked customer earns nothing.
    /// </summary>
    public static async Task<long> FullPointsAsync(WriteContext context, string programId, CustomerRow customer, OrderRow o)
    {
        if (customer.Status == CustomerStatus.Blocked)
        {
            return 0;
        }
        var sql = context.Sql;
        var program = (await sql.ListAsync(
            "SELECT earn_mode, points_per_unit_e4, rounding FROM programs WHERE id = @p",
            r => (Mode: r.GetString(0), PerUnit: Money.FromE4(r.GetInt64(1)), Rounding: r.GetString(2)), ("p", programId)))[0];
        var quantity = program.Mode switch
        {
            EarnModes.Spend => Money.FromE4(o.TotalE4),
            EarnModes.Units => o.Units,
            _ => 0m,
        };
        // A place_order rule may set its own rate for the customer's tier; otherwise the program's applies.
        var perUnit = await EarnRules.PlaceOrderPointsPerUnitAsync(sql, programId, customer.TierId, context.NowMs) ?? program.PerUnit;
        var tier = await Tiers.MultiplierAsync(sql, customer.TierId);
        var campaign = await EarnRules.CampaignMultiplierAsync(sql, programId, "place_order", customer.TierId, context.NowMs);
        return Earning.Points(quantity, perUnit, program.Rounding, tier, campaign);
    }

    /// <summary>The net points the order should hold in the ledger now.</summary>
    public static long DesiredPoints(OrderRow o) => o.Status switch
    {
        OrderStatus.Paid or OrderStatus.Refunded =>
            o.PointsEarned - Earning.Reversal(o.PointsEarned, 0, Money.FromE4(o.TotalE4), 0, Money.FromE4(o.RefundedE4)),
        _ => 0,
    };

    public sealed record CustomerRow(string Id, string Status, string? TierId);

    public static async Task<CustomerRow> CustomerAsync(Sql sql, string programId, string customerId) =>
        (await sql.ListAsync("SELECT id, status, vip_tier_id FROM customers WHERE id = @c AND program_id = @p",
            r => new CustomerRow(r.GetString(0), r.GetString(1), r.StringOrNull(2)), ("c", customerId), ("p", programId)))[0];

    /// <summary>
    /// Brings the ledger and <c>total_spent</c> in line with the order's new state (the caller has
    /// locked the customer). Earned points are pending until paid_at + points_delay_days; taking points
    /// back takes pending ones first, at the same due time, and the rest from the balance, which may
    /// go below zero as recorded debt (SPEC section 3, Orders).
    /// </summary>
    public static async Task ReconcileAsync(WriteContext context, string programId, OrderRow? before, OrderRow after, string actor)
    {
        var sql = context.Sql;
        var spentDelta = after.SpentE4 - (before?.SpentE4 ?? 0);
        if (spentDelta != 0)
        {
            await sql.ExecuteAsync("UPDATE customers SET total_spent_e4 = total_spent_e4 + @d, updated_at = @now WHERE id = @c",
                ("d", spentDelta), ("now", context.NowMs), ("c", after.CustomerId));
            // Spend tiers move with paid-minus-refunded spend.
            await Tiers.EvaluateAsync(context, programId, after.CustomerId);
        }

        // Pending entries of this order that are already due become available first, so that a
        // reversal below meets them where they belong.
        var due = await sql.ListAsync(
            "SELECT id FROM points_transactions WHERE program_id = @p AND order_id = @o AND status = 'pending' AND available_at <= @now",
            r => r.GetString(0), ("p", programId), ("o", after.Id), ("now", context.NowMs));
        foreach (var id in due)
        {
            await Ledger.MatureAsync(context, id, after.CustomerId);
        }

        var held = await sql.ListAsync(
            "SELECT status, COALESCE(SUM(points), 0), MAX(available_at) FROM points_transactions WHERE program_id = @p AND order_id = @o GROUP BY status",
            r => (Status: r.GetString(0), Points: Convert.ToInt64(r.GetValue(1)), DueAt: r.Int64OrNull(2)),
            ("p", programId), ("o", after.Id));
        var pending = held.FirstOrDefault(h => h.Status == Ledger.Pending);
        var posted = held.Sum(h => h.Points);
        var diff = DesiredPoints(after) - posted;
        var description = $"Order {after.Id}";

        if (diff > 0)
        {
            var delayDays = Convert.ToInt64(await sql.ScalarAsync("SELECT points_delay_days FROM programs WHERE id = @p", ("p", programId)));
            var availableAt = PatronJson.FromMs(after.PaidAt ?? context.NowMs).AddDays(delayDays).ToUnixTimeMilliseconds();
            await Ledger.PostAsync(context, new Ledger.Entry(programId, after.CustomerId, diff, PointsTypes.Earned,
                description, null, actor, OrderId: after.Id, AvailableAtMs: availableAt));
        }
        else if (diff < 0)
        {
            var fromPending = Math.Min(-diff, Math.Max(pending.Points, 0));
            if (fromPending > 0)
            {
                await Ledger.PostAsync(context, new Ledger.Entry(programId, after.CustomerId, -fromPending, PointsTypes.Reversed,
                    description, null, actor, OrderId: after.Id, AvailableAtMs: pending.DueAt));
            }
            var fromBalance = -diff - fromPending;
            if (fromBalance > 0)
            {
                await Ledger.PostAsync(context, new Ledger.Entry(programId, after.CustomerId, -fromBalance, PointsTypes.Reversed,
                    description, null, actor, OrderId: after.Id));
            }
        }
    }
}
