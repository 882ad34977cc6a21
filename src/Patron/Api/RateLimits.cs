using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// A fixed one-minute window per API key (docs/API.md), opened by the key's first request after the
/// last window ended. On SQLite (one server per database, <see cref="ServeLock"/>) the count is kept
/// in memory. On PostgreSQL it is shared by every instance of the database (docs/SCALING.md): an
/// instance leases blocks of <see cref="BlockFor"/> requests from the key's row in
/// <c>rate_limit_windows</c> and counts within a block in memory, so the instances together admit at
/// most the limit in a window, and a block costs one round trip. If the shared count cannot be reached,
/// the instance falls back to counting alone for a few seconds (it fails open to the per-process limit).
/// </summary>
public sealed class RateLimits(TimeProvider clock, Database db, ILogger<RateLimits> logger)
{
    private const long WindowMs = 60_000;

    /// <summary>The largest block an instance leases at once.</summary>
    public const int MaxBlock = 100;

    /// <summary>How long an instance counts alone after the shared count failed, before it tries again.</summary>
    private const long FallbackMs = 5_000;

    private readonly ConcurrentDictionary<string, Window> _windows = new();
    private readonly ConcurrentDictionary<string, Leased> _leases = new();
    private long _sharedDownUntil = long.MinValue;
    private long _lastWarning = long.MinValue;

    /// <summary>
    /// Requests one lease takes from a shared window: a fiftieth of the limit, at least 1 and at most
    /// <see cref="MaxBlock"/>. Limits below 100 lease one request at a time, so they are exact.
    /// </summary>
    public static int BlockFor(int limit) => Math.Clamp(limit / 50, 1, MaxBlock);

    /// <summary>Counts one request and sets the RateLimit headers; throws 429 past the limit.</summary>
    public async ValueTask HitAsync(HttpContext http, string keyId, int limit)
    {
        if (limit <= 0)
        {
            return;
        }
        var (count, reset) = !db.IsSqlite && Environment.TickCount64 >= Interlocked.Read(ref _sharedDownUntil)
            ? await SharedAsync(keyId, limit)
            : Local(keyId);

        var headers = http.Response.Headers;
        headers["RateLimit-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Remaining"] = Math.Max(0, limit - count).ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Reset"] = reset.ToString(CultureInfo.InvariantCulture);
        if (count > limit)
        {
            throw new ApiException(429, "rate_limit_error", "rate_limited",
                $"Too many requests: this key may make {limit} requests a minute.")
            { RetryAfter = (int)reset };
        }
    }

    /// <summary>This process's own count: the request's number in the window, and seconds until it ends.</summary>
    private (long Count, long Reset) Local(string keyId)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var window = _windows.GetOrAdd(keyId, _ => new Window());
        lock (window)
        {
            if (now - window.StartMs >= WindowMs)
            {
                window.StartMs = now;
                window.Count = 0;
            }
            return (++window.Count, SecondsLeft(window.StartMs, now));
        }
    }

    /// <summary>
    /// The count shared through the database: the request's number as far as this instance can tell
    /// (the window's leased count less what this instance still holds), above the limit when refused.
    /// </summary>
    private async ValueTask<(long Count, long Reset)> SharedAsync(string keyId, int limit)
    {
        var lease = _leases.GetOrAdd(keyId, _ => new Leased());
        while (true)
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (lease.TryTake(now, limit) is { } taken)
            {
                return taken;
            }
            await lease.Gate.WaitAsync();
            try
            {
                // Another request of this key may have leased while this one waited.
                if (lease.IsCurrent(now, limit))
                {
                    continue;
                }
                var block = BlockFor(limit);
                RateLimitWindows.Lease got;
                try
                {
                    got = await RateLimitWindows.TakeAsync(db, keyId, now, WindowMs, block, limit);
                }
                catch (Exception e) when (Database.IsUnavailable(e) || e is DbException or TimeoutException)
                {
                    SharedCountFailed(e);
                    return Local(keyId);
                }
                lease.Renew(got, limit);
            }
            finally
            {
                lease.Gate.Release();
            }
        }
    }

    private void SharedCountFailed(Exception e)
    {
        var ticks = Environment.TickCount64;
        Interlocked.Exchange(ref _sharedDownUntil, ticks + FallbackMs);
        if (ticks - Interlocked.Read(ref _lastWarning) >= 60_000)
        {
            Interlocked.Exchange(ref _lastWarning, ticks);
            logger.LogWarning(e, "The shared rate limit count in the database failed: this instance counts alone until it can reach it again");
        }
    }

    private static long SecondsLeft(long startMs, long now) => RateLimitWindows.SecondsLeft(startMs, WindowMs, now);

    private sealed class Window
    {
        public long StartMs;
        public int Count;
    }

    /// <summary>What this instance holds of a key's shared window.</summary>
    private sealed class Leased
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        private readonly Lock _sync = new();
        private long _startMs = long.MinValue / 2;
        private long _used;
        private int _left;
        private int _limit;

        /// <summary>Whether the lease still answers for this window and limit: permits left, or the window spent.</summary>
        public bool IsCurrent(long now, int limit)
        {
            lock (_sync)
            {
                return _limit == limit && now - _startMs < WindowMs && (_left > 0 || _used >= limit);
            }
        }

        /// <summary>Admits from the permits held, refuses when the window is spent, or null: lease again.</summary>
        public (long Count, long Reset)? TryTake(long now, int limit)
        {
            lock (_sync)
            {
                if (_limit != limit || now - _startMs >= WindowMs)
                {
                    return null;
                }
                if (_left > 0)
                {
                    _left--;
                    // Requests admitted or held by instances so far, less what this one still holds.
                    return (Math.Min(_used, limit) - _left, SecondsLeft(_startMs, now));
                }
                return _used >= limit ? (limit + 1L, SecondsLeft(_startMs, now)) : null;
            }
        }

        public void Renew(RateLimitWindows.Lease lease, int limit)
        {
            lock (_sync)
            {
                _startMs = lease.WindowStartMs;
                _used = lease.Used;
                _left = lease.Granted;
                _limit = limit;
            }
        }
    }
}
