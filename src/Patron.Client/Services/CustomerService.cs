namespace Patron.Client;

/// <summary>
/// Customers. <c>reference</c> may be the Patron id, the <c>external_id</c>, the email, the phone
/// (E.164) or the QR value: the client escapes it.
/// </summary>
public sealed class CustomerService : PatronService
{
    private const string Path = "customers";

    internal CustomerService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    /// <summary>Creates a customer, or updates the one with the same external id, email or phone.</summary>
    public Task<Customer> CreateAsync(CustomerCreateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<Customer>(Path, options, requestOptions, cancellationToken);

    public Task<Customer> GetAsync(string reference, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<Customer>($"{Path}/{Segment(reference)}", null, requestOptions, cancellationToken);

    public Task<Customer> UpdateAsync(
        string reference, CustomerUpdateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PatchAsync<Customer>($"{Path}/{Segment(reference)}", options, requestOptions, cancellationToken);

    /// <summary>Erases the customer's personal data; the ledger stays under the customer's id.</summary>
    public Task<DeletedObject> DeleteAsync(string reference, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.DeleteAsync<DeletedObject>($"{Path}/{Segment(reference)}", requestOptions, cancellationToken);

    /// <summary>One page of customers, most recent first.</summary>
    public Task<PatronList<Customer>> ListAsync(
        CustomerListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<Customer>(Path, options, null, requestOptions, cancellationToken);

    /// <summary>Every customer matching the options, page after page.</summary>
    public IAsyncEnumerable<Customer> ListAutoPagingAsync(
        CustomerListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<Customer>(Path, options, requestOptions, cancellationToken);
}
