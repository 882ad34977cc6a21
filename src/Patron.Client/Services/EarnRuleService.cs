namespace Patron.Client;

/// <summary>Earn rules and campaigns: any key reads them, an admin key changes them.</summary>
public sealed class EarnRuleService : PatronService
{
    private const string Path = "earn_rules";

    internal EarnRuleService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    public Task<EarnRule> CreateAsync(EarnRuleOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<EarnRule>(Path, options, requestOptions, cancellationToken);

    public Task<EarnRule> GetAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<EarnRule>($"{Path}/{Segment(id)}", null, requestOptions, cancellationToken);

    public Task<EarnRule> UpdateAsync(string id, EarnRuleOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PatchAsync<EarnRule>($"{Path}/{Segment(id)}", options, requestOptions, cancellationToken);

    public Task<DeletedObject> DeleteAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.DeleteAsync<DeletedObject>($"{Path}/{Segment(id)}", requestOptions, cancellationToken);

    public Task<PatronList<EarnRule>> ListAsync(
        EarnRuleListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<EarnRule>(Path, options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<EarnRule> ListAutoPagingAsync(
        EarnRuleListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<EarnRule>(Path, options, requestOptions, cancellationToken);
}
