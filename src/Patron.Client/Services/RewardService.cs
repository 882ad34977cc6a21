namespace Patron.Client;

/// <summary>Rewards: any key reads them, an admin key changes them.</summary>
public sealed class RewardService : PatronService
{
    private const string Path = "rewards";

    internal RewardService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    public Task<Reward> CreateAsync(RewardCreateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<Reward>(Path, options, requestOptions, cancellationToken);

    public Task<Reward> GetAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<Reward>($"{Path}/{Segment(id)}", null, requestOptions, cancellationToken);

    public Task<Reward> UpdateAsync(string id, RewardUpdateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PatchAsync<Reward>($"{Path}/{Segment(id)}", options, requestOptions, cancellationToken);

    /// <summary>Hides the reward everywhere; its redemptions stay.</summary>
    public Task<DeletedObject> DeleteAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.DeleteAsync<DeletedObject>($"{Path}/{Segment(id)}", requestOptions, cancellationToken);

    public Task<PatronList<Reward>> ListAsync(RewardListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<Reward>(Path, options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<Reward> ListAutoPagingAsync(
        RewardListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<Reward>(Path, options, requestOptions, cancellationToken);

    /// <summary>Adds codes to a pool reward (admin); codes already in the program come back as duplicates.</summary>
    public Task<VoucherCodeImport> AddVoucherCodesAsync(
        string id, IEnumerable<string> codes, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<VoucherCodeImport>($"{Path}/{Segment(id)}/voucher_codes", new { Codes = codes.ToList() }, requestOptions, cancellationToken);

    public Task<VoucherPoolStats> GetVoucherCodeStatsAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<VoucherPoolStats>($"{Path}/{Segment(id)}/voucher_codes/stats", null, requestOptions, cancellationToken);
}
