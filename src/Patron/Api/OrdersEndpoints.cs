using System.Text.Json;
using Patron.Domain;
using Patron.Operations.Orders;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// The merchant's orders over HTTP (docs/API.md, Orders): parse, call <see cref="OrderOperations"/>, render. <c>id</c> is the merchant's own order id.
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
        group.MapGet("/", List).WithSummary("Orders, most recent first, filtered by customer_id and status").Produces<ListEnvelope<OrderDto>>()
            .WithQuery(QueryParameter.Customer(), QueryParameter.OneOf("status", "The order's state.", "placed", "paid", "refunded", "cancelled"));
        group.MapGet("/{id}", Get).WithSummary("One order").Produces<OrderDto>();
        group.MapPatch("/{id}", Patch).WithSummary("Edit an order's total, status, codes or items").Accepts<OrderInput>("application/json").Produces<OrderDto>();
        group.MapPost("/{id}/paid", Paid).WithSummary("Mark an order paid: its points start (pending for points_delay_days)").Produces<OrderDto>();
        group.MapPost("/{id}/refunds", Refund).WithSummary("Refund part or all of a paid order: points are taken back in proportion")
            .Accepts<RefundInput>("application/json").Produces<OrderDto>();
        group.MapPost("/{id}/cancel", Cancel).WithSummary("Cancel an order: all its points are taken back").Produces<OrderDto>();
        return group;
    }

    private static Operations.Orders.OrderInput ToOperation(OrderInput input) => new()
    {
        CustomerId = input.CustomerId,
        Total = input.Total,
        RefundedTotal = input.RefundedTotal,
        Currency = input.Currency,
        Status = input.Status,
        DiscountCodes = input.DiscountCodes,
        Items = input.Items,
        Units = input.Units,
    };

    private static async Task<IResult> Upsert(HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<OrderInput>();
        var order = ToOperation(input);
        return await writes.RunAsync(http, caller, async context =>
        {
            var (result, created) = await OrderOperations.UpsertAsync(context, caller.ProgramId, caller.KeyId, input.Id, order);
            return created ? Reply.Created(result) : Reply.Ok(result);
        });
    }

    private static async Task<IResult> Patch(string id, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<OrderInput>();
        var change = ToOperation(input);
        // The body's own 'id' is ignored on PATCH, but still held to its bound.
        OrderOperations.Validate(input.Id, change, creating: false);
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await OrderOperations.UpdateAsync(context, caller.ProgramId, caller.KeyId, id, change)));
    }

    private static async Task<IResult> Paid(string id, HttpContext http, Caller caller, Writes writes)
    {
        await http.ReadNoFieldsAsync();
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await OrderOperations.MarkPaidAsync(context, caller.ProgramId, caller.KeyId, id)));
    }

    private static async Task<IResult> Cancel(string id, HttpContext http, Caller caller, Writes writes)
    {
        await http.ReadNoFieldsAsync();
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await OrderOperations.CancelAsync(context, caller.ProgramId, caller.KeyId, id)));
    }

    private static async Task<IResult> Refund(string id, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<RefundInput>();
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await OrderOperations.RefundAsync(context, caller.ProgramId, caller.KeyId, id, input.Amount)));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(sql => OrderOperations.GetAsync(sql, caller.ProgramId, id)));

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        // Orders are keyed by the merchant's id, so the cursor is checked against the orders below, not by shape.
        var paging = Paging.From(request, cursorIsId: false, "status", "customer_id");
        var status = request.Query["status"].ToString();
        if (status.Length > 0 && status is not (OrderStatus.Placed or OrderStatus.Paid or OrderStatus.Refunded or OrderStatus.Cancelled))
        {
            throw ApiException.Invalid("status", "'status' must be 'placed', 'paid', 'refunded' or 'cancelled'.");
        }
        var customerRef = request.Query["customer_id"].ToString();
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var filter = (await new ListFilter(caller.ProgramId).AddCustomerAsync(sql, customerRef)).Add("status = @s", "s", status);
            if (paging.StartingAfter is { } after
                && await sql.ScalarAsync("SELECT 1 FROM orders WHERE program_id = @p AND id = @after", ("p", caller.ProgramId), ("after", after)) is null)
            {
                throw ApiException.Invalid("starting_after", $"No such order: '{after}'.");
            }
            var total = await filter.CountAsync(sql, "orders", paging);
            var page = await OrderStore.PageAsync(sql, filter, paging.Limit + 1, paging.Offset, paging.StartingAfter);
            var rows = await OrderStore.ToDtosAsync(sql, caller.ProgramId, page);
            return paging.Envelope(rows, total);
        }));
    }
}
