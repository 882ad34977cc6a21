namespace Patron.Client;

/// <summary>Gift cards, addressed by their code (case and dashes do not matter).</summary>
public sealed class GiftCardService : PatronService
{
    private const string Path = "gift_cards";

    internal GiftCardService(ApiRequestor requestor)
        : base(requestor)
    {
    }

    /// <summary>Issues a card; keep <see cref="GiftCard.Code"/> from the answer (Patron stores only its hash).</summary>
    public Task<GiftCard> CreateAsync(GiftCardCreateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<GiftCard>(Path, options, requestOptions, cancellationToken);

    public Task<GiftCard> GetAsync(string code, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.GetAsync<GiftCard>($"{Path}/{Segment(code)}", null, requestOptions, cancellationToken);

    /// <summary>Spends (negative amount) or loads (positive) the card; a repeated reference moves nothing.</summary>
    public Task<GiftCardTransaction> CreateTransactionAsync(
        string code, GiftCardTransactionCreateOptions options, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        Requestor.PostAsync<GiftCardTransaction>($"{Path}/{Segment(code)}/transactions", options, requestOptions, cancellationToken);

    public Task<PatronList<GiftCardTransaction>> ListTransactionsAsync(
        string code, ListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        ListAsync<GiftCardTransaction>($"{Path}/{Segment(code)}/transactions", options, null, requestOptions, cancellationToken);

    public IAsyncEnumerable<GiftCardTransaction> ListTransactionsAutoPagingAsync(
        string code, ListOptions? options = null, RequestOptions? requestOptions = null, CancellationToken cancellationToken = default) =>
        AutoPageAsync<GiftCardTransaction>($"{Path}/{Segment(code)}/transactions", options, requestOptions, cancellationToken);
}
