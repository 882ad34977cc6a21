using System.Text.Json;
using Patron.Api;
using Patron.Domain;
using Patron.Operations.Orders;
using Patron.Storage;
using static Patron.Dialects.LoyaltyLion.LoyaltyLionInput;
using CoreOrderInput = Patron.Operations.Orders.OrderInput;

namespace Patron.Dialects.LoyaltyLion;

/// <summary>
/// LoyaltyLion's orders, keyed by the merchant's order id (<c>merchant_id</c>, Patron's order id). Each
/// request becomes one call of <see cref="OrderOperations"/>: create is create-or-update with the
/// order's full state (a retry credits once), PUT is the full update, and paid/refund/cancel are the
/// core's payment, refunded total and cancellation.
/// </summary>
internal static class LoyaltyLionOrders
{
    private const string NotPaid = "not_paid", PartiallyPaid = "partially_paid", Paid = "paid";
    private const string NotRefunded = "not_refunded", PartiallyRefunded = "partially_refunded", Refunded = "refunded";
    private const string NotCancelled = "not_cancelled", Cancelled = "cancelled";

    /// <summary>The body of POST /orders, PUT /orders/{merchant_id} and the state endpoints.</summary>
    public sealed class OrderBody
    {
        public string? MerchantId { get; set; }
        public JsonElement? CustomerId { get; set; }
        public string? CustomerEmail { get; set; }
        public JsonElement? Total { get; set; }
        public JsonElement? TotalShipping { get; set; }
        public JsonElement? TotalTax { get; set; }
        public JsonElement? TotalDiscounts { get; set; }
        public JsonElement? TotalPaid { get; set; }
        public JsonElement? TotalRefunded { get; set; }
        public JsonElement? Number { get; set; }
        public string? PaymentStatus { get; set; }
        public string? RefundStatus { get; set; }
        public string? CancellationStatus { get; set; }
        public JsonElement? DiscountCodes { get; set; }
        public string? Date { get; set; }
    }

    /// <summary>
    /// An order as LoyaltyLion shows it. Amounts are decimal strings; <c>id</c> is the merchant's id too. The
    /// order's points (approved: credited now, after refunds; pending: not spendable yet) are Patron's addition.
    /// </summary>
    public sealed record LoyaltyLionOrder(
        string Id, string MerchantId, string Total, string TotalPaid, string TotalRefunded,
        string PaymentStatus, string RefundStatus, string CancellationStatus, List<DiscountCode> DiscountCodes,
        OrderCustomer Customer, long PointsApproved, long PointsPending, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    public sealed record DiscountCode(string Code);

    public sealed record OrderCustomer(string Id, string? MerchantId, string? Email);

    public sealed record OrderList(List<LoyaltyLionOrder> Orders, Cursor Cursor);

    public sealed record Cursor(string? Prev, string? Next);

    public static void MapLoyaltyLionOrders(this RouteGroupBuilder routes)
    {
        var orders = routes.MapGroup("/orders");
        orders.MapPost("/", Create).WithSummary("Create an order (a retry with the same merchant_id changes nothing)")
            .Accepts<OrderBody>("application/json").Produces(201);
        orders.MapPut("/{merchant_id}", Update).WithSummary("Full update: the order's payment, refund and cancellation state")
            .Accepts<OrderBody>("application/json").Produces(204);
        orders.MapPost("/{merchant_id}/paid", MarkPaid).WithSummary("Mark an order paid").Produces(204);
        orders.MapPost("/{merchant_id}/refund", Refund).WithSummary("Set the order's refunded total (cumulative total_refunded)")
            .Accepts<OrderBody>("application/json").Produces(204);
        orders.MapPost("/{merchant_id}/cancel", Cancel).WithSummary("Cancel an order").Produces(204);
        orders.MapGet("/{merchant_id}", Get).WithSummary("One order by the merchant's id").Produces<LoyaltyLionOrder>();
        orders.MapGet("/", List).WithSummary("Orders, most recent first (cursor, limit 1-500)").Produces<OrderList>();
    }

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes)
    {
        var body = await http.ReadJsonAsync<OrderBody>();
        var merchantId = body.MerchantId?.Trim() is { Length: > 0 } m ? m : throw OperationException.Missing("merchant_id");
        var customerId = Id(body.CustomerId, "customer_id") ?? throw OperationException.Missing("customer_id");
        var total = Amount(body.Total, "total") ?? throw OperationException.Missing("total");
        if (body.PaymentStatus is null)
        {
            throw OperationException.Missing("payment_status");
        }
        var input = ToCore(body, total);
        OrderOperations.Validate(merchantId, input with { CustomerId = customerId }, creating: true);

        await writes.RunAsync(http, caller, async context =>
        {
            var customer = await CustomerAsync(context, caller.ProgramId, customerId, body.CustomerEmail, null, caller.KeyId);
            var (order, _) = await OrderOperations.UpsertAsync(context, caller.ProgramId, caller.KeyId, merchantId,
                input with { CustomerId = customer.Id });
            return Reply.Created(order);
        });
        return Results.StatusCode(201);
    }

    private static async Task<IResult> Update(string merchant_id, HttpContext http, Caller caller, Writes writes)
    {
        var body = await http.ReadJsonAsync<OrderBody>();
        if (body.PaymentStatus is null)
        {
            throw OperationException.Missing("payment_status");
        }
        var input = ToCore(body, Amount(body.Total, "total"));
        OrderOperations.Validate(null, input, creating: false);
        await writes.RunAsync(http, caller, async context =>
        {
            var change = await WithRefundedTotalAsync(context, caller.ProgramId, merchant_id, body.RefundStatus, input);
            return Reply.Ok(await OrderOperations.UpdateAsync(context, caller.ProgramId, caller.KeyId, merchant_id, change));
        });
        return Results.NoContent();
    }

    private static async Task<IResult> MarkPaid(string merchant_id, HttpContext http, Caller caller, Writes writes)
    {
        var body = await http.ReadJsonAsync<OrderBody>();
        Amount(body.TotalPaid, "total_paid");
        await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await OrderOperations.MarkPaidAsync(context, caller.ProgramId, caller.KeyId, merchant_id)));
        return Results.NoContent();
    }

    private static async Task<IResult> Refund(string merchant_id, HttpContext http, Caller caller, Writes writes)
    {
        var body = await http.ReadJsonAsync<OrderBody>();
        var refunded = Amount(body.TotalRefunded, "total_refunded") ?? throw OperationException.Missing("total_refunded");
        var input = new CoreOrderInput { RefundedTotal = refunded };
        OrderOperations.Validate(null, input, creating: false);
        await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await OrderOperations.UpdateAsync(context, caller.ProgramId, caller.KeyId, merchant_id, input)));
        return Results.NoContent();
    }

    private static async Task<IResult> Cancel(string merchant_id, HttpContext http, Caller caller, Writes writes)
    {
        await RequestBody.ReadBytesAsync(http);
        await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await OrderOperations.CancelAsync(context, caller.ProgramId, caller.KeyId, merchant_id)));
        return Results.NoContent();
    }

    private static async Task<IResult> Get(string merchant_id, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(async sql =>
            (await ShowAsync(sql, caller.ProgramId, [await OrderOperations.GetAsync(sql, caller.ProgramId, merchant_id)]))[0]));

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var limit = Limit(request);
        var cursor = request.Query["cursor"].ToString() is { Length: > 0 } c ? c : null;
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var filter = new ListFilter(caller.ProgramId);
            var page = await OrderStore.PageAsync(sql, filter, limit + 1, 0, cursor);
            var more = page.Count > limit;
            var shown = await ShowAsync(sql, caller.ProgramId, await OrderStore.ToDtosAsync(sql, caller.ProgramId, page.Take(limit).ToList()));
            return new OrderList(shown, new Cursor(null, more ? shown[^1].MerchantId : null));
        }));
    }

    /// <summary>
    /// The order's state in the core's terms: cancelled beats paid beats placed (a partial payment earns
    /// nothing yet); the refunded total is <c>total_refunded</c>, or the whole total when <c>refunded</c>.
    /// </summary>
    private static CoreOrderInput ToCore(OrderBody body, decimal? total)
    {
        var payment = OneOf(body.PaymentStatus, "payment_status", NotPaid, PartiallyPaid, Paid);
        var refund = OneOf(body.RefundStatus, "refund_status", NotRefunded, PartiallyRefunded, Refunded);
        var cancellation = OneOf(body.CancellationStatus, "cancellation_status", NotCancelled, Cancelled);
        Amount(body.TotalShipping, "total_shipping");
        Amount(body.TotalTax, "total_tax");
        Amount(body.TotalDiscounts, "total_discounts");
        Amount(body.TotalPaid, "total_paid");
        Id(body.Number, "number");
        Date(body.Date, "date");
        var refunded = Amount(body.TotalRefunded, "total_refunded");
        if (refund == PartiallyRefunded && refunded is null)
        {
            throw OperationException.Missing("total_refunded");
        }
        return new CoreOrderInput
        {
            Total = total,
            Status = cancellation == Cancelled ? OrderStatus.Cancelled : payment == Paid ? OrderStatus.Paid : OrderStatus.Placed,
            RefundedTotal = refunded ?? (refund == Refunded ? total : null),
            DiscountCodes = Codes(body.DiscountCodes),
        };
    }

    /// <summary><c>refund_status: refunded</c> without totals on PUT: the order's own total is what was refunded.</summary>
    private static async Task<CoreOrderInput> WithRefundedTotalAsync(
        WriteContext context, string programId, string merchantId, string? refundStatus, CoreOrderInput input)
    {
        if (refundStatus != Refunded || input.RefundedTotal is not null)
        {
            return input;
        }
        var order = await OrderOperations.GetAsync(context.Sql, programId, merchantId);
        return input with { RefundedTotal = order.Total };
    }

    /// <summary><c>discount_codes</c>: <c>[{"code": "...", "amount": "..."}]</c> (plain strings are taken too).</summary>
    private static List<string>? Codes(JsonElement? value)
    {
        if (value is not { ValueKind: not JsonValueKind.Null } v)
        {
            return null;
        }
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw OperationException.Invalid("discount_codes", "'discount_codes' must be an array of {\"code\", \"amount\"} objects.");
        }
        var codes = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            var code = item.ValueKind switch
            {
                JsonValueKind.String => item.GetString(),
                JsonValueKind.Object when item.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
                _ => null,
            };
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("amount", out var amount))
            {
                Amount(amount, "discount_codes.amount");
            }
            codes.Add(code ?? throw OperationException.Invalid("discount_codes", "Each of 'discount_codes' needs a 'code' string."));
        }
        return codes;
    }

    private static async Task<List<LoyaltyLionOrder>> ShowAsync(Sql sql, string programId, List<OrderDto> orders)
    {
        var shown = new List<LoyaltyLionOrder>(orders.Count);
        foreach (var o in orders)
        {
            var customer = await Customers.ByIdAsync(sql, programId, o.CustomerId);
            var paid = o.PaidAt is not null;
            shown.Add(new LoyaltyLionOrder(
                o.Id, o.Id, Text(o.Total), Text(paid ? o.Total : 0), Text(o.RefundedTotal),
                paid ? Paid : NotPaid,
                o.RefundedTotal == 0 ? NotRefunded : o.RefundedTotal >= o.Total ? Refunded : PartiallyRefunded,
                o.Status == OrderStatus.Cancelled ? Cancelled : NotCancelled,
                o.DiscountCodes.ValueKind == JsonValueKind.Array
                    ? [.. o.DiscountCodes.EnumerateArray().Select(c => new DiscountCode(c.GetString() ?? ""))]
                    : [],
                new OrderCustomer(o.CustomerId, customer?.ExternalId, customer?.Email),
                o.PointsCredited, o.PointsPending, o.CreatedAt, o.UpdatedAt));
        }
        return shown;
    }
}
