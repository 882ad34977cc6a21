using System.Text.Json.Serialization;
using Patron.Domain;

namespace Patron.Dialects.LoyaltyPlus;

// Loyalty+ spells its fields in camelCase; each is named explicitly, since Patron's own JSON is snake_case.

public sealed class CheckinRequest
{
    [JsonPropertyName("phone")] public string? Phone { get; set; }
    [JsonPropertyName("customerId")] public string? CustomerId { get; set; }
    [JsonPropertyName("storeId")] public string? StoreId { get; set; }
    [JsonPropertyName("amount")] public decimal? Amount { get; set; }
    [JsonPropertyName("units")] public long? Units { get; set; }
}

public sealed class RedeemRequest
{
    [JsonPropertyName("phone")] public string? Phone { get; set; }
    [JsonPropertyName("customerId")] public string? CustomerId { get; set; }
    [JsonPropertyName("points")] public long? Points { get; set; }
}

public sealed class CreateCustomerRequest
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("phone")] public string? Phone { get; set; }
    [JsonPropertyName("notes")] public string? Notes { get; set; }
    [JsonPropertyName("initialPoints")] public long? InitialPoints { get; set; }
}

public sealed class UpdateCustomerRequest
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("phone")] public string? Phone { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
}

public sealed class AdjustPointsRequest
{
    [JsonPropertyName("points")] public long? Points { get; set; }
    [JsonPropertyName("reason")] public string? Reason { get; set; }
}

public sealed record CheckinResponse(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("customerId")] string CustomerId,
    [property: JsonPropertyName("pointsAwarded")] long PointsAwarded,
    [property: JsonPropertyName("totalPoints")] long TotalPoints,
    [property: JsonPropertyName("rewardThreshold")] long? RewardThreshold,
    [property: JsonPropertyName("rewardAvailable")] bool RewardAvailable);

public sealed record PosCustomerResponse(
    [property: JsonPropertyName("customerId")] string CustomerId,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("phone")] string? Phone,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("totalPoints")] long TotalPoints,
    [property: JsonPropertyName("rewardAvailable")] bool RewardAvailable);

public sealed record BalanceResponse(
    [property: JsonPropertyName("customerId")] string CustomerId,
    [property: JsonPropertyName("totalPoints")] long TotalPoints);

public sealed record RedeemResponse(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("redemptionId")] string RedemptionId,
    [property: JsonPropertyName("pointsRedeemed")] long PointsRedeemed,
    [property: JsonPropertyName("rewardTitle")] string? RewardTitle,
    [property: JsonPropertyName("remainingPoints")] long RemainingPoints);

/// <summary>A customer as the owner routes show it.</summary>
public sealed record OwnerCustomer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("phone")] string? Phone,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("totalPoints")] long TotalPoints,
    [property: JsonPropertyName("notes")] string? Notes,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updatedAt")] DateTimeOffset UpdatedAt)
{
    public static OwnerCustomer From(CustomerDto c) => new(
        c.Id, LoyaltyPlusNames.Of(c), c.Phone, LoyaltyPlusNames.Status(c.Status), c.PointsBalance, c.Notes, c.CreatedAt, c.UpdatedAt);
}

public sealed record CustomerResult(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("customer")] OwnerCustomer Customer);

public sealed record CustomerPage(
    [property: JsonPropertyName("customers")] List<OwnerCustomer> Customers,
    [property: JsonPropertyName("pagination")] Pagination Pagination);

public sealed record Pagination(
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("limit")] int Limit,
    [property: JsonPropertyName("total")] long Total);

public sealed record HistoryEntry(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("delta")] long Delta,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("balanceAfter")] long BalanceAfter,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt);

public sealed record CustomerDetails(
    [property: JsonPropertyName("customer")] OwnerCustomer Customer,
    [property: JsonPropertyName("pointsHistory")] List<HistoryEntry> PointsHistory,
    [property: JsonPropertyName("totalPoints")] long TotalPoints);

public sealed record AdjustPointsResponse(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("newBalance")] long NewBalance,
    [property: JsonPropertyName("adjustment")] long Adjustment);

public sealed record DeleteResponse(
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("message")] string Message);

/// <summary>Loyalty+'s one <c>name</c> and upper-case status, over the core's first and last name and status.</summary>
public static class LoyaltyPlusNames
{
    public const int MaxNameLength = 200;

    /// <summary>The full name: first and last name joined by a space; null when the customer has neither.</summary>
    public static string? Of(CustomerDto c) =>
        string.Join(' ', new[] { c.FirstName, c.LastName }.Where(s => !string.IsNullOrEmpty(s))) is { Length: > 0 } n ? n : null;

    /// <summary>The first word is the first name, the rest (possibly empty) the last name.</summary>
    public static (string First, string Last) Split(string name)
    {
        var trimmed = name.Trim();
        var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (trimmed, "") : (trimmed[..space], trimmed[(space + 1)..].Trim());
    }

    public static string Status(string status) => status.ToUpperInvariant();

    /// <summary>Loyalty+'s <c>ACTIVE</c> / <c>BLOCKED</c> (any case) as the core's status; null when it is neither.</summary>
    public static string? CoreStatus(string status) => status.Trim().ToUpperInvariant() switch
    {
        "ACTIVE" => CustomerStatus.Active,
        "BLOCKED" => CustomerStatus.Blocked,
        _ => null,
    };
}
