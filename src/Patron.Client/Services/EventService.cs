namespace Patron.Client;

/// <summary>Every event ever emitted, whether or not a webhook endpoint received it.</summary>
public sealed class EventService : PatronService
{
    private const string Path = "events";

    internal EventService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    public Task<Event> GetAsync(string id, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<Event>($"{Path}/{Segment(id)}", null, requestOptions, cancellationToken);

    public Task<PatronList<Event>> ListAsync(EventListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<Event>(Path, options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<Event> ListAutoPagingAsync(
        EventListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<Event>(Path, options, requestOptions, cancellationToken);
}
