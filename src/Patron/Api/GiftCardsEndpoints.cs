using Patron.Operations.GiftCardAccounts;
using Patron.Storage;

namespace Patron.Api;

/// <summary>Gift cards (docs/API.md): issue, look up by code, load and spend, list movements.</summary>
public static class GiftCardsEndpoints
{
    public sealed class GiftCardInput
    {
        public decimal? InitialBalance { get; set; }
        public string? Currency { get; set; }
        public string? CustomerId { get; set; }
        public DateTimeOffset? ExpiresAt { get; set; }
    }

    public sealed class TransactionInput
    {
        public decimal? Amount { get; set; }
        public string? Reference { get; set; }
        public string? Description { get; set; }
    }

    public static RouteGroupBuilder MapGiftCardsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/gift_cards").WithTags("Gift cards");
        group.MapPost("/", Issue).WithSummary("Issue a gift card; its code is a bearer secret, stored only as a hash")
            .Accepts<GiftCardInput>("application/json").Produces<GiftCardDto>(201);
        group.MapGet("/{code}", Get).WithSummary("A gift card's balance and status, by its code").Produces<GiftCardDto>();
        group.MapPost("/{code}/transactions", Transact)
            .WithSummary("Spend (negative amount) or load (positive); a repeated reference moves nothing")
            .Accepts<TransactionInput>("application/json").Produces<GiftCardTransactionDto>(201).Produces<GiftCardTransactionDto>();
        group.MapGet("/{code}/transactions", ListTransactions).WithSummary("A gift card's movements, most recent first")
            .Produces<ListEnvelope<GiftCardTransactionDto>>();
        return group;
    }

    private static async Task<IResult> Issue(HttpContext http, Caller caller, Writes writes)
    {
        var body = await http.ReadJsonAsync<GiftCardInput>();
        var input = new GiftCardIssue(body.InitialBalance, body.Currency, body.CustomerId, body.ExpiresAt);
        GiftCardOperations.Validate(input);
        return await writes.RunAsync(http, caller, async context =>
            Reply.Created(await GiftCardOperations.IssueAsync(context, caller.Actor, caller.ProgramId, input)));
    }

    private static async Task<IResult> Get(string code, Caller caller, Database db, TimeProvider clock) =>
        TypedResults.Ok(await GiftCardOperations.GetAsync(db, caller.ProgramId, code, clock.GetUtcNow().ToUnixTimeMilliseconds()));

    private static async Task<IResult> Transact(string code, HttpContext http, Caller caller, Writes writes)
    {
        var body = await http.ReadJsonAsync<TransactionInput>();
        var input = new GiftCardMovement(body.Amount, body.Reference, body.Description);
        GiftCardOperations.Validate(input);
        return await writes.RunAsync(http, caller, async context =>
        {
            var result = await GiftCardOperations.TransactAsync(context, caller.Actor, caller.ProgramId, code, input);
            return result.Created ? Reply.Created(result.Transaction) : Reply.Ok(result.Transaction);
        });
    }

    private static async Task<IResult> ListTransactions(string code, HttpRequest request, Caller caller, Database db) =>
        TypedResults.Ok(await GiftCardOperations.ListTransactionsAsync(db, caller.ProgramId, code, Paging.From(request)));
}
