namespace Patron.Domain;

/// <summary>A customer as the API shows it (docs/API.md, Customers).</summary>
public sealed record CustomerDto(
    string Id,
    string? ExternalId,
    string? Email,
    string? Phone,
    string? FirstName,
    string? LastName,
    string? Birthday,
    string Status,
    long PointsBalance,
    long PendingPoints,
    long LifetimePoints,
    long PointsSpent,
    long PointsExpired,
    long CurrentStamps,
    string? VipTier,
    decimal TotalSpent,
    string ReferralCode,
    string QrCode,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Notes = null)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "customer";

    /// <summary>The member's Apple Wallet pass link (docs/WALLET.md): only on GET /customers/{ref}, and only while passes are configured.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? WalletPassUrl { get; init; }

    /// <summary>The member's "Save to Google Wallet" link (docs/WALLET.md): only on GET /customers/{ref}, and only while Google Wallet is configured.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? GoogleWalletUrl { get; init; }
}

/// <summary>
/// One immutable ledger entry (docs/API.md, The points ledger). <see cref="Type"/> is the entry's kind
/// (<see cref="PointsTypes"/>), which decides the counters; the API shows the caller's own
/// <see cref="Label"/> as <c>type</c> when it posted one, and the kind as <c>kind</c> always.
/// </summary>
public sealed record PointsTransactionDto(
    string Id,
    string CustomerId,
    long Points,
    [property: System.Text.Json.Serialization.JsonIgnore] string Type,
    string? Description,
    string? Reference,
    long BalanceAfter,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    string Status = "available",
    DateTimeOffset? AvailableAt = null,
    DateTimeOffset? ExpiresAt = null,
    string? OrderId = null,
    [property: System.Text.Json.Serialization.JsonIgnore] string? Label = null)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "points_transaction";

    /// <summary>What the API shows as <c>type</c>: the caller's label, else the kind.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("type")]
    public string ShownType => Label ?? Type;

    /// <summary>The ledger kind, which decides how the entry moves the customer's counters.</summary>
    public string Kind => Type;
}

/// <summary>Ledger entry types (docs/API.md). Clients may post the first three; the rest are the system's.</summary>
public static class PointsTypes
{
    public const string Earned = "earned";
    public const string Adjusted = "adjusted";
    public const string Redeemed = "redeemed";
    public const string Expired = "expired";
    public const string Reversed = "reversed";
    public const string Refunded = "refunded";

    public static bool PostableByClients(string type) => type is Earned or Adjusted or Redeemed;

    /// <summary>The kinds only Patron writes: no caller's label may take one of these names, in any case.</summary>
    public static bool IsSystemKind(string type) =>
        type.Equals(Expired, StringComparison.OrdinalIgnoreCase) || type.Equals(Reversed, StringComparison.OrdinalIgnoreCase)
        || type.Equals(Refunded, StringComparison.OrdinalIgnoreCase);

    /// <summary>The longest label a caller may give an entry as its <c>type</c>.</summary>
    public const int MaxLabelLength = 50;

    /// <summary>
    /// A caller's label: 1 to <see cref="MaxLabelLength"/> letters, digits, spaces, <c>_ - . :</c>, not
    /// beginning or ending with a space, and not one of the system kinds.
    /// </summary>
    public static bool IsValidLabel(string label) =>
        label.Length is > 0 and <= MaxLabelLength && label.Trim().Length == label.Length && !IsSystemKind(label)
        && label.All(c => char.IsLetterOrDigit(c) || c is ' ' or '_' or '-' or '.' or ':');
}

public static class CustomerStatus
{
    public const string Active = "active";
    public const string Blocked = "blocked";
    public const string Deleted = "deleted";

    /// <summary>Only an active customer earns: a blocked (or erased) one earns nothing from orders, rules or referrals.</summary>
    public static bool MayEarn(string status) => status == Active;

    /// <summary>
    /// A blocked customer earns, redeems and collects nothing by their own action (the merchant may still adjust);
    /// <paramref name="cannot"/> names what is refused, for the message.
    /// </summary>
    public static void EnsureNotBlocked(string status, string? cannot = null)
    {
        if (status == Blocked)
        {
            throw OperationException.Forbidden("customer_blocked", cannot is null ? "This customer is blocked." : $"This customer is blocked and cannot {cannot}.");
        }
    }
}

/// <summary>Money is exact: stored as integer ten-thousandths of the major unit.</summary>
public static class Money
{
    public const decimal Scale = 10_000m;
    public static decimal FromE4(long e4) => e4 / Scale;
    public static long ToE4(decimal amount) => (long)decimal.Round(amount * Scale, 0, MidpointRounding.ToEven);

    /// <summary>Whether <paramref name="value"/> has at most four decimals, so that <see cref="ToE4"/> keeps it exactly.</summary>
    public static bool IsExactE4(decimal value) => decimal.Round(value, Limits.AmountDecimals) == value;

    /// <summary><see cref="ToE4"/> of a value that must have at most four decimals; more is 422 naming <paramref name="param"/>.</summary>
    public static long ExactE4(decimal value, string param) =>
        IsExactE4(value) ? ToE4(value) : throw OperationException.Invalid(param, $"'{param}' has at most four decimal places.");

    /// <summary>
    /// The decimals of a currency's minor unit (ISO 4217): 2 unless listed, 0 for currencies such as JPY and KRW,
    /// 3 for BHD, JOD, KWD and the like, 4 for CLF and UYW. For APIs that count money in minor units.
    /// </summary>
    public static int MinorUnitDigits(string currency) => currency.ToUpperInvariant() switch
    {
        "BIF" or "CLP" or "DJF" or "GNF" or "ISK" or "JPY" or "KMF" or "KRW" or "PYG" or "RWF" or "UGX" or "UYI"
            or "VND" or "VUV" or "XAF" or "XOF" or "XPF" => 0,
        "BHD" or "IQD" or "JOD" or "KWD" or "LYD" or "OMR" or "TND" => 3,
        "CLF" or "UYW" => 4,
        _ => 2,
    };

    /// <summary>An amount in minor units as the major-unit amount Patron stores.</summary>
    public static decimal FromMinor(long minor, string currency) => minor / Pow10(MinorUnitDigits(currency));

    /// <summary>A major-unit amount in whole minor units, rounded down (a fraction of a cent is not shown as a cent).</summary>
    public static long ToMinor(decimal amount, string currency) => (long)decimal.Floor(amount * Pow10(MinorUnitDigits(currency)));

    private static decimal Pow10(int digits) => digits switch { 0 => 1m, 3 => 1_000m, 4 => 10_000m, _ => 100m };
}

/// <summary>An object about one customer (an order, say): events that carry it are redacted when the customer is erased.</summary>
public interface IAboutCustomer
{
    string CustomerId { get; }
}

/// <summary>The answer to a DELETE (docs/API.md): what was deleted.</summary>
public sealed record DeletedObject(string Id, string Object)
{
    public bool Deleted => true;
}
