using System.Collections.Concurrent;
using System.Globalization;

namespace Patron.Api;

/// <summary>
/// A fixed one-minute window per API key (docs/API.md). Counts are per process; with several
/// Patron processes on one PostgreSQL database each enforces the limit on its own share.
/// </summary>
public sealed class RateLimits(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new();

    /// <summary>Counts one request and sets the RateLimit headers; throws 429 past the limit.</summary>
    public void Hit(HttpContext http, string keyId, int limit)
    {
        if (limit <= 0)
        {
            return;
        }
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var window = _windows.GetOrAdd(keyId, _ => new Window());
        int count;
        long reset;
        lock (window)
        {
            if (now - window.StartMs >= 60_000)
            {
                window.StartMs = now;
                window.Count = 0;
            }
            count = ++window.Count;
            reset = Math.Max(1, (window.StartMs + 60_000 - now + 999) / 1000);
        }

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

    private sealed class Window
    {
        public long StartMs;
        public int Count;
    }
}
