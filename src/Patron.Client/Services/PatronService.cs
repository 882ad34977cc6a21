using System.Runtime.CompilerServices;

namespace Patron.Client;

/// <summary>What every resource's service shares: the requestor, and lists that page themselves.</summary>
public abstract class PatronService
{
    private protected PatronService(ApiRequestor requestor) => Requestor = requestor;

    private protected ApiRequestor Requestor { get; }

    private protected static string Segment(string value) => ApiRequestor.Segment(value);

    private protected Task<PatronList<T>> ListAsync<T>(
        string path, ListOptions? options, string? startingAfter, RequestOptions? requestOptions, CancellationToken ct) =>
        Requestor.GetAsync<PatronList<T>>(path, (options ?? new ListOptions()).Query(startingAfter), requestOptions, ct);

    /// <summary>Every item of the list from the options' position on, fetching the next page with <c>starting_after</c> as it goes.</summary>
    private protected async IAsyncEnumerable<T> AutoPageAsync<T>(
        string path, ListOptions? options, RequestOptions? requestOptions, [EnumeratorCancellation] CancellationToken ct)
        where T : IHasId
    {
        string? after = null;
        while (true)
        {
            var page = await ListAsync<T>(path, options, after, requestOptions, ct).ConfigureAwait(false);
            foreach (var item in page.Data)
            {
                yield return item;
            }
            if (!page.HasMore || page.Data.Count == 0)
            {
                yield break;
            }
            after = page.Data[^1].Id;
        }
    }
}
