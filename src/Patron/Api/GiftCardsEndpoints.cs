using Patron.Domain;
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
        var input = await http.ReadJsonAsync<GiftCardInput>();
        var initial = input.InitialBalance ?? throw ApiException.Missing("initial_balance");
        if (initial is < 0 or > GiftCards.MaxAmount || decimal.Round(initial, 4) != initial)
        {
            throw ApiException.Invalid("initial_balance", $"'initial_balance' must be an amount from 0 to {GiftCards.MaxAmount}, with at most 4 decimals.");
        }
        if (input.Currency is { } c && (c.Length != 3 || !c.All(char.IsAsciiLetter)))
        {
            throw ApiException.Invalid("currency", "'currency' must be a three-letter ISO 4217 code.");
        }
        if (input.CustomerId is { } cid && string.IsNullOrWhiteSpace(cid))
        {
            throw ApiException.Invalid("customer_id", "'customer_id' cannot be empty.");
        }
        return await writes.RunAsync(http, caller, async context =>
        {
            var sql = context.Sql;
            if (input.ExpiresAt is { } exp && exp <= context.Now)
            {
                throw ApiException.Invalid("expires_at", "'expires_at' must be in the future.");
            }
            var programCurrency = (string)(await sql.ScalarAsync("SELECT currency FROM programs WHERE id = @p", ("p", caller.ProgramId)))!;
            var currency = input.Currency?.ToUpperInvariant() ?? programCurrency;
            if (currency != programCurrency)
            {
                throw ApiException.Unprocessable("currency_mismatch", $"This program counts in {programCurrency}, not {currency}.", "currency");
            }
            string? customerId = null;
            if (input.CustomerId is { } reference)
            {
                customerId = (await Customers.GetAsync(sql, caller.ProgramId, reference.Trim())).Id;
            }
            var card = await GiftCards.IssueAsync(context, caller.ProgramId, Money.ToE4(initial), currency, customerId,
                input.ExpiresAt?.ToUnixTimeMilliseconds(), caller.KeyId);
            // The snapshot never holds the code: AuditTrail drops it.
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.GiftCardIssued, card.Id, null, card, customerId);
            return Reply.Created(card);
        });
    }

    private static async Task<IResult> Get(string code, Caller caller, Database db, TimeProvider clock)
    {
        var card = await db.ReadAsync(sql => GiftCards.GetAsync(sql, caller.ProgramId, code));
        return TypedResults.Ok(card.ToDto(GiftCards.Format(GiftCards.Normalize(code)), clock.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    private static async Task<IResult> Transact(string code, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<TransactionInput>();
        var amount = input.Amount ?? throw ApiException.Missing("amount");
        if (amount == 0 || amount is > GiftCards.MaxAmount or < -GiftCards.MaxAmount || decimal.Round(amount, 4) != amount)
        {
            throw ApiException.Invalid("amount", $"'amount' must be a non-zero amount from -{GiftCards.MaxAmount} to {GiftCards.MaxAmount} (negative to spend, positive to load) with at most 4 decimals.");
        }
        if (input.Reference is { } r && (r.Length is 0 or > 200))
        {
            throw ApiException.Invalid("reference", "'reference' must be 1 to 200 characters.");
        }
        if (input.Description is { Length: > 500 })
        {
            throw ApiException.Invalid("description", "'description' is limited to 500 characters.");
        }
        return await writes.RunAsync(http, caller, async context =>
        {
            var result = await GiftCards.TransactAsync(context, caller.ProgramId, code, Money.ToE4(amount), input.Reference,
                input.Description, caller.KeyId);
            if (result.Created)
            {
                var t = result.Transaction;
                await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.GiftCardTransaction, t.GiftCardId,
                    new { balance = t.BalanceAfter - t.Amount },
                    new { balance = t.BalanceAfter, amount = t.Amount, t.Type, t.Reference, t.Description, transaction_id = t.Id });
            }
            return result.Created ? Reply.Created(result.Transaction) : Reply.Ok(result.Transaction);
        });
    }

    private static async Task<IResult> ListTransactions(string code, HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request);
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var card = await GiftCards.GetAsync(sql, caller.ProgramId, code);
            return await GiftCards.ListTransactionsAsync(sql, paging, card.Id);
        }));
    }
}
