using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Patron.Api;
using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Storage;

namespace Patron.Dialects.LoyaltyDog;

/// <summary>
/// LoyaltyDog speaks camelCase JSON; timestamps and everything else as the native API writes them. The answers'
/// records spell their camelCase names out, because the OpenAPI document is written with the native snake_case
/// policy and would otherwise show names that are never sent.
/// </summary>
public static class LoyaltyDogJson
{
    public static readonly JsonSerializerOptions Options = CamelCase();

    private static JsonSerializerOptions CamelCase()
    {
        var o = PatronJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        return o;
    }

    public static IResult Reply(int status, object body) => Results.Json(body, Options, statusCode: status);
}

/// <summary>The body of <c>POST /customers</c>. Property names are LoyaltyDog's (camelCase).</summary>
public sealed class LoyaltyDogCustomerInput
{
    [JsonPropertyName("programId")]
    public string? ProgramId { get; set; }

    [JsonPropertyName("email")]
    public string? Email { get; set; }

    [JsonPropertyName("phone")]
    public string? Phone { get; set; }

    /// <summary>The merchant's own identifier: Patron's <c>external_id</c>.</summary>
    [JsonPropertyName("customIdentifier")]
    public string? CustomIdentifier { get; set; }

    /// <summary>Same as <see cref="CustomIdentifier"/>; when both are sent they must agree.</summary>
    [JsonPropertyName("externalId")]
    public string? ExternalId { get; set; }

    [JsonPropertyName("firstName")]
    public string? FirstName { get; set; }

    [JsonPropertyName("lastName")]
    public string? LastName { get; set; }
}

/// <summary>The body of <c>POST /loyalty/programs/{programId}/transactions</c>.</summary>
public sealed class LoyaltyDogTransactionInput
{
    [JsonPropertyName("customerId")]
    public string? CustomerId { get; set; }

    [JsonPropertyName("type")]
    public string? Type { get; set; }

    /// <summary>earn: the sale's amount in minor units of <see cref="Currency"/>.</summary>
    [JsonPropertyName("amount")]
    public long? Amount { get; set; }

    [JsonPropertyName("currency")]
    public string? Currency { get; set; }

    /// <summary>redeem: points to spend (positive); adjust: points to add or, negative, remove.</summary>
    [JsonPropertyName("points")]
    public long? Points { get; set; }

    [JsonPropertyName("reference")]
    public string? Reference { get; set; }
}

/// <summary>A customer as LoyaltyDog answers it. <c>walletPassUrl</c> is the member's Apple Wallet pass link (docs/WALLET.md), null when passes are not configured.</summary>
public sealed record LoyaltyDogCustomer(
    string Id,
    [property: JsonPropertyName("programId")] string ProgramId,
    string? Email,
    string? Phone,
    [property: JsonPropertyName("externalId")] string? ExternalId,
    [property: JsonPropertyName("firstName")] string? FirstName,
    [property: JsonPropertyName("lastName")] string? LastName,
    string Status,
    [property: JsonPropertyName("pointsBalance")] long PointsBalance,
    [property: JsonPropertyName("pendingPoints")] long PendingPoints,
    [property: JsonPropertyName("lifetimePoints")] long LifetimePoints,
    [property: JsonPropertyName("walletPassUrl")] string? WalletPassUrl,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updatedAt")] DateTimeOffset UpdatedAt)
{
    public static LoyaltyDogCustomer From(string programId, CustomerDto c, string? walletPassUrl = null) => new(
        c.Id, programId, c.Email, c.Phone, c.ExternalId, c.FirstName, c.LastName, c.Status, c.PointsBalance,
        c.PendingPoints, c.LifetimePoints, WalletPassUrl: walletPassUrl, c.CreatedAt, c.UpdatedAt);
}

/// <summary>A customer's points as <c>GET .../balance</c> answers them.</summary>
public sealed record LoyaltyDogBalance(
    [property: JsonPropertyName("customerId")] string CustomerId,
    [property: JsonPropertyName("programId")] string ProgramId,
    long Points,
    [property: JsonPropertyName("pendingPoints")] long PendingPoints,
    [property: JsonPropertyName("lifetimePoints")] long LifetimePoints,
    [property: JsonPropertyName("pointsSpent")] long PointsSpent);

/// <summary>
/// One points transaction: a Patron ledger entry. <c>points</c> is signed as it moved the balance (a redeem is
/// negative); <c>balance</c> is the available balance right after it. <c>amount</c> and <c>currency</c> are the
/// sale an earn was for (null for other types).
/// </summary>
public sealed record LoyaltyDogTransaction(
    string Id,
    [property: JsonPropertyName("programId")] string ProgramId,
    [property: JsonPropertyName("customerId")] string CustomerId,
    string Type,
    long? Amount,
    string? Currency,
    long Points,
    long Balance,
    string Status,
    [property: JsonPropertyName("availableAt")] DateTimeOffset? AvailableAt,
    string? Reference,
    string? Description,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt)
{
    public const string Earn = "earn";
    public const string Redeem = "redeem";
    public const string Adjust = "adjust";

    /// <summary>The ledger's type as LoyaltyDog names it; the system's own types (expired, reversed, ...) keep their names.</summary>
    public static string TypeOf(string ledgerType) => ledgerType switch
    {
        PointsTypes.Earned => Earn,
        PointsTypes.Redeemed => Redeem,
        PointsTypes.Adjusted => Adjust,
        _ => ledgerType,
    };

    /// <summary>What an earn writes as the entry's description, so the sale can be shown again: <c>Sale: 50.00 USD</c>.</summary>
    public static string SaleDescription(long minorAmount, string currency)
    {
        var digits = Money.MinorUnitDigits(currency);
        var major = Money.FromMinor(minorAmount, currency).ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return $"Sale: {major} {currency}";
    }

    private static readonly Regex Sale = new(@"^Sale: (\d+(?:\.\d+)?) ([A-Z]{3})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public static LoyaltyDogTransaction From(string programId, PointsTransactionDto e)
    {
        long? amount = null;
        string? currency = null;
        if (e.Type == PointsTypes.Earned && e.Description is { } d && Sale.Match(d) is { Success: true } m)
        {
            currency = m.Groups[2].Value;
            amount = Money.ToMinor(decimal.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), currency);
        }
        return new LoyaltyDogTransaction(e.Id, programId, e.CustomerId, TypeOf(e.Type), amount, currency, e.Points, e.BalanceAfter,
            e.Status, e.AvailableAt, e.Reference, e.Description, e.CreatedAt);
    }
}

/// <summary>A gift card in minor units of its currency. <c>code</c> only when it was presented (it is stored as a hash).</summary>
public sealed record LoyaltyDogGiftCard(
    string Id,
    string? Code,
    [property: JsonPropertyName("codeLast4")] string CodeLast4,
    long Balance,
    [property: JsonPropertyName("initialBalance")] long InitialBalance,
    string Currency,
    string Status,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset? ExpiresAt,
    [property: JsonPropertyName("customerId")] string? CustomerId,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt)
{
    public static LoyaltyDogGiftCard From(GiftCardDto g) => new(
        g.Id, g.Code, g.CodeLast4, Money.ToMinor(g.Balance, g.Currency), Money.ToMinor(g.InitialBalance, g.Currency), g.Currency,
        g.Status, g.ExpiresAt, g.CustomerId, g.CreatedAt);
}

/// <summary>A list: LoyaltyDog-style <c>{"data": [...]}</c>.</summary>
public sealed record LoyaltyDogList<T>(IReadOnlyList<T> Data);

/// <summary>The error shape: <c>{"error": {"status", "code", "message", "param"?, "retryAfter"?}}</c>.</summary>
public sealed record LoyaltyDogError(LoyaltyDogErrorBody Error);

public sealed record LoyaltyDogErrorBody(
    int Status, string Code, string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Param,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RetryAfter);
