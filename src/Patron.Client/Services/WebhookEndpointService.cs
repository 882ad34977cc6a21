namespace Patron.Client;

/// <summary>Webhook endpoints and their delivery log (admin keys only).</summary>
public sealed class WebhookEndpointService : PatronService
{
    private const string Path = "webhook_endpoints";

    internal WebhookEndpointService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    /// <summary>Registers an endpoint; the answer's <see cref="WebhookEndpoint.Secret"/> is shown this once.</summary>
    public Task<WebhookEndpoint> CreateAsync(
        WebhookEndpointCreateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<WebhookEndpoint>(Path, options, requestOptions, cancellationToken);

    public Task<WebhookEndpoint> GetAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<WebhookEndpoint>($"{Path}/{Segment(id)}", null, requestOptions, cancellationToken);

    public Task<WebhookEndpoint> UpdateAsync(
        string id, WebhookEndpointUpdateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PatchAsync<WebhookEndpoint>($"{Path}/{Segment(id)}", options, requestOptions, cancellationToken);

    /// <summary>Deletes the endpoint and its delivery log.</summary>
    public Task<DeletedObject> DeleteAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.DeleteAsync<DeletedObject>($"{Path}/{Segment(id)}", requestOptions, cancellationToken);

    public Task<PatronList<WebhookEndpoint>> ListAsync(
        ListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<WebhookEndpoint>(Path, options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<WebhookEndpoint> ListAutoPagingAsync(
        ListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<WebhookEndpoint>(Path, options, requestOptions, cancellationToken);

    /// <summary>The endpoint's delivery log, most recent first.</summary>
    public Task<PatronList<WebhookDelivery>> ListDeliveriesAsync(
        string id, WebhookDeliveryListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<WebhookDelivery>($"{Path}/{Segment(id)}/deliveries", options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<WebhookDelivery> ListDeliveriesAutoPagingAsync(
        string id, WebhookDeliveryListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<WebhookDelivery>($"{Path}/{Segment(id)}/deliveries", options, requestOptions, cancellationToken);

    public Task<WebhookDelivery> GetDeliveryAsync(string deliveryId, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<WebhookDelivery>($"webhook_deliveries/{Segment(deliveryId)}", null, requestOptions, cancellationToken);

    /// <summary>Attempts a delivery again now.</summary>
    public Task<WebhookDelivery> RetryDeliveryAsync(string deliveryId, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<WebhookDelivery>($"webhook_deliveries/{Segment(deliveryId)}/retry", null, requestOptions, cancellationToken);
}
