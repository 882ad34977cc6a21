using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Webhooks;

/// <summary>
/// The webhook delivery loop (docs/WEBHOOKS.md, "How delivery works inside"): claims due deliveries
/// through <see cref="WebhookDeliveryStore"/>, sends each with <see cref="WebhookSender"/>, and queues
/// its outcome, with the next attempt <see cref="WebhookDeliveryPolicy"/> decides, for the store to write.
/// <list type="bullet">
/// <item>Concurrency is bounded per process and per endpoint, so a slow receiver holds at most its
/// own share of the slots and the other endpoints keep flowing.</item>
/// <item>Outcomes wait in a bounded queue (<see cref="OutcomeQueueCapacity"/>) and are written in
/// batches on the one write path. When the queue is full, a finished attempt waits for room and keeps
/// its slot meanwhile, so a write path slower than the receivers slows claiming.</item>
/// </list>
/// It runs in the background unless <c>Patron:Webhooks:Dispatcher</c> is false. Time comes from the
/// injected clock, so tests drive retries with <see cref="RunOnceAsync"/> after moving a manual clock.
/// </summary>
public sealed class WebhookDispatcher : BackgroundService, IAsyncDisposable
{
    private const int FlushBatch = 256;

    private readonly WebhookOptions _options;
    private readonly WebhookDeliveryStore _store;
    private readonly WebhookSender _sender;
    private readonly BatchingQueue<WebhookOutcome> _outcomes;
    private readonly WebhookSignal _signal;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly string _instance = $"{Environment.MachineName}/{Environment.ProcessId}/{Ids.Token(8)}";
    private readonly ConcurrentDictionary<string, int> _inFlightByEndpoint = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly SemaphoreSlim _pumpGate = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0);
    private int _signaled;
    private int _inFlight;
    private long _claims;
    private long _claimSeq;
    private int _rotation;
    private int _disposed;
    private (int Version, long LoadedAt, List<string> Ids)? _endpoints;

    public WebhookDispatcher(
        Database database, IWritePath writes, TimeProvider clock, WebhookSecrets secrets, IOptions<PatronOptions> options,
        ILogger<WebhookDispatcher> logger)
    {
        _options = options.Value.Webhooks;
        if (_options.TimeoutSeconds < 1 || _options.LeaseSeconds <= _options.TimeoutSeconds
            || _options.MaxConcurrency < 1 || _options.MaxConcurrencyPerEndpoint < 1 || _options.PollIntervalMs < 10)
        {
            throw new InvalidOperationException(
                "Patron:Webhooks needs TimeoutSeconds >= 1, LeaseSeconds > TimeoutSeconds, MaxConcurrency and " +
                "MaxConcurrencyPerEndpoint >= 1 and PollIntervalMs >= 10.");
        }
        _logger = logger;
        _store = new WebhookDeliveryStore(database, writes, TimeSpan.FromSeconds(_options.LeaseSeconds));
        _sender = new WebhookSender(secrets, clock, _options.AllowPrivateTargets, TimeSpan.FromSeconds(_options.TimeoutSeconds), logger);
        _outcomes = new BatchingQueue<WebhookOutcome>(OutcomeQueueCapacity, FlushBatch, WriteOutcomesAsync, OutcomesWritten);
        _signal = WebhookSignal.For(database);
        _signal.Woken += Wake;
    }

    /// <summary>Outcomes waiting to be written before a finished attempt has to wait: four per concurrency slot.</summary>
    public int OutcomeQueueCapacity => 4 * _options.MaxConcurrency;

    public TimeSpan Timeout => _sender.Timeout;

    /// <summary>Identifies this process in <c>leased_by</c>.</summary>
    public string Instance => _instance;

    /// <summary>Attempts this process has made (sent, or refused before sending), for tests and metrics.</summary>
    public long AttemptsMade => _sender.AttemptsMade;

    /// <summary>Deliveries this process has claimed.</summary>
    public long Claimed => Interlocked.Read(ref _claims);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Delivers everything that is due now, waits for every attempt and for its outcome to be
    /// written, and returns how many attempts were made. Tests call it after moving their clock.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken ct = default)
    {
        var done = new List<Task<WebhookOutcome?>>();
        var pending = new HashSet<Task<WebhookOutcome?>>();
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
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Dispatcher)
        {
            return;
        }
        var poll = TimeSpan.FromMilliseconds(_options.PollIntervalMs);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if ((await PumpAsync(eager: false, stoppingToken)).Count == 0)
                {
                    await _wake.WaitAsync(poll, stoppingToken);
                }
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
    private async Task<List<Task<WebhookOutcome?>>> PumpAsync(bool eager, CancellationToken ct)
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
            var started = new List<Task<WebhookOutcome?>>();
            var endpoints = await EndpointIdsAsync(forceReload: eager);
            var first = endpoints.Count == 0 ? 0 : (int)((uint)Interlocked.Increment(ref _rotation) % (uint)endpoints.Count);
            for (var i = 0; i < endpoints.Count; i++)
            {
                var endpointId = endpoints[(first + i) % endpoints.Count];
                var slots = WebhookDeliveryPolicy.SlotsToClaim(
                    _options.MaxConcurrencyPerEndpoint, _inFlightByEndpoint.GetValueOrDefault(endpointId),
                    _options.MaxConcurrency, Volatile.Read(ref _inFlight), _outcomes.Unwritten, eager);
                if (slots > 0)
                {
                    await ClaimAndStartAsync(endpointId, slots, started);
                }
            }
            return started;
        }
        finally
        {
            _pumpGate.Release();
        }
    }

    private async Task ClaimAndStartAsync(string endpointId, int slots, List<Task<WebhookOutcome?>> started)
    {
        // Unique per claim, so that an outcome can only ever land on the lease it was attempted under.
        var token = $"{_instance}/{Interlocked.Increment(ref _claimSeq)}";
        if (await _store.ClaimAsync(endpointId, slots, token) is not { } batch)
        {
            return;
        }
        Interlocked.Add(ref _claims, batch.Items.Count);
        foreach (var claim in batch.Items)
        {
            _inFlightByEndpoint.AddOrUpdate(endpointId, 1, (_, n) => n + 1);
            Interlocked.Increment(ref _inFlight);
            var task = DeliverAsync(batch, claim);
            _running.TryAdd(task, 0);
            _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            started.Add(task);
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
        var ids = await _store.EnabledEndpointIdsAsync();
        _endpoints = (version, now, ids);
        return ids;
    }

    /// <summary>One attempt; its outcome is queued before its slot is given back. Null when shutting down stopped it.</summary>
    private async Task<WebhookOutcome?> DeliverAsync(WebhookClaimBatch batch, WebhookClaim claim)
    {
        await Task.Yield();
        var endpointId = batch.Target.EndpointId;
        try
        {
            if (await _sender.SendAsync(batch.Target, claim, _abort.Token) is not { } attempt)
            {
                return null;
            }
            var outcome = new WebhookOutcome(
                claim.DeliveryId, batch.Token, endpointId, claim.Attempts, attempt.Success, attempt.StatusCode, attempt.Error,
                attempt.ResponseMs, attempt.AttemptedAt.ToUnixTimeMilliseconds(),
                attempt.Success ? null : WebhookDeliveryPolicy.NextAttemptMs(attempt.AttemptedAt, claim.Attempts + 1, attempt.Permanent));
            await _outcomes.EnqueueAsync(outcome, _abort.Token);
            return outcome;
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            return null; // shutting down while the queue was full: the lease runs out and the delivery is attempted again
        }
        finally
        {
            Release(endpointId);
        }
    }

    private void Release(string endpointId)
    {
        if (_inFlightByEndpoint.AddOrUpdate(endpointId, 0, (_, n) => Math.Max(0, n - 1)) == 0)
        {
            _inFlightByEndpoint.TryRemove(KeyValuePair.Create(endpointId, 0));
        }
        Interlocked.Decrement(ref _inFlight);
        Wake();
    }

    private async Task WriteOutcomesAsync(IReadOnlyList<WebhookOutcome> batch)
    {
        foreach (var endpoint in await _store.RecordAsync(batch))
        {
            _logger.LogWarning("Webhook endpoint {Endpoint} was disabled: its deliveries have failed for {Days} days",
                endpoint, WebhookDeliveryPolicy.DisableAfter.TotalDays);
        }
    }

    private void OutcomesWritten(IReadOnlyList<WebhookOutcome> batch, Exception? error)
    {
        if (error is not null)
        {
            // The leases run out and these deliveries are attempted again: at least once, never lost.
            _logger.LogError(error, "Could not record {Count} webhook delivery outcomes", batch.Count);
        }
        foreach (var outcome in batch)
        {
            if (error is null)
            {
                outcome.Written.TrySetResult();
            }
            else
            {
                outcome.Written.TrySetException(error);
                _ = outcome.Written.Task.Exception; // observed here; RunOnceAsync rethrows it to its caller
            }
        }
        Wake();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _signal.Woken -= Wake;
        await _abort.CancelAsync();
        await Task.WhenAll(_running.Keys.ToArray());
        await _outcomes.CompleteAsync();
        base.Dispose();
        _sender.Dispose();
        _abort.Dispose();
        _pumpGate.Dispose();
        _wake.Dispose();
    }

    public override void Dispose()
    {
        base.Dispose();
        DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
