namespace Patron.Client;

/// <summary>VIP tiers: any key reads them (lowest requirement first), an admin key changes them.</summary>
public sealed class VipTierService : PatronService
{
    private const string Path = "vip_tiers";

    internal VipTierService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    public Task<VipTier> CreateAsync(VipTierOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<VipTier>(Path, options, requestOptions, cancellationToken);

    public Task<VipTier> GetAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<VipTier>($"{Path}/{Segment(id)}", null, requestOptions, cancellationToken);

    public Task<VipTier> UpdateAsync(string id, VipTierOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PatchAsync<VipTier>($"{Path}/{Segment(id)}", options, requestOptions, cancellationToken);

    public Task<DeletedObject> DeleteAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.DeleteAsync<DeletedObject>($"{Path}/{Segment(id)}", requestOptions, cancellationToken);

    /// <summary>One page of the ladder, lowest requirement first.</summary>
    public Task<PatronList<VipTier>> ListAsync(ListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<VipTier>(Path, options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<VipTier> ListAutoPagingAsync(
        ListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<VipTier>(Path, options, requestOptions, cancellationToken);
}
