namespace Patron.Client;

/// <summary>Redemptions: spend a customer's points on a reward, and cancel while the code is unused.</summary>
public sealed class RedemptionService : PatronService
{
    private const string Path = "redemptions";

    internal RedemptionService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    private static string ForCustomer(string customer) => $"customers/{Segment(customer)}/redemptions";

    /// <summary>Deducts the reward's points and issues its code in one step.</summary>
    public Task<Redemption> CreateAsync(
        string customer, RedemptionCreateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<Redemption>(ForCustomer(customer), options, requestOptions, cancellationToken);

    public Task<Redemption> GetAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<Redemption>($"{Path}/{Segment(id)}", null, requestOptions, cancellationToken);

    /// <summary>Cancels a redemption whose code is unused: the points come back once.</summary>
    public Task<Redemption> CancelAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<Redemption>($"{Path}/{Segment(id)}/cancel", null, requestOptions, cancellationToken);

    public Task<PatronList<Redemption>> ListAsync(
        RedemptionListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<Redemption>(Path, options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<Redemption> ListAutoPagingAsync(
        RedemptionListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<Redemption>(Path, options, requestOptions, cancellationToken);

    public Task<PatronList<Redemption>> ListForCustomerAsync(
        string customer, ListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<Redemption>(ForCustomer(customer), options, null, requestOptions, cancellationToken);

    /// <summary>A voucher code's state (issued, used, expired or cancelled).</summary>
    public Task<Voucher> GetVoucherAsync(string code, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<Voucher>($"vouchers/{Segment(code)}", null, requestOptions, cancellationToken);

    /// <summary>Marks a voucher code used (once).</summary>
    public Task<Voucher> UseVoucherAsync(
        string code, VoucherUseOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<Voucher>($"vouchers/{Segment(code)}/use", options, requestOptions, cancellationToken);
}
