namespace Patron.Client;

/// <summary>The program's API keys (admin keys only).</summary>
public sealed class ApiKeyService : PatronService
{
    private const string Path = "api_keys";

    internal ApiKeyService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    /// <summary>Creates a key; the answer's <see cref="ApiKey.Secret"/> is shown this once.</summary>
    public Task<ApiKey> CreateAsync(ApiKeyCreateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<ApiKey>(Path, options, requestOptions, cancellationToken);

    /// <summary>Revokes the key at once.</summary>
    public Task<DeletedObject> RevokeAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.DeleteAsync<DeletedObject>($"{Path}/{Segment(id)}", requestOptions, cancellationToken);

    public Task<PatronList<ApiKey>> ListAsync(ListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<ApiKey>(Path, options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<ApiKey> ListAutoPagingAsync(
        ListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<ApiKey>(Path, options, requestOptions, cancellationToken);
}
