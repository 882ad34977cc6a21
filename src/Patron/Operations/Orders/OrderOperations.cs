using System.Text.Json;
using Patron.Domain;
using Patron.Operations.Referrals;
using Patron.Storage;

namespace Patron.Operations.Orders;

/// <summary>
/// What a caller asks of an order: the merchant's order id, and the fields to set (null leaves a field
/// as it is). Amounts are in the major unit with at most 4 decimals.
/// </summary>
public sealed record OrderInput
{
    public string? CustomerId { get; init; }
    public decimal? Total { get; init; }
    public decimal? RefundedTotal { get; init; }
    public string? Currency { get; init; }
    public string? Status { get; init; }
    public IReadOnlyList<string>? DiscountCodes { get; init; }
    public JsonElement? Items { get; init; }
    public long? Units { get; init; }
}

/// <summary>
/// The merchant's orders: create-or-update by the merchant's own order id with the order's full state
/// (safe to send again), edits, payment, refunds and cancellation. Every change takes the customer's
/// lock, applies <see cref="OrderLifecycle"/>, prices with <see cref="OrderPricing"/> and reconciles
/// the ledger, in the caller's write.
/// </summary>
public static class OrderOperations
{
    /// <summary>Checks an input before any write; <paramref name="creating"/> asks for the fields a new order needs.</summary>
    public static void Validate(string? id, OrderInput input, bool creating)
    {
        if (creating && string.IsNullOrWhiteSpace(id))
        {
            throw OperationException.Missing("id");
        }
        if (id is { Length: > Limits.IdLength })
        {
            throw OperationException.Invalid("id", $"'id' is limited to {Limits.IdLength} characters.");
        }
        if (creating && string.IsNullOrWhiteSpace(input.CustomerId))
        {
            throw OperationException.Missing("customer_id");
        }
        if (creating && input.Total is null)
        {
            throw OperationException.Missing("total");
        }
        CheckAmount("total", input.Total);
        CheckAmount("refunded_total", input.RefundedTotal);
        if (input.Status is { } s && !OrderStatus.Requestable(s))
        {
            throw OperationException.Invalid("status", "'status' must be 'placed', 'paid' or 'cancelled'.");
        }
        if (input.Currency is { } c && (c.Length != 3 || !c.All(char.IsAsciiLetter)))
        {
            throw OperationException.Invalid("currency", "'currency' must be a three-letter ISO 4217 code.");
        }
        if (input.Items is { } items && items.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
        {
            throw OperationException.Invalid("items", "'items' must be an array.");
        }
        if (input.Units is < 0 or > Limits.MaxUnits)
        {
            throw OperationException.Invalid("units", $"'units' must be a whole number from 0 to {Limits.MaxUnits}.");
        }
        if (input.DiscountCodes is { } codes && (codes.Count > Limits.DiscountCodesPerOrder
            || codes.Any(code => string.IsNullOrWhiteSpace(code) || code.Length > Limits.DiscountCodeLength)))
        {
            throw OperationException.Invalid("discount_codes",
                $"'discount_codes' must be up to {Limits.DiscountCodesPerOrder} codes of 1 to {Limits.DiscountCodeLength} characters.");
        }
    }

    /// <summary>An amount of an order (its total, what is refunded): from 0 to <see cref="Limits.MaxAmount"/> with at most 4 decimals.</summary>
    public static void CheckAmount(string param, decimal? amount)
    {
        if (amount is { } a && !Limits.IsAmount(a))
        {
            throw OperationException.Invalid(param, $"'{param}' must be an amount from 0 to {Limits.MaxAmount}, with at most 4 decimals.");
        }
    }

    /// <summary>Creates the order, or brings it to the state given. Returns whether it was created.</summary>
    public static Task<(OrderDto Order, bool Created)> UpsertAsync(
        WriteContext context, string programId, string actor, string? orderId, OrderInput input)
    {
        Validate(orderId, input, creating: true);
        return ApplyAsync(context, programId, actor, orderId!.Trim(), input.CustomerId, input.Currency, Change(input));
    }

    /// <summary>Edits an existing order (its customer cannot change).</summary>
    public static async Task<OrderDto> UpdateAsync(WriteContext context, string programId, string actor, string orderId, OrderInput input)
    {
        Validate(null, input, creating: false);
        return (await ApplyAsync(context, programId, actor, orderId, null, input.Currency, Change(input))).Order;
    }

    /// <summary>Marks an order paid: its points start (pending for points_delay_days).</summary>
    public static async Task<OrderDto> MarkPaidAsync(WriteContext context, string programId, string actor, string orderId) =>
        (await ApplyAsync(context, programId, actor, orderId, null, null, new OrderChange(Status: OrderStatus.Paid))).Order;

    /// <summary>Cancels an order: all its points are taken back.</summary>
    public static async Task<OrderDto> CancelAsync(WriteContext context, string programId, string actor, string orderId) =>
        (await ApplyAsync(context, programId, actor, orderId, null, null, new OrderChange(Status: OrderStatus.Cancelled))).Order;

    /// <summary>
    /// Refunds part or all of a paid order: points are taken back in proportion. What is left to refund
    /// is checked on the order as read under the customer's lock, so parallel refunds never pass the total.
    /// A cancelled order has no points left to take back; the refund is only recorded.
    /// </summary>
    public static async Task<OrderDto> RefundAsync(WriteContext context, string programId, string actor, string orderId, decimal? amount)
    {
        var value = amount ?? throw OperationException.Missing("amount");
        if (value <= 0 || !Limits.IsAmount(value))
        {
            throw OperationException.Invalid("amount", $"'amount' must be a positive amount up to {Limits.MaxAmount}, with at most 4 decimals.");
        }
        return (await ApplyAsync(context, programId, actor, orderId, null, null, new OrderChange(RefundAmountE4: Money.ToE4(value)))).Order;
    }

    public static async Task<OrderDto> GetAsync(Sql sql, string programId, string orderId) =>
        await OrderStore.ToDtoAsync(sql, programId, await OrderStore.GetAsync(sql, programId, orderId));

    private static OrderChange Change(OrderInput input) => new(
        Status: input.Status,
        TotalE4: input.Total is { } total ? Money.ToE4(total) : null,
        RefundedTotalE4: input.RefundedTotal is { } refunded ? Money.ToE4(refunded) : null,
        Units: Units(input),
        DiscountCodes: input.DiscountCodes is { } codes ? JsonSerializer.Serialize(codes.Select(c => c.Trim())) : null,
        Items: input.Items is { ValueKind: JsonValueKind.Array } items ? items.GetRawText() : null);

    /// <summary>Units bought: <c>units</c>, else the sum of the items' <c>quantity</c> (each bounded).</summary>
    private static long? Units(OrderInput input)
    {
        if (input.Units is { } units)
        {
            return units;
        }
        if (input.Items is not { ValueKind: JsonValueKind.Array } items)
        {
            return null;
        }
        long sum = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("quantity", out var q) && q.TryGetInt64(out var n) && n > 0)
            {
                sum = Math.Min(Limits.MaxUnits, sum + Math.Min(n, Limits.MaxUnits));
            }
        }
        return sum;
    }

    private static async Task<(OrderDto Order, bool Created)> ApplyAsync(
        WriteContext context, string programId, string actor, string orderId, string? customerRef, string? currency, OrderChange change)
    {
        var sql = context.Sql;
        var customerId = await CustomerOfAsync(sql, programId, orderId, customerRef);
        // The customer's lock serialises every change of their orders and points; the order is read under it.
        await Ledger.LockCustomerAsync(context, customerId);
        var before = await OrderStore.FindAsync(sql, programId, orderId);
        var settings = await OrderSettings.ReadAsync(sql, programId);
        var orderCurrency = currency?.ToUpperInvariant() ?? before?.Currency ?? settings.Currency;
        if (orderCurrency != settings.Currency)
        {
            throw OperationException.Unprocessable("currency_mismatch", $"This program counts in {settings.Currency}, not {orderCurrency}.", "currency");
        }

        var current = before ?? new Order(orderId, customerId, OrderStatus.Placed, orderCurrency, 0, 0, 0, "[]", "[]", 0,
            null, null, context.NowMs, context.NowMs);
        var after = OrderLifecycle.Apply(current, change, context.NowMs);
        if (OrderLifecycle.NeedsPricing(before, after) || after.Status == OrderStatus.Placed)
        {
            var customer = await Customers.StateAsync(sql, programId, customerId);
            after = await OrderPricing.PriceAsync(context, programId, settings, customer, before, after);
            after = await OrderPricing.EstimatePlacedAsync(context, programId, settings, customer, after);
        }
        else
        {
            after = after with { PointsPlaced = 0 };
        }

        if (before is not null && after == before)
        {
            return (await OrderStore.ToDtoAsync(sql, programId, after), false);
        }
        if (before is null)
        {
            await OrderStore.InsertAsync(context, programId, after);
        }
        else
        {
            await OrderStore.UpdateAsync(context, programId, after);
        }
        var held = await OrderPricing.ReconcileAsync(context, programId, settings, before, after, actor);
        await Vouchers.UseCodesAsync(context, programId, Vouchers.ParseCodes(after.DiscountCodes), orderId);
        if (before?.PaidAt is null && after.PaidAt is not null)
        {
            await ReferralOperations.OnOrderPaidAsync(context, programId, customerId, after.Id, after.TotalE4);
        }
        var dto = OrderStore.ToDto(after with { UpdatedAt = context.NowMs }, held);
        await Events.AddAsync(context, programId, Events.OrderUpdated, dto);
        return (dto, before is null);
    }

    /// <summary>
    /// The id of the order's customer: the order's own (it cannot change) or, for a new order, the
    /// customer named by id or email.
    /// </summary>
    private static async Task<string> CustomerOfAsync(Sql sql, string programId, string orderId, string? customerRef)
    {
        var existing = await sql.ScalarAsync("SELECT customer_id FROM orders WHERE program_id = @p AND id = @id",
            ("p", programId), ("id", orderId)) as string;
        if (existing is null)
        {
            return customerRef is null
                ? throw OperationException.NotFound("order", orderId)
                : (await Customers.GetTargetAsync(sql, programId, customerRef)).Id;
        }
        if (customerRef is not null && customerRef != existing && (await Customers.FindAsync(sql, programId, customerRef))?.Id != existing)
        {
            throw OperationException.Conflict("order_customer_mismatch", "An order's customer cannot change.", "customer_id");
        }
        return existing;
    }
}
