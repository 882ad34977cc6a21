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
    public static Task<string> AddAsync<T>(WriteContext context, string programId, string type, T data) =>
        WriteAsync(context, null, [], programId, [type], data);

    /// <summary>
    /// Writes the change an event describes (one INSERT, UPDATE or DELETE without RETURNING, whose
    /// parameters do not start with <c>event_</c>) and the event. On PostgreSQL both go in one
    /// statement (a data-modifying <c>WITH</c>, run exactly once whether or not it is read), which
    /// saves a round trip to the database per write; SQLite runs them in turn.
    /// </summary>
    public static Task<string> AddAsync<T>(
        WriteContext context, string change, (string Name, object? Value)[] changeArgs, string programId, string type, T data) =>
        WriteAsync(context, change, changeArgs, programId, [type], data);

    /// <summary>
    /// Writes a change and several events of the same data (a points redemption's <c>redemption.created</c> and
    /// <c>reward.redeemed</c>): the data is serialised once and the events go in one multi-row INSERT, in the
    /// change's statement on PostgreSQL as in <see cref="AddAsync{T}(WriteContext, string, ValueTuple{string, object}[], string, string, T)"/>.
    /// The events' ids follow the order of <paramref name="types"/>, and so does their order in the feed.
    /// </summary>
    public static Task AddAsync<T>(
        WriteContext context, string change, (string Name, object? Value)[] changeArgs, string programId, string[] types, T data) =>
        WriteAsync(context, change, changeArgs, programId, types, data);

    /// <summary>The most events one write inserts.</summary>
    private const int MaxEventsPerInsert = 4;

    private static readonly string[] IdNames = [.. Enumerable.Range(0, MaxEventsPerInsert).Select(i => $"event_id{i}")];
    private static readonly string[] TypeNames = [.. Enumerable.Range(0, MaxEventsPerInsert).Select(i => $"event_type{i}")];

    /// <summary>The INSERT of n events (index n), their rows sharing the program, data, time and subject.</summary>
    private static readonly string[] InsertSql =
        [.. Enumerable.Range(0, MaxEventsPerInsert + 1).Select(n =>
            "INSERT INTO events (id, program_id, type, data, created_at, subject_id) VALUES "
            + string.Join(", ", Enumerable.Range(0, n).Select(i => $"(@{IdNames[i]}, @event_program, @{TypeNames[i]}, @event_data, @event_at, @event_subject)")))];

    // The change's SQL texts are constants at their call sites, so each combined text is built once.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Change, int Events), string> Combined = new();

    /// <summary>
    /// The change (if any), the events and their webhook deliveries (the outbox's other half, in the same transaction:
    /// docs/WEBHOOKS.md). Returns the first event's id.
    /// </summary>
    private static async Task<string> WriteAsync<T>(
        WriteContext context, string? change, (string Name, object? Value)[] changeArgs, string programId, string[] types, T data)
    {
        if (types.Length is < 1 or > MaxEventsPerInsert)
        {
            throw new ArgumentException($"From 1 to {MaxEventsPerInsert} events are written at once.", nameof(types));
        }
        var ids = new string[types.Length];
        var eventArgs = new (string, object?)[4 + (2 * types.Length)];
        eventArgs[0] = ("event_program", programId);
        eventArgs[1] = ("event_data", JsonSerializer.Serialize(data, JsonFormat.Options));
        eventArgs[2] = ("event_at", context.NowMs);
        eventArgs[3] = ("event_subject", Sql.Text(SubjectOf(data)));
        for (var i = 0; i < types.Length; i++)
        {
            if (!EventTypes.IsKnown(types[i]))
            {
                throw new ArgumentException($"'{types[i]}' is not one of the event types in EventTypes.All.", nameof(types));
            }
            ids[i] = Ids.New("evt_");
            eventArgs[4 + (2 * i)] = (IdNames[i], ids[i]);
            eventArgs[5 + (2 * i)] = (TypeNames[i], types[i]);
        }
        var insert = InsertSql[types.Length];
        if (change is null)
        {
            await context.Sql.ExecuteAsync(insert, eventArgs);
        }
        else if (context.Database.IsSqlite)
        {
            await context.Sql.ExecuteAsync(change, changeArgs);
            await context.Sql.ExecuteAsync(insert, eventArgs);
        }
        else
        {
            await context.Sql.ExecuteAsync(Combined.GetOrAdd((change, types.Length), c => $"WITH change AS ({c.Change}) {InsertSql[c.Events]}"),
                [.. changeArgs, .. eventArgs]);
        }
        for (var i = 0; i < types.Length; i++)
        {
            await Webhooks.WebhookFanout.AddDeliveriesAsync(context, programId, ids[i], types[i]);
        }
        return ids[0];
    }

    /// <summary>The columns of <see cref="Row"/>, for <see cref="BulkRows"/>.</summary>
    public static readonly string[] RowColumns = ["id", "program_id", "type", "data", "created_at", "subject_id"];

    /// <summary>
    /// The row an event write would insert, for a bulk write that inserts many at once (its webhook
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
        context.Sql.ExecuteAsync(RedactSql,
            ("data", JsonSerializer.Serialize(new { @object = "customer", id = customerId, erased = true })),
            ("p", programId), ("c", customerId));

    /// <summary>
    /// The types are written out, not bound: the index <c>ix_events_customer_data</c> (migration 0024)
    /// covers exactly these two types, and a planner uses a partial index only for a condition it can see
    /// implies the index's own.
    /// </summary>
    internal const string RedactSql =
        $"UPDATE events SET data = @data WHERE program_id = @p AND subject_id = @c AND type IN ('{CustomerCreated}', '{CustomerUpdated}')";
}
