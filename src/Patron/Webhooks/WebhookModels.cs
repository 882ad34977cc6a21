using System.Data.Common;
using System.Text.Json.Serialization;
using Patron.Storage;

namespace Patron.Webhooks;

/// <summary>A row of <c>webhook_endpoints</c> (EF Core, like the other configuration tables).</summary>
public sealed class WebhookEndpointRow
{
    public required string Id { get; set; }
    public required string ProgramId { get; set; }
    public required string Url { get; set; }
    public string? Description { get; set; }

    /// <summary>JSON array of event types, <c>["*"]</c> for all (<see cref="WebhookEventTypes"/>).</summary>
    public required string Events { get; set; }

    public bool Enabled { get; set; } = true;
    public string? DisabledReason { get; set; }

    /// <summary>The secret encrypted by <see cref="WebhookSecrets"/>.</summary>
    public required string Secret { get; set; }

    public long? FailingSince { get; set; }

    /// <summary><see cref="WebhookSignatureSchemes"/>: which signature headers deliveries carry.</summary>
    public string SignatureScheme { get; set; } = WebhookSignatureSchemes.Patron;

    /// <summary>The HTTP status of the latest attempt that got an answer, and when that attempt was made.</summary>
    public int? LastStatus { get; set; }
    public long? LastAttemptAt { get; set; }

    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>A webhook endpoint as the API shows it; <c>secret</c> only in the answer that created it.</summary>
public sealed record WebhookEndpointDto(
    string Id, string Url, string? Description, IReadOnlyList<string> Events, bool Enabled, string? DisabledReason,
    DateTimeOffset? FailingSince, int? LastStatus, string SignatureScheme, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret = null)
{
    [JsonPropertyOrder(-1)]
    public string Object => "webhook_endpoint";

    public static WebhookEndpointDto From(WebhookEndpointRow r, string? secret = null) => new(
        r.Id, r.Url, r.Description, WebhookEventTypes.Parse(r.Events), r.Enabled, r.DisabledReason,
        r.FailingSince is { } f ? Patron.Domain.Time.FromMs(f) : null, r.LastStatus, r.SignatureScheme, Patron.Domain.Time.FromMs(r.CreatedAt), Patron.Domain.Time.FromMs(r.UpdatedAt), secret);
}

/// <summary>One event's delivery to one endpoint, with the outcome of its latest attempt.</summary>
public sealed record WebhookDeliveryDto(
    string Id, string EndpointId, string EventId, string EventType, string Status, int Attempts,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? LastAttemptAt, int? LastStatusCode, string? LastError,
    int? LastResponseTimeMs, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt)
{
    [JsonPropertyOrder(-1)]
    public string Object => "webhook_delivery";

    public const string Columns =
        "id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, last_attempt_at, last_status_code, " +
        "last_error, last_response_ms, created_at, completed_at";

    public static WebhookDeliveryDto Map(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), (int)r.GetInt64(5),
        Time(r, 6), Time(r, 7), r.IsDBNull(8) ? null : (int)r.GetInt64(8), r.StringOrNull(9),
        r.IsDBNull(10) ? null : (int)r.GetInt64(10), Patron.Domain.Time.FromMs(r.GetInt64(11)), Time(r, 12));

    private static DateTimeOffset? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : Patron.Domain.Time.FromMs(r.GetInt64(i));
}

/// <summary>
/// Which signature headers an endpoint's deliveries carry (docs/WEBHOOKS.md, "Verifying signatures").
/// <c>patron</c>: Standard Webhooks and <c>Patron-Signature</c>; <c>loyalino</c>: those and
/// <c>Loyalino-Signature</c>, so that a receiver written for Loyalino verifies unchanged.
/// </summary>
public static class WebhookSignatureSchemes
{
    public const string Patron = "patron";
    public const string Loyalino = "loyalino";

    public static bool IsValid(string s) => s is Patron or Loyalino;
}

public static class WebhookDeliveryStatus
{
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    public static bool IsValid(string s) => s is Pending or Succeeded or Failed;
}
