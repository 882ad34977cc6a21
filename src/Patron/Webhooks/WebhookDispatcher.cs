using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Patron.Api;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Webhooks;

/// <summary>
/// Sends webhook deliveries (SPEC section 4). Deliveries are rows written beside their event; this
/// class claims the due ones, POSTs each signed event to its endpoint, and records the outcome.
/// <list type="bullet">
/// <item>Claiming is a lease: one conditional update moves <c>next_attempt_at</c> to the end of the
/// lease and stamps <c>leased_by</c> (PostgreSQL adds <c>FOR UPDATE SKIP LOCKED</c>, so several
/// processes never claim the same row). An outcome is written only while its lease still holds, and a
/// crashed process's claims simply become due again when their lease ends.</item>
/// <item>Concurrency is bounded per process and per endpoint, so a slow receiver holds at most its
/// own share of the slots and the other endpoints keep flowing.</item>
/// <item>Outcomes are written in batches on the one write path; a failure is retried after about
/// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (±20% jitter), then the delivery is failed; an
/// endpoint whose attempts have all failed for 5 days is disabled.</item>
/// </list>
/// Time comes from the injected clock, so tests drive retries with <see cref="RunOnceAsync"/> after
/// moving a manual clock.
/// </summary>
public sealed class WebhookDispatcher : IAsyncDisposable
{
    public static readonly IReadOnlyList<TimeSpan> RetryDelays =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>The first attempt and one per retry delay.</summary>
    public static int MaxAttempts => RetryDelays.Count + 1;

    public static readonly TimeSpan DisableAfter = TimeSpan.FromDays(5);
    public const double Jitter = 0.2;
    private const int FlushBatch = 256;
    private const int SuccessChunk = 64;

    /// <summary>Outcomes that succeeded, n at a time: <c>UPDATE ... FROM (VALUES ...)</c>, the same text on both databases.</summary>
    private static readonly string[] SucceededSql = [.. Enumerable.Range(0, SuccessChunk + 1).Select(SucceededUpdate)];
    private const int MaxErrorLength = 500;
    private const string UserAgent = "Patron-Webhooks/1";

    private readonly Database _database;
    private readonly IWritePath _writes;
    private readonly TimeProvider _clock;
    private readonly WebhookSecrets _secrets;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly WebhookOptions _options;
    private readonly WebhookSignal _signal;
    private readonly HttpClient _http;
    private readonly string _instance = $"{Environment.MachineName}/{Environment.ProcessId}/{Ids.Token(8)}";
    private readonly ConcurrentDictionary<string, int> _inFlightByEndpoint = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly ConcurrentDictionary<string, (string Stored, WebhookSignature.SigningKey Key)> _keys = new(StringComparer.Ordinal);
    private readonly Channel<Outcome> _outcomes = Channel.CreateUnbounded<Outcome>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abort = new();
    private readonly SemaphoreSlim _pumpGate = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Task _flusher;
    private int _signaled;
    private int _inFlight;
    private int _unwritten;
    private long _claims;
    private long _claimSeq;
    private long _attempts;
    private int _rotation;
    private (int Version, long LoadedAt, List<string> Ids)? _endpoints;

    public WebhookDispatcher(
        Database database, IWritePath writes, TimeProvider clock, WebhookSecrets secrets, IOptions<PatronOptions> options,
        ILogger<WebhookDispatcher> logger)
    {
        _database = database;
        _writes = writes;
        _clock = clock;
        _secrets = secrets;
        _logger = logger;
        _options = options.Value.Webhooks;
        if (_options.TimeoutSeconds < 1 || _options.LeaseSeconds <= _options.TimeoutSeconds
            || _options.MaxConcurrency < 1 || _options.MaxConcurrencyPerEndpoint < 1 || _options.PollIntervalMs < 10)
        {
            throw new InvalidOperationException(
                "Patron:Webhooks needs TimeoutSeconds >= 1, LeaseSeconds > TimeoutSeconds, MaxConcurrency and " +
                "MaxConcurrencyPerEndpoint >= 1 and PollIntervalMs >= 10.");
        }
        _http = new HttpClient(WebhookTargets.CreateHandler(_options.AllowPrivateTargets, Timeout), disposeHandler: true)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        _signal = WebhookSignal.For(database);
        _signal.Woken += Wake;
        _flusher = Task.Run(FlushLoopAsync);
    }

    public TimeSpan Timeout => TimeSpan.FromSeconds(_options.TimeoutSeconds);
    private long LeaseMs => _options.LeaseSeconds * 1000L;

    /// <summary>Identifies this process in <c>leased_by</c>.</summary>
    public string Instance => _instance;

    /// <summary>Attempts this process has made (sent, or refused before sending), for tests and metrics.</summary>
    public long AttemptsMade => Interlocked.Read(ref _attempts);

    /// <summary>Deliveries this process has claimed.</summary>
    public long Claimed => Interlocked.Read(ref _claims);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Delivers everything that is due now, waits for every attempt and for its outcome to be
    /// written, and returns how many attempts were made. Tests call it after moving their clock.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken ct = default)
    {
        var done = new List<Task<Outcome?>>();
        var pending = new HashSet<Task<Outcome?>>();
        while (true)
        {
            // Finished only when a pass that started with nothing of ours in flight finds nothing due.
            pending.RemoveWhere(t => t.IsCompleted);
            var busyBefore = pending.Count > 0;
            var started = await PumpAsync(eager: true, ct);
            done.AddRange(started);
            pending.UnionWith(started);
            if (!busyBefore && started.Count == 0)
            {
                break;
            }
            pending.RemoveWhere(t => t.IsCompleted);
            if (pending.Count > 0)
            {
                await Task.WhenAny(pending);
            }
        }
        var outcomes = await Task.WhenAll(done);
        foreach (var outcome in outcomes)
        {
            if (outcome is not null)
            {
                await outcome.Written.Task;
            }
        }
        return outcomes.Count(o => o is not null);
    }

    /// <summary>The background loop: pumps whenever woken (new deliveries, a free slot) or every poll interval.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromMilliseconds(_options.PollIntervalMs);
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                claimed = (await PumpAsync(eager: false, stoppingToken)).Count;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Webhook dispatcher pass failed; trying again in {Poll}", poll);
                try
                {
                    await Task.Delay(poll, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }
            if (claimed == 0)
            {
                try
                {
                    await _wake.WaitAsync(poll, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        // Let the attempts in flight finish (each within its timeout) so that their outcomes are written.
        await Task.WhenAll(_running.Keys.ToArray());
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _wake.Release();
        }
    }

    /// <param name="eager">Claim into every free slot (tests); otherwise claim in chunks, once half an endpoint's slots are free.</param>
    private async Task<List<Task<Outcome?>>> PumpAsync(bool eager, CancellationToken ct)
    {
        await _pumpGate.WaitAsync(ct);
        try
        {
            // Reset before looking, so that a wake arriving during this pass causes another pass.
            if (Interlocked.Exchange(ref _signaled, 0) == 1)
            {
                while (_wake.CurrentCount > 0 && _wake.Wait(0))
                {
                }
            }
            var started = new List<Task<Outcome?>>();
            var endpoints = await EndpointIdsAsync(forceReload: eager);
            if (endpoints.Count == 0)
            {
                return started;
            }
            var perEndpoint = _options.MaxConcurrencyPerEndpoint;
            var first = (int)((uint)Interlocked.Increment(ref _rotation) % (uint)endpoints.Count);
            for (var i = 0; i < endpoints.Count; i++)
            {
                var endpointId = endpoints[(first + i) % endpoints.Count];
                var busy = _inFlightByEndpoint.GetValueOrDefault(endpointId);
                // Outcomes not yet written count against the process's slots too, so that a write path
                // slower than the receivers cannot pile them up without bound.
                var free = Math.Min(perEndpoint - busy,
                    _options.MaxConcurrency - Volatile.Read(ref _inFlight) - (Volatile.Read(ref _unwritten) / 4));
                // Claim in chunks: wait until half an endpoint's slots are free before claiming again.
                if (free <= 0 || (!eager && busy > 0 && free < Math.Max(1, perEndpoint / 2)))
                {
                    continue;
                }
                var batch = await ClaimAsync(endpointId, free);
                if (batch is null)
                {
                    continue;
                }
                Interlocked.Add(ref _claims, batch.Items.Count);
                foreach (var item in batch.Items)
                {
                    _inFlightByEndpoint.AddOrUpdate(endpointId, 1, (_, n) => n + 1);
                    Interlocked.Increment(ref _inFlight);
                    var task = DeliverAsync(batch, item);
                    _running.TryAdd(task, 0);
                    _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    started.Add(task);
                }
            }
            return started;
        }
        finally
        {
            _pumpGate.Release();
        }
    }

    /// <summary>The enabled endpoints, re-read every poll interval or when this process changed one.</summary>
    private async Task<List<string>> EndpointIdsAsync(bool forceReload)
    {
        var version = _signal.EndpointsVersion;
        var now = Environment.TickCount64;
        if (!forceReload && _endpoints is { } cached && cached.Version == version && now - cached.LoadedAt < _options.PollIntervalMs)
        {
            return cached.Ids;
        }
        var ids = await _database.ReadAsync(sql => sql.ListAsync("SELECT id FROM webhook_endpoints WHERE enabled ORDER BY id", r => r.GetString(0)));
        _endpoints = (version, now, ids);
        return ids;
    }

    private sealed record Target(string EndpointId, string Url, string Secret);

    /// <summary>A claimed delivery with its event (null when the event no longer exists).</summary>
    private sealed record Claim(string DeliveryId, string EventId, int Attempts, EventRow? Event);

    private sealed record Batch(string Token, Target Target, List<Claim> Items);

    private sealed record EventRow(string Id, string Type, long CreatedAt, string Data);

    /// <summary>
    /// Claims up to <c>@n</c> due deliveries of one endpoint, if it is enabled: their lease is their
    /// <c>next_attempt_at</c>, and the event comes back with them. PostgreSQL skips rows that another
    /// process is claiming at this moment instead of waiting for them.
    /// </summary>
    private static string ClaimSql(string lockClause) =>
        $"""
        UPDATE webhook_deliveries SET next_attempt_at = @until, leased_by = @token
        WHERE id IN (
            SELECT id FROM webhook_deliveries
            WHERE endpoint_id = @e AND status = 'pending' AND next_attempt_at <= @now
            ORDER BY next_attempt_at LIMIT @n{lockClause})
          AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = @e AND w.enabled)
        RETURNING id, event_id, attempts, event_type,
            (SELECT e.created_at FROM events e WHERE e.id = webhook_deliveries.event_id),
            (SELECT e.data FROM events e WHERE e.id = webhook_deliveries.event_id)
        """;

    private static readonly string ClaimSqlite = ClaimSql("");
    private static readonly string ClaimPostgres = ClaimSql(" FOR UPDATE SKIP LOCKED");

    private Task<Batch?> ClaimAsync(string endpointId, int limit)
    {
        // Unique per claim, so that an outcome can only ever land on the lease it was attempted under.
        var token = $"{_instance}/{Interlocked.Increment(ref _claimSeq)}";
        return _writes.RunAsync(async context =>
        {
            var items = await context.Sql.ListAsync(
                _database.IsSqlite ? ClaimSqlite : ClaimPostgres,
                r => new Claim(r.GetString(0), r.GetString(1), (int)r.GetInt64(2),
                    r.IsDBNull(5) ? null : new EventRow(r.GetString(1), r.GetString(3), r.GetInt64(4), r.GetString(5))),
                ("until", context.NowMs + LeaseMs), ("token", token), ("e", endpointId), ("now", context.NowMs), ("n", limit));
            if (items.Count == 0)
            {
                return null;
            }
            var target = await context.Sql.SingleAsync(
                "SELECT id, url, secret FROM webhook_endpoints WHERE id = @e",
                r => new Target(r.GetString(0), r.GetString(1), r.GetString(2)), ("e", endpointId));
            return target is null ? null : new Batch(token, target, items);
        });
    }

    /// <summary>The body of a delivery (SPEC section 4): the event as <c>GET /events/{id}</c> shows it.</summary>
    public static byte[] Body(string id, string type, DateTimeOffset createdAt, string data)
    {
        var buffer = new ArrayBufferWriter<byte>(data.Length + 160);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = PatronJson.Options.Encoder }))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("object", "event");
            json.WriteString("type", type);
            json.WriteString("created_at", PatronJson.Timestamp(createdAt));
            json.WritePropertyName("data");
            json.WriteRawValue(data, skipInputValidation: true);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private async Task<Outcome?> DeliverAsync(Batch batch, Claim claim)
    {
        var evt = claim.Event;
        await Task.Yield();
        var target = batch.Target;
        var attemptedAt = _clock.GetUtcNow();
        var watch = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        var permanent = false;
        try
        {
            if (evt is null)
            {
                error = "The event no longer exists.";
                permanent = true;
            }
            else
            {
                var key = SigningKey(target);
                var body = Body(evt.Id, evt.Type, PatronJson.FromMs(evt.CreatedAt), evt.Data);
                using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
                foreach (var (name, value) in WebhookSignature.Headers(key, evt.Id, attemptedAt, body))
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
                timeout.CancelAfter(Timeout);
                Interlocked.Increment(ref _attempts);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                status = (int)response.StatusCode;
                error = status switch
                {
                    >= 200 and <= 299 => null,
                    >= 300 and <= 399 => $"HTTP {status}: redirects are not followed; register the final URL.",
                    _ => $"HTTP {status}",
                };
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Shutting down: the lease runs out and the delivery is attempted again later.
            Release(target.EndpointId);
            return null;
        }
        catch (OperationCanceledException)
        {
            error = $"No answer within {_options.TimeoutSeconds} s.";
        }
        catch (HttpRequestException e)
        {
            error = Describe(e);
        }
        catch (CryptographicException e)
        {
            error = "Cannot read the endpoint's secret: " + e.Message;
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Webhook delivery {Delivery} failed unexpectedly", claim.DeliveryId);
            error = "Patron could not send this delivery: " + e.GetType().Name;
        }

        var outcome = new Outcome(
            claim.DeliveryId, batch.Token, target.EndpointId, claim.Attempts, error is null, status,
            error is { Length: > MaxErrorLength } ? error[..MaxErrorLength] : error,
            (int)Math.Min(watch.ElapsedMilliseconds, int.MaxValue), attemptedAt.ToUnixTimeMilliseconds(),
            NextAttemptMs(attemptedAt, claim.Attempts + 1, permanent));
        Release(target.EndpointId);
        Interlocked.Increment(ref _unwritten);
        _outcomes.Writer.TryWrite(outcome);
        return outcome;
    }

    private void Release(string endpointId)
    {
        _inFlightByEndpoint.AddOrUpdate(endpointId, 0, (_, n) => Math.Max(0, n - 1));
        Interlocked.Decrement(ref _inFlight);
        Wake();
    }

    /// <summary>When a failed attempt is tried again, or null when the schedule has run out.</summary>
    public static long? NextAttemptMs(DateTimeOffset attemptedAt, int attemptsSoFar, bool permanent = false)
    {
        if (permanent || attemptsSoFar >= MaxAttempts)
        {
            return null;
        }
        var delay = RetryDelays[attemptsSoFar - 1];
        var factor = 1 + ((Random.Shared.NextDouble() * 2) - 1) * Jitter;
        return attemptedAt.ToUnixTimeMilliseconds() + (long)(delay.TotalMilliseconds * factor);
    }

    private WebhookSignature.SigningKey SigningKey(Target target)
    {
        if (_keys.TryGetValue(target.EndpointId, out var cached) && cached.Stored == target.Secret)
        {
            return cached.Key;
        }
        var key = new WebhookSignature.SigningKey(_secrets.Unprotect(target.EndpointId, target.Secret));
        _keys[target.EndpointId] = (target.Secret, key);
        return key;
    }

    private static string Describe(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is WebhookTargetRefusedException refused)
            {
                return "Refused: " + refused.Message;
            }
        }
        var root = e.GetBaseException();
        var reason = e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "The host name did not resolve",
            HttpRequestError.ConnectionError => "Could not connect",
            HttpRequestError.SecureConnectionError => "The TLS handshake failed",
            HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded => "The response was not valid HTTP",
            _ => "The request failed",
        };
        return root == e ? $"{reason}: {e.Message}" : $"{reason}: {root.Message}";
    }

    /// <summary>The outcome of one attempt, to be written while the lease holds.</summary>
    private sealed record Outcome(
        string DeliveryId, string Token, string EndpointId, int AttemptsBefore, bool Success, int? StatusCode, string? Error,
        int ResponseMs, long AttemptedAtMs, long? NextAttemptAtMs)
    {
        public TaskCompletionSource Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task FlushLoopAsync()
    {
        var reader = _outcomes.Reader;
        var batch = new List<Outcome>(FlushBatch);
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < FlushBatch && reader.TryRead(out var outcome))
            {
                batch.Add(outcome);
            }
            try
            {
                var disabled = await _writes.RunAsync(context => ApplyAsync(context, batch));
                foreach (var endpoint in disabled)
                {
                    _logger.LogWarning("Webhook endpoint {Endpoint} was disabled: its deliveries have failed for {Days} days", endpoint, DisableAfter.TotalDays);
                }
                foreach (var outcome in batch)
                {
                    outcome.Written.TrySetResult();
                }
                Interlocked.Add(ref _unwritten, -batch.Count);
                Wake();
            }
            catch (Exception e)
            {
                // The leases run out and these deliveries are attempted again: at least once, never lost.
                _logger.LogError(e, "Could not record {Count} webhook delivery outcomes", batch.Count);
                foreach (var outcome in batch)
                {
                    outcome.Written.TrySetException(e);
                    _ = outcome.Written.Task.Exception; // observed here; RunOnceAsync rethrows it to its caller
                }
                Interlocked.Add(ref _unwritten, -batch.Count);
                Wake();
            }
        }
    }

    /// <summary>Writes a batch of outcomes in order, then each endpoint's failure streak. Returns the endpoints disabled.</summary>
    private static async Task<List<string>> ApplyAsync(WriteContext context, List<Outcome> batch)
    {
        var sql = context.Sql;
        var applied = new HashSet<string>(StringComparer.Ordinal);
        // Successes, the common case, in one statement per chunk: the write path is SQLite's one writer.
        foreach (var chunk in batch.Where(o => o.Success).Chunk(SuccessChunk))
        {
            var args = new List<(string, object?)>(chunk.Length * 5);
            for (var i = 0; i < chunk.Length; i++)
            {
                args.Add(("i" + i, chunk[i].DeliveryId));
                args.Add(("k" + i, chunk[i].Token));
                args.Add(("a" + i, chunk[i].AttemptedAtMs));
                args.Add(("c" + i, (long)chunk[i].StatusCode!.Value));
                args.Add(("m" + i, (long)chunk[i].ResponseMs));
            }
            var ids = await sql.ListAsync(SucceededSql[chunk.Length], r => r.GetString(0), [.. args]);
            applied.UnionWith(ids);
        }
        foreach (var o in batch.Where(o => !o.Success))
        {
            var failed = o.NextAttemptAtMs is null;
            var written = await sql.ExecuteAsync(
                """
                UPDATE webhook_deliveries
                SET status = @status, attempts = attempts + 1, next_attempt_at = @next, leased_by = NULL,
                    last_attempt_at = @at, last_status_code = @code, last_error = @error, last_response_ms = @ms, completed_at = @done
                WHERE id = @id AND leased_by = @token
                """,
                ("status", failed ? WebhookDeliveryStatus.Failed : WebhookDeliveryStatus.Pending), ("next", o.NextAttemptAtMs),
                ("at", o.AttemptedAtMs), ("code", o.StatusCode), ("error", o.Error), ("ms", o.ResponseMs),
                ("done", failed ? o.AttemptedAtMs : null), ("id", o.DeliveryId), ("token", o.Token));
            if (written > 0)
            {
                applied.Add(o.DeliveryId);
            }
        }

        // Per endpoint, in the order the attempts ended: whether its latest recorded attempt
        // succeeded, and when its trailing run of failures began. An outcome whose lease had run
        // out (another attempt owns the row now) was not applied and does not count.
        var streaks = new Dictionary<string, (bool Reset, long? FailingSince, long LastAt)>(StringComparer.Ordinal);
        foreach (var o in batch.Where(o => applied.Contains(o.DeliveryId)))
        {
            var s = streaks.GetValueOrDefault(o.EndpointId);
            streaks[o.EndpointId] = o.Success
                ? (true, null, o.AttemptedAtMs)
                : (s.Reset, s.FailingSince ?? o.AttemptedAtMs, o.AttemptedAtMs);
        }

        var disabled = new List<string>();
        foreach (var (endpointId, (reset, failingSince, lastAt)) in streaks)
        {
            if (failingSince is null)
            {
                await sql.ExecuteAsync("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = @e AND failing_since IS NOT NULL", ("e", endpointId));
                continue;
            }
            await sql.ExecuteAsync(
                reset
                    ? "UPDATE webhook_endpoints SET failing_since = @since WHERE id = @e"
                    : "UPDATE webhook_endpoints SET failing_since = @since WHERE id = @e AND failing_since IS NULL",
                ("since", failingSince), ("e", endpointId));
            var off = await sql.ExecuteAsync(
                """
                UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = 'failing', updated_at = @now
                WHERE id = @e AND enabled AND failing_since <= @cutoff
                """,
                ("now", context.NowMs), ("e", endpointId), ("cutoff", lastAt - (long)DisableAfter.TotalMilliseconds));
            if (off > 0)
            {
                disabled.Add(endpointId);
            }
        }
        if (disabled.Count > 0)
        {
            context.AfterCommit.Add(WebhookSignal.For(context.Database).EndpointsChanged);
        }
        return disabled;
    }

    private static string SucceededUpdate(int rows) =>
        $"""
        UPDATE webhook_deliveries
        SET status = 'succeeded', attempts = attempts + 1, next_attempt_at = NULL, leased_by = NULL,
            last_attempt_at = v.at, last_status_code = v.code, last_error = NULL, last_response_ms = v.ms, completed_at = v.at
        FROM (SELECT column1 AS id, column2 AS token, column3 AS at, column4 AS code, column5 AS ms FROM (VALUES
            {string.Join(", ", Enumerable.Range(0, rows).Select(i => $"(@i{i}, @k{i}, @a{i}, @c{i}, @m{i})"))}) AS x) AS v
        WHERE webhook_deliveries.id = v.id AND webhook_deliveries.leased_by = v.token
        RETURNING webhook_deliveries.id
        """;

    public async ValueTask DisposeAsync()
    {
        _signal.Woken -= Wake;
        await _abort.CancelAsync();
        await Task.WhenAll(_running.Keys.ToArray());
        _outcomes.Writer.TryComplete();
        await _flusher;
        _http.Dispose();
        _abort.Dispose();
        _pumpGate.Dispose();
        _wake.Dispose();
    }
}

/// <summary>Runs <see cref="WebhookDispatcher.RunAsync"/> in the background unless <c>Patron:Webhooks:Dispatcher</c> is false.</summary>
public sealed class WebhookDispatcherService(WebhookDispatcher dispatcher, IOptions<PatronOptions> options) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.Webhooks.Dispatcher ? dispatcher.RunAsync(stoppingToken) : Task.CompletedTask;
}
