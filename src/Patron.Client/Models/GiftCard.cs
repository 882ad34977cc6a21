namespace Patron.Client;

/// <summary>A gift card (docs/API.md, Gift cards). <see cref="Code"/> is a bearer secret, shown at issue.</summary>
public sealed class GiftCard : IHasId
{
    public string Object { get; set; } = "gift_card";
    public string Id { get; set; } = "";
    public string? Code { get; set; }
    public string CodeLast4 { get; set; } = "";
    public decimal Balance { get; set; }
    public decimal InitialBalance { get; set; }
    public string Currency { get; set; } = "";

    /// <summary><c>active</c>, <c>expired</c> or <c>disabled</c>.</summary>
    public string Status { get; set; } = "";

    public DateTimeOffset? ExpiresAt { get; set; }
    public string? CustomerId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One immutable movement of a gift card's balance.</summary>
public sealed class GiftCardTransaction : IHasId
{
    public string Object { get; set; } = "gift_card_transaction";
    public string Id { get; set; } = "";
    public string GiftCardId { get; set; } = "";

    /// <summary><c>issued</c>, <c>load</c> or <c>spend</c>.</summary>
    public string Type { get; set; } = "";

    public decimal Amount { get; set; }
    public decimal BalanceAfter { get; set; }
    public string? Reference { get; set; }
    public string? Description { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>The data of <c>gift_card.updated</c>: the card (without its code) and the movement.</summary>
public sealed class GiftCardUpdate
{
    public string Object { get; set; } = "gift_card_update";
    public GiftCard GiftCard { get; set; } = new();
    public GiftCardTransaction Transaction { get; set; } = new();
}

/// <summary><c>POST /gift_cards</c>.</summary>
public sealed class GiftCardCreateOptions
{
    public decimal? InitialBalance { get; set; }
    public string? Currency { get; set; }
    public string? CustomerId { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
}

/// <summary><c>POST /gift_cards/{code}/transactions</c>: a negative amount spends, a positive one loads.</summary>
public sealed class GiftCardTransactionCreateOptions
{
    public decimal Amount { get; set; }
    public string? Reference { get; set; }
    public string? Description { get; set; }
}
