using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// Client addresses that keep failing authentication (docs/SECURITY.md): after
/// <see cref="AuthThrottleOptions.MaxFailures"/> 401s within a window that opens at the address's
/// first failure, every <c>/api/</c> request from the address gets 429 until the window ends, before
/// its key is looked at: a correct key too, so the throttle bounds key guessing and the database
/// lookups a flood of wrong keys causes, and a correct key in between does not reset the count.
/// IPv6 addresses count by their /64 (what one host is usually given). At most
/// <see cref="AuthThrottleOptions.MaxTrackedAddresses"/> addresses are tracked at once in memory.
/// On PostgreSQL, failures counted through <see cref="FailedAsync"/> are counted in the database for
/// every instance (<c>rate_limit_windows</c>, docs/SCALING.md): a failure past the limit is answered
/// 429 instead of 401 wherever it happens, and the instance that saw it blocks the address from then on.
/// </summary>
public sealed class AuthFailureThrottle
{
    private readonly TimeProvider _clock;
    private readonly ILogger? _logger;
    private readonly Database? _db;
    private long _sharedDownUntil = long.MinValue;
    private readonly int _maxFailures;
    private readonly long _windowMs;
    private readonly int _maxTracked;
    private readonly ConcurrentDictionary<AddressKey, Entry> _entries = new();
    private readonly Lock _sweepGate = new();
    private int _count;
    private long _lastSweepMs;
    private long _lastFullWarningMs = long.MinValue;

    public AuthFailureThrottle(TimeProvider clock, IOptions<PatronOptions> options, ILogger<AuthFailureThrottle> logger, Database db)
        : this(clock, options.Value.AuthThrottle, logger, db)
    {
    }

    internal AuthFailureThrottle(TimeProvider clock, AuthThrottleOptions options, ILogger? logger = null, Database? db = null)
    {
        if (options.MaxFailures < 0 || options.WindowSeconds <= 0 || options.MaxTrackedAddresses <= 0)
        {
            throw new InvalidOperationException(
                "Patron:AuthThrottle needs MaxFailures 0 (off) or more, WindowSeconds and MaxTrackedAddresses 1 or more.");
        }
        _clock = clock;
        _logger = logger;
        _maxFailures = options.MaxFailures;
        _windowMs = options.WindowSeconds * 1000L;
        _maxTracked = options.MaxTrackedAddresses;
        _db = db is { IsSqlite: false } ? db : null;
        _lastSweepMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>Addresses tracked now (blocked or counting).</summary>
    public int TrackedAddresses => Volatile.Read(ref _count);

    /// <summary>Throws 429 when <paramref name="address"/> has failed too often in its current window.</summary>
    public void ThrowIfThrottled(IPAddress? address)
    {
        if (_maxFailures == 0 || address is null || Volatile.Read(ref _count) == 0
            || !_entries.TryGetValue(KeyOf(address), out var entry))
        {
            return;
        }
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        long startMs;
        lock (entry)
        {
            startMs = entry.StartMs;
            if (startMs + _windowMs - now <= 0 || entry.Failures < _maxFailures)
            {
                return;
            }
        }
        throw Throttled(startMs, now);
    }

    private ApiException Throttled(long windowStartMs, long now)
    {
        var seconds = (int)RateLimitWindows.SecondsLeft(windowStartMs, _windowMs, now);
        return new ApiException(429, "rate_limit_error", "too_many_failed_authentications",
            $"Too many requests without a valid API key came from this address; try again in {seconds} seconds.")
        { RetryAfter = seconds };
    }

    /// <summary>
    /// Counts one failed authentication from <paramref name="address"/>, across every instance on
    /// PostgreSQL, and throws the throttle's 429 when this failure is past the limit: the caller
    /// answers its 401 only when this returns.
    /// </summary>
    public async ValueTask FailedAsync(IPAddress? address)
    {
        if (_maxFailures == 0 || address is null)
        {
            return;
        }
        if (_db is null || Environment.TickCount64 < Interlocked.Read(ref _sharedDownUntil))
        {
            Failed(address);
            ThrowIfOver(address);
            return;
        }
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var key = KeyOf(address);
        RateLimitWindows.Lease lease;
        try
        {
            lease = await RateLimitWindows.TakeAsync(_db, SharedKey(key), now, _windowMs, 1, _maxFailures);
        }
        catch (Exception e) when (Database.IsUnavailable(e) || e is DbException or TimeoutException)
        {
            Interlocked.Exchange(ref _sharedDownUntil, Environment.TickCount64 + 5_000);
            _logger?.LogWarning(e, "The shared count of failed authentications failed: this instance counts alone for a few seconds");
            Failed(address);
            ThrowIfOver(address);
            return;
        }
        // Remember the shared count, so that this instance blocks the address without asking again.
        if (_entries.TryGetValue(key, out var entry) || MakeRoom(now))
        {
            if (entry is null)
            {
                var fresh = new Entry();
                entry = _entries.GetOrAdd(key, fresh);
                if (ReferenceEquals(entry, fresh))
                {
                    Interlocked.Increment(ref _count);
                }
            }
            lock (entry)
            {
                entry.StartMs = lease.WindowStartMs;
                entry.Failures = (int)Math.Min(lease.Used, int.MaxValue);
            }
        }
        if (lease.Granted == 0)
        {
            throw Throttled(lease.WindowStartMs, now);
        }
    }

    /// <summary>A failure past the limit, counted in this process: 429 instead of its 401.</summary>
    private void ThrowIfOver(IPAddress address)
    {
        if (!_entries.TryGetValue(KeyOf(address), out var entry))
        {
            return;
        }
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        long startMs;
        lock (entry)
        {
            startMs = entry.StartMs;
            if (startMs + _windowMs - now <= 0 || entry.Failures <= _maxFailures)
            {
                return;
            }
        }
        throw Throttled(startMs, now);
    }

    /// <summary>The address's row in the shared table: a hash, so that the table holds no addresses.</summary>
    private static string SharedKey(AddressKey key)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, key.High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], key.Low);
        return "auth:" + Convert.ToHexStringLower(SHA256.HashData(bytes)[..16]);
    }

    /// <summary>Counts one failed authentication (a 401) from <paramref name="address"/>.</summary>
    public void Failed(IPAddress? address)
    {
        if (_maxFailures == 0 || address is null)
        {
            return;
        }
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var key = KeyOf(address);
        if (!_entries.TryGetValue(key, out var entry))
        {
            if (!MakeRoom(now))
            {
                return;
            }
            var fresh = new Entry { StartMs = now };
            entry = _entries.GetOrAdd(key, fresh);
            if (ReferenceEquals(entry, fresh))
            {
                Interlocked.Increment(ref _count);
            }
        }
        lock (entry)
        {
            if (now - entry.StartMs >= _windowMs)
            {
                entry.StartMs = now;
                entry.Failures = 0;
            }
            entry.Failures++;
        }
    }

    /// <summary>
    /// Drops expired entries once a window has passed since the last sweep, or (at most once a second)
    /// when the table is full. False when it is still full: the new address is not tracked, and the
    /// addresses already tracked (blocked ones among them) stay as they are.
    /// </summary>
    private bool MakeRoom(long now)
    {
        var full = Volatile.Read(ref _count) >= _maxTracked;
        var since = now - Interlocked.Read(ref _lastSweepMs);
        if (since >= _windowMs || (full && since >= 1000))
        {
            lock (_sweepGate)
            {
                if (now - _lastSweepMs >= 1000)
                {
                    _lastSweepMs = now;
                    foreach (var pair in _entries)
                    {
                        bool expired;
                        lock (pair.Value)
                        {
                            expired = now - pair.Value.StartMs >= _windowMs;
                        }
                        if (expired && _entries.TryRemove(pair))
                        {
                            Interlocked.Decrement(ref _count);
                        }
                    }
                }
            }
        }
        if (Volatile.Read(ref _count) < _maxTracked)
        {
            return true;
        }
        if (now - Interlocked.Read(ref _lastFullWarningMs) >= _windowMs)
        {
            Interlocked.Exchange(ref _lastFullWarningMs, now);
            _logger?.LogWarning(
                "Failed authentications come from {Count} addresses, the most Patron:AuthThrottle:MaxTrackedAddresses allows: " +
                "further addresses are not throttled until tracked ones expire", _maxTracked);
        }
        return false;
    }

    /// <summary>An IPv4 address (also when mapped into IPv6), or the /64 prefix of an IPv6 address.</summary>
    public static AddressKey KeyOf(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return address.AddressFamily == AddressFamily.InterNetwork
            ? new AddressKey(ulong.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(bytes[..written]))
            : new AddressKey(BinaryPrimitives.ReadUInt64BigEndian(bytes), 0);
    }

    /// <summary>Where failures are counted: IPv4 as <c>(all ones, address)</c>, IPv6 as <c>(its /64, 0)</c>.</summary>
    public readonly record struct AddressKey(ulong High, ulong Low);

    private sealed class Entry
    {
        public long StartMs;
        public int Failures;
    }
}
