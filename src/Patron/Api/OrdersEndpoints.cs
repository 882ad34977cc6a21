using System.Text.Json;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// The merchant's orders (SPEC section 3, Orders). <c>id</c> is the merchant's own order id.
/// POST /orders is create-or-update by that id with the order's full state, so a shop can send the
/// same state again (a retried webhook, say) without any double effect.
/// </summary>
public static class OrdersEndpoints
{
    public sealed class OrderInput
    {
        public string? Id { get; set; }
        public string? CustomerId { get; set; }
        public decimal? Total { get; set; }
        public decimal? RefundedTotal { get; set; }
        public string? Currency { get; set; }
        public string? Status { get; set; }
        public List<string>? DiscountCodes { get; set; }
        public JsonElement? Items { get; set; }
        public long? Units { get; set; }
    }

    public sealed class RefundInput
    {
        public decimal? Amount { get; set; }
    }

    public static RouteGroupBuilder MapOrdersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/orders").WithTags("Orders");
        group.MapPost("/", Upsert).WithSummary("Create an order, or update it to the full state given (by the merchant's order id)")
            .Accepts<OrderInput>("application/json").Produces<OrderDto>(201).Produces<OrderDto>();
        group.MapGet("/", List).WithSummary("Orders, most recent first, filtered by customer_id and status").Produces<ListEnvelope<OrderDto>>();
        group.MapGet("/{id}", Get).WithSummary("One order").Produces<OrderDto>();
        group.MapPatch("/{id}", Patch).WithSummary("Edit an order's total, status, codes or items").Accepts<OrderInput>("application/json").Produces<OrderDto>();
        group.MapPost("/{id}/paid", Paid).WithSummary("Mark an order paid: its points start (pending for points_delay_days)").Produces<OrderDto>();
        group.MapPost("/{id}/refunds", Refund).WithSummary("Refund part or all of a paid order: points are taken back in proportion")
            .Accepts<RefundInput>("application/json").Produces<OrderDto>();
        group.MapPost("/{id}/cancel", Cancel).WithSummary("Cancel an order: all its points are taken back").Produces<OrderDto>();
        return group;
    }

    private static void Validate(OrderInput input, bool creating)
    {
        if (creating && string.IsNullOrWhiteSpace(input.Id))
        {
            throw ApiException.Missing("id");
        }
        if (input.Id is { Length: > 200 })
        {
            throw ApiException.Invalid("id", "'id' is limited to 200 characters.");
        }
        if (creating && string.IsNullOrWhiteSpace(input.CustomerId))
        {
            throw ApiException.Missing("customer_id");
        }
        if (creating && input.Total is null)
        {
            throw ApiException.Missing("total");
        }
        if (input.Total is < 0 or > 1_000_000_000_000m || (input.Total is { } t && decimal.Round(t, 4) != t))
        {
            throw ApiException.Invalid("total", "'total' must be an amount from 0, with at most 4 decimals.");
        }
        if (input.RefundedTotal is < 0 || (input.RefundedTotal is { } r && decimal.Round(r, 4) != r))
        {
            throw ApiException.Invalid("refunded_total", "'refunded_total' must be an amount from 0, with at most 4 decimals.");
        }
        if (input.Status is { } s && s is not (OrderStatus.Placed or OrderStatus.Paid or OrderStatus.Cancelled))
        {
            throw ApiException.Invalid("status", "'status' must be 'placed', 'paid' or 'cancelled'.");
        }
        if (input.Currency is { } c && (c.Length != 3 || !c.All(char.IsAsciiLetter)))
        {
            throw ApiException.Invalid("currency", "'currency' must be a three-letter ISO 4217 code.");
        }
        if (input.Items is { } items && items.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
        {
            throw ApiException.Invalid("items", "'items' must be an array.");
        }
        if (input.Units is < 0)
        {
            throw ApiException.Invalid("units", "'units' cannot be negative.");
        }
        if (input.DiscountCodes is { } codes && (codes.Count > 50 || codes.Any(code => string.IsNullOrWhiteSpace(code) || code.Length > 100)))
        {
            throw ApiException.Invalid("discount_codes", "'discount_codes' must be up to 50 codes of 1 to 100 characters.");
        }
    }

    /// <summary>Units bought: <c>units</c>, else the sum of the items' <c>quantity</c>.</summary>
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
                sum += n;
            }
        }
        return sum;
    }

    /// <summary>
    /// Applies the input to the order (or creates it) and reconciles points and spend. Statuses only
    /// move forward (placed, paid, cancelled), so an older state that arrives late changes nothing.
    /// </summary>
    private static async Task<(OrderDto Order, bool Created)> ApplyAsync(
        WriteContext context, Caller caller, string orderId, OrderInput input, Func<Orders.OrderRow, Orders.OrderRow>? transition = null)
    {
        var sql = context.Sql;
        var existing = await Orders.FindAsync(sql, caller.ProgramId, orderId);
        string customerId;
        if (existing is null)
        {
            var reference = input.CustomerId ?? throw ApiException.NotFound("order", orderId);
            customerId = (await Customers.GetAsync(sql, caller.ProgramId, reference)).Id;
        }
        else
        {
            customerId = existing.CustomerId;
            if (input.CustomerId is { } other && other != existing.CustomerId
                && (await Customers.FindAsync(sql, caller.ProgramId, other))?.Id != existing.CustomerId)
            {
                throw ApiException.Conflict("order_customer_mismatch", "An order's customer cannot change.", "customer_id");
            }
        }
        await Ledger.LockCustomerAsync(context, customerId);
        existing = await Orders.FindAsync(sql, caller.ProgramId, orderId);
        var customer = await Orders.CustomerAsync(sql, caller.ProgramId, customerId);

        var programCurrency = (string)(await sql.ScalarAsync("SELECT currency FROM programs WHERE id = @p", ("p", caller.ProgramId)))!;
        var currency = input.Currency?.ToUpperInvariant() ?? existing?.Currency ?? programCurrency;
        if (currency != programCurrency)
        {
            throw ApiException.Unprocessable("currency_mismatch", $"This program counts in {programCurrency}, not {currency}.", "currency");
        }

        var before = existing;
        var after = existing ?? new Orders.OrderRow(orderId, customerId, OrderStatus.Placed, currency, 0, 0, 0, "[]", "[]", 0,
            null, null, context.NowMs, context.NowMs);
        // A cancelled order cannot change, except that money paid for it may still be refunded (recorded,
        // as by POST /orders/{id}/refunds; it has no points left to take back). Its own state sent again
        // (a retried webhook) is no change.
        if (after.Status == OrderStatus.Cancelled && (input.Status is OrderStatus.Paid
            || (input.Total is { } newTotal && Money.ToE4(newTotal) != after.TotalE4)
            || (input.RefundedTotal is { } newRefunded && Money.ToE4(newRefunded) != after.RefundedE4 && after.PaidAt is null)))
        {
            throw ApiException.Conflict("order_cancelled", "This order is cancelled and cannot change.");
        }

        var totalE4 = input.Total is { } total ? Money.ToE4(total) : after.TotalE4;
        var refundedE4 = input.RefundedTotal is { } refunded ? Money.ToE4(refunded) : after.RefundedE4;
        if (refundedE4 < after.RefundedE4)
        {
            throw ApiException.Invalid("refunded_total", "A refund cannot be undone: 'refunded_total' cannot go down.");
        }
        if (refundedE4 > totalE4)
        {
            throw ApiException.Invalid(input.RefundedTotal is null ? "total" : "refunded_total", "The refunded total cannot exceed the order total.");
        }
        after = after with
        {
            TotalE4 = totalE4,
            RefundedE4 = refundedE4,
            Units = Units(input) ?? after.Units,
            DiscountCodes = input.DiscountCodes is { } codes ? JsonSerializer.Serialize(codes.Select(c => c.Trim())) : after.DiscountCodes,
            Items = input.Items is { ValueKind: JsonValueKind.Array } items ? items.GetRawText() : after.Items,
            Status = Forward(after.Status, input.Status),
        };
        if (transition is not null)
        {
            after = transition(after);
        }
        if (after.RefundedE4 > after.TotalE4)
        {
            throw ApiException.Unprocessable("refund_exceeds_total", "The refunded total cannot exceed the order total.");
        }
        if (after.Status is OrderStatus.Paid && after.RefundedE4 == after.TotalE4 && after.TotalE4 > 0)
        {
            after = after with { Status = OrderStatus.Refunded };
        }
        if (after.Status is OrderStatus.Paid or OrderStatus.Refunded)
        {
            var firstPayment = after.PaidAt is null;
            after = after with { PaidAt = after.PaidAt ?? context.NowMs };
            // Points are fixed when the order is paid; a later change of total re-prices them.
            if (firstPayment || after.TotalE4 != before?.TotalE4 || after.Units != before?.Units)
            {
                after = after with { PointsEarned = await Orders.FullPointsAsync(context, caller.ProgramId, customer, after) };
            }
        }
        if (after.Status == OrderStatus.Cancelled && after.CancelledAt is null)
        {
            after = after with { CancelledAt = context.NowMs };
        }

        if (before is not null && after == before)
        {
            return (await Orders.ToDtoAsync(sql, caller.ProgramId, after), false);
        }
        if (before is null)
        {
            await Orders.InsertAsync(context, caller.ProgramId, after);
        }
        else
        {
            await Orders.UpdateAsync(context, caller.ProgramId, after);
        }
        await Orders.ReconcileAsync(context, caller.ProgramId, before, after, caller.KeyId);
        await Vouchers.UseCodesAsync(context, caller.ProgramId, Vouchers.ParseCodes(after.DiscountCodes), orderId);
        if (before?.PaidAt is null && after.PaidAt is not null)
        {
            await Referrals.OnOrderPaidAsync(context, caller.ProgramId, customerId, after.Id, after.TotalE4);
        }
        var dto = await Orders.ToDtoAsync(sql, caller.ProgramId, after with { UpdatedAt = context.NowMs });
        await Events.AddAsync(context, caller.ProgramId, Events.OrderUpdated, dto);
        return (dto, before is null);
    }

    private static string Forward(string current, string? requested) => (current, requested) switch
    {
        (_, null) => current,
        (OrderStatus.Cancelled, _) => OrderStatus.Cancelled,
        (OrderStatus.Refunded, _) when requested != OrderStatus.Cancelled => OrderStatus.Refunded,
        (OrderStatus.Paid, OrderStatus.Placed) => OrderStatus.Paid,
        _ => requested,
    };

    private static async Task<IResult> Upsert(HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<OrderInput>();
        Validate(input, creating: true);
        var id = input.Id!.Trim();
        return await writes.RunAsync(http, caller, async context =>
        {
            var (order, created) = await ApplyAsync(context, caller, id, input);
            return created ? Reply.Created(order) : Reply.Ok(order);
        });
    }

    private static async Task<IResult> Patch(string id, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<OrderInput>();
        Validate(input, creating: false);
        input.CustomerId = null;
        return await writes.RunAsync(http, caller, async context =>
        {
            _ = await Orders.GetAsync(context.Sql, caller.ProgramId, id);
            return Reply.Ok((await ApplyAsync(context, caller, id, input)).Order);
        });
    }

    private static Task<IResult> Paid(string id, HttpContext http, Caller caller, Writes writes) =>
        Transition(id, http, caller, writes, new OrderInput { Status = OrderStatus.Paid });

    private static Task<IResult> Cancel(string id, HttpContext http, Caller caller, Writes writes) =>
        Transition(id, http, caller, writes, new OrderInput { Status = OrderStatus.Cancelled });

    private static async Task<IResult> Transition(string id, HttpContext http, Caller caller, Writes writes, OrderInput input)
    {
        await RequestBody.ReadBytesAsync(http);
        return await writes.RunAsync(http, caller, async context =>
        {
            _ = await Orders.GetAsync(context.Sql, caller.ProgramId, id);
            return Reply.Ok((await ApplyAsync(context, caller, id, input)).Order);
        });
    }

    private static async Task<IResult> Refund(string id, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<RefundInput>();
        var amount = input.Amount ?? throw ApiException.Missing("amount");
        if (amount <= 0 || decimal.Round(amount, 4) != amount)
        {
            throw ApiException.Invalid("amount", "'amount' must be a positive amount with at most 4 decimals.");
        }
        var amountE4 = Money.ToE4(amount);
        return await writes.RunAsync(http, caller, async context =>
        {
            _ = await Orders.GetAsync(context.Sql, caller.ProgramId, id);
            // The refundable amount is checked on the order as read under the customer's lock, never on
            // an earlier read: two refunds at once must not both see the same amount left.
            // A cancelled order has no points left to take back; the refund is only recorded.
            return Reply.Ok((await ApplyAsync(context, caller, id, new OrderInput(), order =>
            {
                if (order.Status is OrderStatus.Placed || order.PaidAt is null)
                {
                    throw ApiException.Conflict("order_not_paid", "Only a paid order can be refunded.");
                }
                var left = order.TotalE4 - order.RefundedE4;
                if (amountE4 > left)
                {
                    throw ApiException.Unprocessable("refund_exceeds_total",
                        $"Only {Money.FromE4(left)} of this order is left to refund.", "amount");
                }
                return order with { RefundedE4 = order.RefundedE4 + amountE4 };
            })).Order);
        });
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(async sql =>
            await Orders.ToDtoAsync(sql, caller.ProgramId, await Orders.GetAsync(sql, caller.ProgramId, id))));

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request);
        var status = request.Query["status"].ToString();
        var customerRef = request.Query["customer_id"].ToString();
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var filter = (await new ListFilter(caller.ProgramId).AddCustomerAsync(sql, customerRef)).Add("status = @s", "s", status);
            var (where, args) = (filter.Where, filter.Args);
            long? total = paging.StartingAfter is null
                ? Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM orders WHERE {where}", [.. args]))
                : null;
            var page = $"SELECT id FROM orders WHERE {where}";
            if (paging.StartingAfter is not null)
            {
                // Orders are keyed by the merchant's id, so the cursor is (created_at, id) of the given order.
                page += " AND (created_at, id) < (SELECT created_at, id FROM orders WHERE program_id = @p AND id = @after)";
                args.Add(("after", paging.StartingAfter));
            }
            args.Add(("n", paging.Limit + 1));
            args.Add(("o", paging.Offset));
            var ids = await sql.ListAsync(page + " ORDER BY created_at DESC, id DESC LIMIT @n OFFSET @o", r => r.GetString(0), [.. args]);
            var rows = new List<OrderDto>(ids.Count);
            foreach (var orderId in ids)
            {
                rows.Add(await Orders.ToDtoAsync(sql, caller.ProgramId, (await Orders.FindAsync(sql, caller.ProgramId, orderId))!));
            }
            return paging.Envelope(rows, total);
        }));
    }
}
