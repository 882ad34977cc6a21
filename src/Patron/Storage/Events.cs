using System.Text.Json;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// The event outbox: every event is inserted in the same transaction as the change it describes
/// (docs/WEBHOOKS.md), so a crash can never keep the change and lose its event, or the reverse.
/// </summary>
public static class Events
{
    // The names are defined once, in Patron.Domain.EventTypes; these keep the emitters' call sites short.
    public const string CustomerCreated = EventTypes.CustomerCreated;
    public const string CustomerUpdated = EventTypes.CustomerUpdated;
    public const string CustomerDeleted = EventTypes.CustomerDeleted;
    public const string PointsCreated = EventTypes.PointsCreated;
    public const string PointsExpired = EventTypes.PointsExpired;
    public const string TierChanged = EventTypes.TierChanged;
    public const string OrderUpdated = EventTypes.OrderUpdated;
    public const string RedemptionCreated = EventTypes.RedemptionCreated;
    public const string RedemptionCancelled = EventTypes.RedemptionCancelled;
    public const string VoucherUsed = EventTypes.VoucherUsed;
    public const string StampAdded = EventTypes.StampAdded;
    public const string RewardEarned = EventTypes.RewardEarned;
    public const string RewardRedeemed = EventTypes.RewardRedeemed;
    public const string GiftCardUpdated = EventTypes.GiftCardUpdated;
    public const string ReferralCompleted = EventTypes.ReferralCompleted;

    /// <summary>Writes an event of one of the <see cref="EventTypes.All"/> types, with its webhook deliveries.</summary>
    public static async Task<string> AddAsync<T>(WriteContext context, string programId, string type, T data)
    {
        if (!EventTypes.IsKnown(type))
        {
            throw new ArgumentException($"'{type}' is not one of the event types in EventTypes.All.", nameof(type));
        }
        var id = Ids.New("evt_");
        await context.Sql.ExecuteAsync(
            "INSERT INTO events (id, program_id, type, data, created_at, subject_id) VALUES (@id, @program_id, @type, @data, @created_at, @subject)",
            ("id", id), ("program_id", programId), ("type", type),
            ("data", JsonSerializer.Serialize(data, JsonFormat.Options)), ("created_at", context.NowMs), ("subject", SubjectOf(data)));
        // The outbox's other half: this event's webhook deliveries, in the same transaction (docs/WEBHOOKS.md).
        await Webhooks.WebhookFanout.AddDeliveriesAsync(context, programId, id, type);
        return id;
    }

    /// <summary>The columns of <see cref="Row"/>, for <see cref="BulkRows"/>.</summary>
    public static readonly string[] RowColumns = ["id", "program_id", "type", "data", "created_at", "subject_id"];

    /// <summary>
    /// The row <see cref="AddAsync"/> would insert, for a bulk write that inserts many at once (its webhook
    /// deliveries are the caller's: <see cref="Webhooks.WebhookFanout.DeliveryRow"/>).
    /// </summary>
    public static object?[] Row<T>(WriteContext context, string programId, string id, string type, T data) =>
        EventTypes.IsKnown(type)
            ? [id, programId, type, JsonSerializer.Serialize(data, JsonFormat.Options), context.NowMs, SubjectOf(data)]
            : throw new ArgumentException($"'{type}' is not one of the event types in EventTypes.All.", nameof(type));

    /// <summary>The customer an event is about, recorded so that erasure can redact it.</summary>
    private static string? SubjectOf(object? data) => data switch
    {
        CustomerDto c => c.Id,
        PointsTransactionDto t => t.CustomerId,
        IAboutCustomer a => a.CustomerId,
        DeletedObject { Object: "customer" } d => d.Id,
        System.Text.Json.Nodes.JsonObject json when json["customer_id"] is System.Text.Json.Nodes.JsonValue v => v.GetValue<string>(),
        _ => null,
    };

    /// <summary>
    /// Erasure (docs/API.md): the customer's personal data leaves the events too. Events that
    /// carried the customer object keep only its id; other events about the customer hold no
    /// personal data of their own beyond what the merchant wrote in descriptions.
    /// </summary>
    public static Task RedactCustomerAsync(WriteContext context, string programId, string customerId) =>
        context.Sql.ExecuteAsync(
            "UPDATE events SET data = @data WHERE program_id = @p AND subject_id = @c AND type IN (@created, @updated)",
            ("data", JsonSerializer.Serialize(new { @object = "customer", id = customerId, erased = true })),
            ("p", programId), ("c", customerId), ("created", CustomerCreated), ("updated", CustomerUpdated));
}
