using Patron.Domain;
using Patron.Storage;
using Store = Patron.Storage.GiftCards;

namespace Patron.Operations.GiftCardAccounts;

/// <summary>A gift card to issue: its balance, currency (the program's by default), owner (any customer reference) and expiry.</summary>
public sealed record GiftCardIssue(decimal? InitialBalance, string? Currency = null, string? CustomerId = null, DateTimeOffset? ExpiresAt = null);

/// <summary>A movement on a gift card: a negative amount spends, a positive one loads; a reference makes it safe to send again.</summary>
public sealed record GiftCardMovement(decimal? Amount, string? Reference = null, string? Description = null);

/// <summary>
/// Gift cards (docs/API.md, Gift cards): issue, look up by code, load and spend, list movements. The
/// code is a bearer secret, stored only as a hash. Issues and movements are audited here with the
/// front door's actor (docs/AUDIT.md); the audit snapshot never holds the code.
/// </summary>
public static class GiftCardOperations
{
    /// <summary>What an issue is refused for before the write (the expiry is checked in the write, against its clock).</summary>
    public static void Validate(GiftCardIssue input)
    {
        var initial = input.InitialBalance ?? throw OperationException.Missing("initial_balance");
        if (initial is < 0 or > Store.MaxAmount || !Money.IsExactE4(initial))
        {
            throw OperationException.Invalid("initial_balance", $"'initial_balance' must be an amount from 0 to {Store.MaxAmount}, with at most 4 decimals.");
        }
        if (input.Currency is { } c && (c.Length != 3 || !c.All(char.IsAsciiLetter)))
        {
            throw OperationException.Invalid("currency", "'currency' must be a three-letter ISO 4217 code.");
        }
        if (input.CustomerId is { } cid && string.IsNullOrWhiteSpace(cid))
        {
            throw OperationException.Invalid("customer_id", "'customer_id' cannot be empty.");
        }
    }

    /// <summary>Issues a card in the program's currency; the answer holds the code, shown this once.</summary>
    public static async Task<GiftCardDto> IssueAsync(WriteContext context, Actor actor, string programId, GiftCardIssue input)
    {
        Validate(input);
        var sql = context.Sql;
        if (input.ExpiresAt is { } exp && exp <= context.Now)
        {
            throw OperationException.Invalid("expires_at", "'expires_at' must be in the future.");
        }
        var programCurrency = (string)(await sql.ScalarAsync("SELECT currency FROM programs WHERE id = @p", ("p", programId)))!;
        var currency = input.Currency?.ToUpperInvariant() ?? programCurrency;
        if (currency != programCurrency)
        {
            throw OperationException.Unprocessable("currency_mismatch", $"This program counts in {programCurrency}, not {currency}.", "currency");
        }
        string? customerId = null;
        if (input.CustomerId is { } reference)
        {
            customerId = (await Customers.GetTargetAsync(sql, programId, reference.Trim())).Id;
        }
        var card = await Store.IssueAsync(context, programId, Money.ToE4(input.InitialBalance!.Value), currency, customerId,
            input.ExpiresAt?.ToUnixTimeMilliseconds(), actor.Id);
        // The snapshot never holds the code: AuditTrail drops it.
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.GiftCardIssued, card.Id, null, card, customerId);
        return card;
    }

    /// <summary>What a movement is refused for before the write.</summary>
    public static void Validate(GiftCardMovement input)
    {
        var amount = input.Amount ?? throw OperationException.Missing("amount");
        if (amount == 0 || amount is > Store.MaxAmount or < -Store.MaxAmount || !Money.IsExactE4(amount))
        {
            throw OperationException.Invalid("amount", $"'amount' must be a non-zero amount from -{Store.MaxAmount} to {Store.MaxAmount} (negative to spend, positive to load) with at most 4 decimals.");
        }
        if (input.Reference is { } r && (r.Length is 0 or > Limits.ReferenceLength))
        {
            throw OperationException.Invalid("reference", $"'reference' must be 1 to {Limits.ReferenceLength} characters.");
        }
        if (input.Description is { Length: > Limits.DescriptionLength })
        {
            throw OperationException.Invalid("description", $"'description' is limited to {Limits.DescriptionLength} characters.");
        }
    }

    /// <summary>
    /// Loads or spends on the card with this code; a repeated reference answers the first movement and
    /// moves nothing (<c>Created</c> false). A spend beyond the balance is refused (insufficient_funds).
    /// </summary>
    public static async Task<Store.Transacted> TransactAsync(WriteContext context, Actor actor, string programId, string code, GiftCardMovement input)
    {
        Validate(input);
        var result = await Store.TransactAsync(context, programId, code, Money.ToE4(input.Amount!.Value), input.Reference,
            input.Description, actor.Id);
        if (result.Created)
        {
            var t = result.Transaction;
            await AuditTrail.RecordAsync(context, actor, programId, AuditActions.GiftCardTransaction, t.GiftCardId,
                new { balance = t.BalanceAfter - t.Amount },
                new { balance = t.BalanceAfter, amount = t.Amount, t.Type, t.Reference, t.Description, transaction_id = t.Id });
        }
        return result;
    }

    /// <summary>The card with this code, its balance and status as of <paramref name="nowMs"/>; the code is shown as given.</summary>
    public static async Task<GiftCardDto> GetAsync(Database db, string programId, string code, long nowMs)
    {
        var card = await db.ReadAsync(sql => Store.GetAsync(sql, programId, code));
        return card.ToDto(Store.Format(Store.Normalize(code)), nowMs);
    }

    /// <summary>The card's movements, newest first.</summary>
    public static Task<ListEnvelope<GiftCardTransactionDto>> ListTransactionsAsync(Database db, string programId, string code, Paging paging) =>
        db.ReadAsync(async sql =>
        {
            var card = await Store.GetAsync(sql, programId, code);
            return await Store.ListTransactionsAsync(sql, programId, paging, card.Id);
        });
}
