namespace Patron.Client;

/// <summary>Referrals: made by creating a customer with <c>referred_by</c>, decided by the referee's first paid order.</summary>
public sealed class ReferralService : PatronService
{
    private const string Path = "referrals";

    internal ReferralService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    public Task<PatronList<Referral>> ListAsync(
        ReferralListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<Referral>(Path, options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<Referral> ListAutoPagingAsync(
        ReferralListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<Referral>(Path, options, requestOptions, cancellationToken);
}
