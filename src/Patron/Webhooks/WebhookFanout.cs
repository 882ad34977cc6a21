using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Webhooks;

/// <summary>
/// Writes the deliveries of a new event: one <c>webhook_deliveries</c> row per enabled endpoint of
/// the program subscribed to its type, in the event's own transaction (the outbox), so that a crash
/// keeps the change, its event and its deliveries together or none of them. The dispatcher then
/// only claims due rows; it never scans <c>events</c>, whose id order is not commit order on PostgreSQL.
/// </summary>
/// <remarks>
/// This runs inside every write that emits an event, so it is kept to one multi-row INSERT. On
/// SQLite (one writer, in this process) the program's endpoints come from a cache that this
/// process's endpoint changes invalidate at commit, and that is re-read every 2 seconds for changes
/// made by another process (the CLI). On PostgreSQL, where several instances change endpoints,
/// they are read in the event's transaction every time, unless a statement of that transaction has
/// already found none enabled (<see cref="WriteContext.ProgramWithoutWebhookEndpoints"/>: the ledger's
/// balance update asks).
/// </remarks>
public static class WebhookFanout
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(2);
    private static readonly ConditionalWeakTable<Database, EndpointCache> Caches = new();
    private static readonly string[] InsertSql = [.. Enumerable.Range(0, WebhooksLimits.MaxEndpointsPerProgram + 1).Select(Insert)];

    private sealed record Subscriber(string Id, string Events);

    private sealed class EndpointCache
    {
        public readonly ConcurrentDictionary<string, (int Version, long LoadedAt, Subscriber[] Endpoints)> Programs = new(StringComparer.Ordinal);
    }

    public static async Task<int> AddDeliveriesAsync(WriteContext context, string programId, string eventId, string type)
    {
        var endpoints = await EndpointsAsync(context, programId);
        if (endpoints.Length == 0)
        {
            return 0;
        }
        var args = new List<(string, object?)>(3 + (2 * endpoints.Length))
        {
            ("p", programId), ("ev", eventId), ("t", type), ("now", context.NowMs),
        };
        var n = 0;
        foreach (var endpoint in endpoints)
        {
            if (WebhookEventTypes.Matches(endpoint.Events, type) && n < WebhooksLimits.MaxEndpointsPerProgram)
            {
                args.Add(("id" + n, Ids.New("whd_")));
                args.Add(("e" + n, endpoint.Id));
                n++;
            }
        }
        if (n == 0)
        {
            return 0;
        }
        await context.Sql.ExecuteAsync(InsertSql[n], [.. args]);
        context.AfterCommit.Add(WebhookSignal.For(context.Database).Wake);
        return n;
    }

    /// <summary>The program's enabled endpoints (id and subscribed types), for a bulk write that adds its deliveries itself.</summary>
    public static async Task<IReadOnlyList<(string Id, string Events)>> SubscribersAsync(WriteContext context, string programId) =>
        [.. (await EndpointsAsync(context, programId)).Select(e => (e.Id, e.Events))];

    /// <summary>The columns of <see cref="DeliveryRow"/>, for <see cref="BulkRows"/>.</summary>
    public static readonly string[] DeliveryColumns =
        ["id", "program_id", "endpoint_id", "event_id", "event_type", "status", "attempts", "next_attempt_at", "created_at"];

    /// <summary>The delivery row <see cref="AddDeliveriesAsync"/> writes for one endpoint subscribed to the event.</summary>
    public static object?[] DeliveryRow(WriteContext context, string programId, string endpointId, string eventId, string type) =>
        [Ids.New("whd_"), programId, endpointId, eventId, type, "pending", 0L, context.NowMs, context.NowMs];

    private static string Insert(int rows) =>
        "INSERT INTO webhook_deliveries (id, program_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at) VALUES "
        + string.Join(", ", Enumerable.Range(0, rows).Select(i => $"(@id{i}, @p, @e{i}, @ev, @t, 'pending', 0, @now, @now)"));

    private static async Task<Subscriber[]> EndpointsAsync(WriteContext context, string programId)
    {
        var database = context.Database;
        if (!database.IsSqlite)
        {
            if (context.ProgramWithoutWebhookEndpoints == programId)
            {
                return [];
            }
            return [.. await LoadAsync(context.Sql, programId)];
        }
        var cache = Caches.GetValue(database, _ => new EndpointCache());
        var version = WebhookSignal.For(database).EndpointsVersion;
        var now = Environment.TickCount64;
        if (cache.Programs.TryGetValue(programId, out var cached) && cached.Version == version && now - cached.LoadedAt < CacheLifetime.TotalMilliseconds)
        {
            return cached.Endpoints;
        }
        var loaded = (await LoadAsync(context.Sql, programId)).ToArray();
        cache.Programs[programId] = (version, now, loaded);
        return loaded;
    }

    private static Task<List<Subscriber>> LoadAsync(Sql sql, string programId) =>
        sql.ListAsync("SELECT id, events FROM webhook_endpoints WHERE program_id = @p AND enabled ORDER BY id",
            r => new Subscriber(r.GetString(0), r.GetString(1)), ("p", programId));
}

/// <summary>Limits shared by the API and the write path.</summary>
public static class WebhooksLimits
{
    /// <summary>Endpoints per program (TigerStyle: a limit on everything; every event fans out to each).</summary>
    public const int MaxEndpointsPerProgram = 16;
}

/// <summary>
/// Tells this process's dispatcher that deliveries became due (a committed event, a manual retry) or
/// that endpoints changed, so that it need not wait for its next poll. Other processes find the
/// work by polling.
/// </summary>
public sealed class WebhookSignal
{
    private static readonly ConditionalWeakTable<Database, WebhookSignal> Signals = new();
    private int _endpointsVersion;

    private WebhookSignal()
    {
        Wake = () => Woken?.Invoke();
        EndpointsChanged = () =>
        {
            Interlocked.Increment(ref _endpointsVersion);
            Woken?.Invoke();
        };
    }

    public static WebhookSignal For(Database database) => Signals.GetValue(database, _ => new WebhookSignal());

    /// <summary>Deliveries may be due now.</summary>
    public Action Wake { get; }

    /// <summary>An endpoint was created, changed or deleted in this process.</summary>
    public Action EndpointsChanged { get; }

    public int EndpointsVersion => Volatile.Read(ref _endpointsVersion);

    public event Action? Woken;
}
