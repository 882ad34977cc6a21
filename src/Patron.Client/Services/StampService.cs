namespace Patron.Client;

/// <summary>The stamp card: record a visit's stamps; a full card issues the program's stamp reward.</summary>
public sealed class StampService : PatronService
{
    internal StampService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    public Task<Stamps> CreateAsync(
        string customer, StampsCreateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<Stamps>($"customers/{Segment(customer)}/stamps", options, requestOptions, cancellationToken);
}

/// <summary><c>POST /customers/{ref}/stamps</c>: 1 to 10 stamps; a repeated reference adds nothing.</summary>
public sealed class StampsCreateOptions
{
    public int Stamps { get; set; }
    public string? Reference { get; set; }
}
