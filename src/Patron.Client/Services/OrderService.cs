namespace Patron.Client;

/// <summary>Orders: points follow an order's state (placed, paid, refunded, cancelled).</summary>
public sealed class OrderService : PatronService
{
    private const string Path = "orders";

    internal OrderService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    /// <summary>Creates the order, or brings it to the full state given (safe to send again).</summary>
    public Task<Order> CreateAsync(OrderCreateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<Order>(Path, options, requestOptions, cancellationToken);

    public Task<Order> GetAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<Order>($"{Path}/{Segment(id)}", null, requestOptions, cancellationToken);

    public Task<Order> UpdateAsync(string id, OrderUpdateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PatchAsync<Order>($"{Path}/{Segment(id)}", options, requestOptions, cancellationToken);

    /// <summary>Marks the order paid: its points start (pending for the program's delay).</summary>
    public Task<Order> PayAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<Order>($"{Path}/{Segment(id)}/paid", null, requestOptions, cancellationToken);

    /// <summary>Refunds part or all of a paid order: its points are taken back in proportion.</summary>
    public Task<Order> RefundAsync(string id, OrderRefundOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<Order>($"{Path}/{Segment(id)}/refunds", options, requestOptions, cancellationToken);

    /// <summary>Cancels the order: all its points are taken back.</summary>
    public Task<Order> CancelAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<Order>($"{Path}/{Segment(id)}/cancel", null, requestOptions, cancellationToken);

    public Task<PatronList<Order>> ListAsync(OrderListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<Order>(Path, options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<Order> ListAutoPagingAsync(
        OrderListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<Order>(Path, options, requestOptions, cancellationToken);
}
