namespace Patron.Client;

/// <summary>The points ledger: award and deduct points, and read the entries.</summary>
public sealed class PointsTransactionService : PatronService
{
    internal PointsTransactionService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    private static string ForCustomer(string customer) => $"customers/{Segment(customer)}/points_transactions";

    /// <summary>Posts an entry to the customer's ledger (a deduction below zero is refused with <c>insufficient_points</c>).</summary>
    public Task<PointsTransaction> CreateAsync(
        string customer, PointsTransactionCreateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<PointsTransaction>(ForCustomer(customer), options, requestOptions, cancellationToken);

    /// <summary>Awards <paramref name="points"/> (positive) to the customer.</summary>
    public Task<PointsTransaction> AwardAsync(
        string customer, long points, string? description = null, string? reference = null,
        RequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(points);
        return CreateAsync(customer, new() { Points = points, Description = description, Reference = reference }, requestOptions, cancellationToken);
    }

    /// <summary>Deducts <paramref name="points"/> (a positive number) from the customer as a <c>redeemed</c> entry.</summary>
    public Task<PointsTransaction> DeductAsync(
        string customer, long points, string? description = null, string? reference = null,
        RequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(points);
        return CreateAsync(customer, new() { Points = -points, Type = "redeemed", Description = description, Reference = reference },
            requestOptions, cancellationToken);
    }

    public Task<PointsTransaction> GetAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<PointsTransaction>($"points_transactions/{Segment(id)}", null, requestOptions, cancellationToken);

    /// <summary>One page of ledger entries of the program, most recent first.</summary>
    public Task<PatronList<PointsTransaction>> ListAsync(
        PointsTransactionListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<PointsTransaction>("points_transactions", options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<PointsTransaction> ListAutoPagingAsync(
        PointsTransactionListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<PointsTransaction>("points_transactions", options, requestOptions, cancellationToken);

    /// <summary>One page of the customer's ledger, most recent first.</summary>
    public Task<PatronList<PointsTransaction>> ListForCustomerAsync(
        string customer, ListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<PointsTransaction>(ForCustomer(customer), options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<PointsTransaction> ListForCustomerAutoPagingAsync(
        string customer, ListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<PointsTransaction>(ForCustomer(customer), options, requestOptions, cancellationToken);
}
