using System.Collections.Concurrent;

namespace Patron.Dashboard;

/// <summary>
/// Sign-in throttling: after <see cref="MaxFailures"/> wrong passwords for one email, or from one address,
/// within <see cref="Window"/>, sign-in for that email or from that address is refused for
/// <see cref="Lockout"/>, even with the right password. Counted per process (docs/ADMIN.md).
/// </summary>
public sealed class LoginThrottle(TimeProvider clock)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan Lockout = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>When sign-in may be tried again, or null when it may be tried now.</summary>
    public DateTimeOffset? ThrottledUntil(string email, string address)
    {
        var now = clock.GetUtcNow();
        DateTimeOffset? until = null;
        foreach (var key in Keys(email, address))
        {
            if (_entries.TryGetValue(key, out var e) && e.LockedUntil is { } locked && locked > now && (until is null || locked > until))
            {
                until = locked;
            }
        }
        return until;
    }

    public void Failed(string email, string address)
    {
        var now = clock.GetUtcNow();
        foreach (var key in Keys(email, address))
        {
            _entries.AddOrUpdate(key, _ => new Entry(1, now, null), (_, e) =>
            {
                var fresh = now - e.FirstAt > Window ? new Entry(0, now, null) : e;
                var count = fresh.Count + 1;
                return fresh with { Count = count, LockedUntil = count >= MaxFailures ? now + Lockout : fresh.LockedUntil };
            });
        }
        if (_entries.Count > 100_000)
        {
            foreach (var (key, e) in _entries)
            {
                if (now - e.FirstAt > Window && (e.LockedUntil is null || e.LockedUntil < now))
                {
                    _entries.TryRemove(key, out _);
                }
            }
        }
    }

    public void Succeeded(string email) => _entries.TryRemove("email:" + email.Trim().ToLowerInvariant(), out _);

    private static string[] Keys(string email, string address) => ["email:" + email.Trim().ToLowerInvariant(), "ip:" + address];

    private sealed record Entry(int Count, DateTimeOffset FirstAt, DateTimeOffset? LockedUntil);
}
