using System.Text.Json;

namespace Patron.Client;

/// <summary>A merchant's order (docs/API.md, Orders). <see cref="Id"/> is the merchant's own order id.</summary>
public sealed class Order : IHasId
{
    public string Object { get; set; } = "order";
    public string Id { get; set; } = "";
    public string CustomerId { get; set; } = "";

    /// <summary><c>placed</c>, <c>paid</c>, <c>refunded</c> or <c>cancelled</c>.</summary>
    public string Status { get; set; } = "";

    public string Currency { get; set; } = "";
    public decimal Total { get; set; }
    public decimal RefundedTotal { get; set; }
    public long Units { get; set; }
    public List<string> DiscountCodes { get; set; } = [];

    /// <summary>The items as sent (an array of objects of your own; a <c>quantity</c> counts units).</summary>
    public JsonElement Items { get; set; }

    public long PointsEarned { get; set; }
    public long PointsCredited { get; set; }
    public long PointsPending { get; set; }
    public DateTimeOffset? PaidAt { get; set; }
    public DateTimeOffset? CancelledAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary><c>POST /orders</c>: creates the order, or brings it to the full state given.</summary>
public sealed class OrderCreateOptions
{
    /// <summary>Your own order id (up to 200 characters).</summary>
    public string? Id { get; set; }

    /// <summary>Any customer reference.</summary>
    public string? CustomerId { get; set; }

    public decimal? Total { get; set; }
    public decimal? RefundedTotal { get; set; }
    public string? Currency { get; set; }

    /// <summary><c>placed</c>, <c>paid</c> or <c>cancelled</c>.</summary>
    public string? Status { get; set; }

    public List<string>? DiscountCodes { get; set; }

    /// <summary>Items of your own shape, e.g. <c>new[] { new { sku = "A1", quantity = 2 } }</c>.</summary>
    public object? Items { get; set; }

    public long? Units { get; set; }
}

/// <summary><c>PATCH /orders/{id}</c>: a null property is left as it is.</summary>
public sealed class OrderUpdateOptions
{
    public decimal? Total { get; set; }
    public decimal? RefundedTotal { get; set; }
    public string? Currency { get; set; }
    public string? Status { get; set; }
    public List<string>? DiscountCodes { get; set; }
    public object? Items { get; set; }
    public long? Units { get; set; }
}

/// <summary><c>POST /orders/{id}/refunds</c>.</summary>
public sealed class OrderRefundOptions
{
    public decimal Amount { get; set; }
}

/// <summary><c>GET /orders</c> filters.</summary>
public sealed class OrderListOptions : ListOptions
{
    public string? CustomerId { get; set; }

    /// <summary><c>placed</c>, <c>paid</c>, <c>refunded</c> or <c>cancelled</c>.</summary>
    public string? Status { get; set; }

    protected override IEnumerable<KeyValuePair<string, string?>> Filters() => [new("customer_id", CustomerId), new("status", Status)];
}
