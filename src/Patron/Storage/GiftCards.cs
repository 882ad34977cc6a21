using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// A gift card as the API shows it (docs/API.md, Gift cards). <c>code</c> is the bearer secret: it is
/// shown at issue and echoed to whoever presents it, but never stored in clear, so it is null in events.
/// </summary>
public sealed record GiftCardDto(
    string Id, string? Code, string CodeLast4, decimal Balance, decimal InitialBalance, string Currency, string Status,
    DateTimeOffset? ExpiresAt, string? CustomerId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "gift_card";
}

/// <summary>One immutable movement of a gift card's balance.</summary>
public sealed record GiftCardTransactionDto(
    string Id, string GiftCardId, string Type, decimal Amount, decimal BalanceAfter, string? Reference, string? Description,
    string CreatedBy, DateTimeOffset CreatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "gift_card_transaction";
}

/// <summary>What <c>gift_card.updated</c> carries: the card (without its code) and the movement that changed it.</summary>
public sealed record GiftCardUpdated(GiftCardDto GiftCard, GiftCardTransactionDto Transaction)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "gift_card_update";
}

public static class GiftCardStatus
{
    public const string Active = "active";
    public const string Expired = "expired";
    public const string Disabled = "disabled";
}

public static class GiftCardTransactionTypes
{
    public const string Issued = "issued";
    public const string Load = "load";
    public const string Spend = "spend";
}

/// <summary>
/// Gift cards: issue, look up by code, and move the balance. A balance only moves through
/// <see cref="TransactAsync"/>: a conditional update that can never take it below zero, and an
/// immutable transaction row whose <c>reference</c> is unique per card.
/// </summary>
public static class GiftCards
{
    /// <summary>16 characters of a 31-letter alphabet without look-alikes: about 79 bits.</summary>
    public const int CodeLength = 16;

    /// <summary>Largest amount of one card or movement: a trillion in the major unit, as for orders.</summary>
    public const decimal MaxAmount = Limits.MaxAmount;

    private const string Columns =
        "id, code_last4, balance_e4, initial_balance_e4, currency, status, expires_at, customer_id, created_at, updated_at";

    private const string TransactionColumns =
        "id, gift_card_id, type, amount_e4, balance_after_e4, reference, description, created_by, created_at";

    public sealed record Row(
        string Id, string CodeLast4, long BalanceE4, long InitialBalanceE4, string Currency, string StoredStatus,
        long? ExpiresAt, string? CustomerId, long CreatedAt, long UpdatedAt)
    {
        /// <summary>Disabled wins; otherwise a card is expired from its <c>expires_at</c> on.</summary>
        public string StatusAt(long nowMs) =>
            StoredStatus == GiftCardStatus.Disabled ? GiftCardStatus.Disabled
            : ExpiresAt is { } at && at <= nowMs ? GiftCardStatus.Expired
            : GiftCardStatus.Active;

        public GiftCardDto ToDto(string? code, long nowMs) => new(
            Id, code, CodeLast4, Money.FromE4(BalanceE4), Money.FromE4(InitialBalanceE4), Currency, StatusAt(nowMs),
            ExpiresAt is { } e ? Time.FromMs(e) : null, CustomerId, Time.FromMs(CreatedAt), Time.FromMs(UpdatedAt));
    }

    private static Row Map(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetString(4), r.GetString(5), r.Int64OrNull(6),
        r.StringOrNull(7), r.GetInt64(8), r.GetInt64(9));

    public static GiftCardTransactionDto MapTransaction(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), Money.FromE4(r.GetInt64(3)), Money.FromE4(r.GetInt64(4)),
        r.StringOrNull(5), r.StringOrNull(6), r.GetString(7), Time.FromMs(r.GetInt64(8)));

    /// <summary>A new code, grouped by four for reading aloud and typing: <c>ABCD-EFGH-JKMN-PQRS</c>.</summary>
    public static string NewCode()
    {
        var raw = Ids.Token(CodeLength);
        return string.Join('-', Enumerable.Range(0, CodeLength / 4).Select(i => raw.Substring(i * 4, 4)));
    }

    /// <summary>The code as typed (any case, with or without dashes or spaces) in its one canonical form.</summary>
    public static string Normalize(string code)
    {
        var sb = new StringBuilder(code.Length);
        foreach (var c in code)
        {
            if (c is '-' or ' ')
            {
                continue;
            }
            sb.Append(char.ToUpperInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>Canonical code with dashes, as the API answers it.</summary>
    public static string Format(string normalized) =>
        normalized.Length == CodeLength
            ? string.Join('-', Enumerable.Range(0, CodeLength / 4).Select(i => normalized.Substring(i * 4, 4)))
            : normalized;

    public static string Hash(string code) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(code))));

    /// <summary>The card with this code in this program, or null: another program's card is as missing as none.</summary>
    public static Task<Row?> FindAsync(Sql sql, string programId, string code)
    {
        var normalized = Normalize(code);
        if (normalized.Length is 0 or > 64)
        {
            return Task.FromResult<Row?>(null);
        }
        return sql.SingleAsync($"SELECT {Columns} FROM gift_cards WHERE code_hash = @h AND program_id = @p",
            Map, ("h", Hash(normalized)), ("p", programId));
    }

    public static async Task<Row> GetAsync(Sql sql, string programId, string code) =>
        await FindAsync(sql, programId, code) ?? throw OperationException.NotFound("gift card", MaskedCode(code));

    /// <summary>Error messages name the card by its last four characters only.</summary>
    private static string MaskedCode(string code)
    {
        var n = Normalize(code);
        return n.Length <= 4 ? "…" : "…" + n[^4..];
    }

    /// <summary>The gift cards given to this customer, newest first, at most <paramref name="limit"/>; codes are not stored, so none is shown.</summary>
    public static async Task<IReadOnlyList<GiftCardDto>> ForCustomerAsync(Sql sql, string programId, string customerId, long nowMs, int limit)
    {
        var rows = await sql.ListAsync(
            $"SELECT {Columns} FROM gift_cards WHERE program_id = @p AND customer_id = @c ORDER BY id DESC LIMIT @n",
            Map, ("p", programId), ("c", customerId), ("n", limit));
        return [.. rows.Select(r => r.ToDto(null, nowMs))];
    }

    private static Task<Row?> ByIdAsync(Sql sql, string id) =>
        sql.SingleAsync($"SELECT {Columns} FROM gift_cards WHERE id = @id", Map, ("id", id));

    public static async Task<GiftCardDto> IssueAsync(
        WriteContext context, string programId, long initialE4, string currency, string? customerId, long? expiresAt, string actor)
    {
        var sql = context.Sql;
        var code = NewCode();
        var normalized = Normalize(code);
        var id = Ids.New("gc_");
        await sql.ExecuteAsync(
            """
            INSERT INTO gift_cards (id, program_id, code_hash, code_last4, customer_id, currency, initial_balance_e4, balance_e4,
                status, expires_at, created_by, created_at, updated_at)
            VALUES (@id, @p, @h, @l4, @c, @cur, @b, @b, @s, @exp, @by, @now, @now)
            """,
            ("id", id), ("p", programId), ("h", Hash(normalized)), ("l4", normalized[^4..]), ("c", Sql.Text(customerId)), ("cur", currency),
            ("b", initialE4), ("s", GiftCardStatus.Active), ("exp", Sql.Int64(expiresAt)), ("by", actor), ("now", context.NowMs));
        var transaction = await InsertTransactionAsync(context, programId, id, GiftCardTransactionTypes.Issued, initialE4, initialE4,
            null, "Issued", actor);
        var card = (await ByIdAsync(sql, id))!;
        await Events.AddAsync(context, programId, Events.GiftCardUpdated, new GiftCardUpdated(card.ToDto(null, context.NowMs), transaction));
        return card.ToDto(code, context.NowMs);
    }

    public sealed record Transacted(GiftCardTransactionDto Transaction, bool Created);

    /// <summary>
    /// Loads (positive) or spends (negative) in the caller's transaction. A repeated <c>reference</c>
    /// answers the original movement and moves nothing; a spend beyond the balance is 422
    /// <c>insufficient_funds</c>, decided by the conditional update itself so no interleaving overspends.
    /// </summary>
    public static async Task<Transacted> TransactAsync(
        WriteContext context, string programId, string code, long amountE4, string? reference, string? description, string actor)
    {
        var sql = context.Sql;
        var card = await GetAsync(sql, programId, code);
        if (reference is not null && await sql.SingleAsync(
                $"SELECT {TransactionColumns} FROM gift_card_transactions WHERE gift_card_id = @g AND reference = @r",
                MapTransaction, ("g", card.Id), ("r", reference)) is { } existing)
        {
            return new Transacted(existing, false);
        }

        switch (card.StatusAt(context.NowMs))
        {
            case GiftCardStatus.Disabled:
                throw OperationException.Unprocessable("gift_card_disabled", "This gift card is disabled.");
            case GiftCardStatus.Expired:
                // An expired card neither pays nor takes money that could never be spent.
                throw OperationException.Unprocessable("gift_card_expired", "This gift card has expired.");
        }

        var after = await sql.ScalarAsync(
            """
            UPDATE gift_cards SET balance_e4 = balance_e4 + @a, updated_at = @now
            WHERE id = @id AND balance_e4 + @a >= 0 AND balance_e4 + @a <= @max
            RETURNING balance_e4
            """,
            ("a", amountE4), ("now", context.NowMs), ("id", card.Id), ("max", Money.ToE4(MaxAmount)));
        if (after is null)
        {
            if (amountE4 > 0)
            {
                throw OperationException.Invalid("amount", $"A gift card's balance cannot exceed {MaxAmount}.");
            }
            throw OperationException.Unprocessable("insufficient_funds",
                $"The gift card does not have {Money.FromE4(-amountE4)} {card.Currency} to spend.", "amount");
        }

        var balance = Convert.ToInt64(after);
        var transaction = await InsertTransactionAsync(context, programId, card.Id,
            amountE4 > 0 ? GiftCardTransactionTypes.Load : GiftCardTransactionTypes.Spend, amountE4, balance, reference, description, actor);
        var updated = (await ByIdAsync(sql, card.Id))!;
        await Events.AddAsync(context, programId, Events.GiftCardUpdated, new GiftCardUpdated(updated.ToDto(null, context.NowMs), transaction));
        return new Transacted(transaction, true);
    }

    private static async Task<GiftCardTransactionDto> InsertTransactionAsync(
        WriteContext context, string programId, string cardId, string type, long amountE4, long balanceE4,
        string? reference, string? description, string actor)
    {
        var transaction = new GiftCardTransactionDto(Ids.New("gct_"), cardId, type, Money.FromE4(amountE4), Money.FromE4(balanceE4),
            reference, description, actor, context.Now);
        await context.Sql.ExecuteAsync(
            $"""
            INSERT INTO gift_card_transactions (program_id, {TransactionColumns})
            VALUES (@p, @id, @g, @t, @a, @ba, @r, @d, @by, @now)
            """,
            ("p", programId), ("id", transaction.Id), ("g", cardId), ("t", type), ("a", amountE4), ("ba", balanceE4),
            ("r", Sql.Text(reference)), ("d", Sql.Text(description)), ("by", actor), ("now", context.NowMs));
        return transaction;
    }

    public static Task<ListEnvelope<GiftCardTransactionDto>> ListTransactionsAsync(Sql sql, string programId, Paging paging, string cardId) =>
        new ListFilter(programId).Require("gift_card_id = @g", ("g", cardId))
            .PageAsync(sql, TransactionColumns, "gift_card_transactions", MapTransaction, paging);
}
