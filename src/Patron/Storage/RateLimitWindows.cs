namespace Patron.Storage;

/// <summary>
/// The shared side of the rate limits on PostgreSQL (<c>rate_limit_windows</c>, docs/SCALING.md): each
/// lease adds a block to the key's count in its current window with one atomic upsert, so the blocks
/// of all instances are disjoint slices of one count and their grants never add up past the limit.
/// </summary>
public static class RateLimitWindows
{
    /// <summary>What one lease got: the window it counts in, and how many requests it may admit (0: the window is spent).</summary>
    public readonly record struct Lease(long WindowStartMs, long Used, int Granted);

    /// <summary>
    /// The Retry-After of a spent window that opened at <paramref name="windowStartMs"/>: the whole seconds
    /// until it ends, at least 1 and never more than the window (another instance may have opened a shared
    /// window a moment after this request read the clock). Every rate limit and throttle answers with this.
    /// </summary>
    public static long SecondsLeft(long windowStartMs, long windowMs, long now) =>
        Math.Clamp((windowStartMs + windowMs - now + 999) / 1000, 1, Math.Max(1, windowMs / 1000));

    private const string LeaseSql = """
        INSERT INTO rate_limit_windows (limiter_key, window_start, used) VALUES (@key, @now, @block)
        ON CONFLICT (limiter_key) DO UPDATE SET
            window_start = CASE WHEN rate_limit_windows.window_start <= @now - @window THEN @now ELSE rate_limit_windows.window_start END,
            used = CASE WHEN rate_limit_windows.window_start <= @now - @window THEN @block ELSE rate_limit_windows.used + @block END
        RETURNING window_start, used
        """;

    /// <summary>
    /// Takes up to <paramref name="block"/> requests of <paramref name="limit"/> from the key's window
    /// (a new window opens at <paramref name="nowMs"/> when the last one ended).
    /// </summary>
    public static async Task<Lease> TakeAsync(Database db, string key, long nowMs, long windowMs, int block, int limit, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await new Sql(connection).ListAsync(LeaseSql, r => (Start: r.GetInt64(0), Used: r.GetInt64(1)),
            ("key", key), ("now", nowMs), ("window", windowMs), ("block", (long)block));
        var row = rows[0];
        // This lease's slice of the window's count is [used - block, used): the part below the limit is ours.
        var granted = (int)Math.Clamp(limit - (row.Used - block), 0, block);
        return new Lease(row.Start, row.Used, granted);
    }

    /// <summary>Deletes up to <paramref name="max"/> rows whose window ended before <paramref name="beforeMs"/> began.</summary>
    public static async Task<int> DeleteEndedAsync(Database db, long beforeMs, int max, CancellationToken ct = default)
    {
        if (db.IsSqlite)
        {
            return 0;
        }
        await using var connection = await db.OpenAsync(ct);
        return await new Sql(connection).ExecuteAsync(
            "DELETE FROM rate_limit_windows WHERE limiter_key IN (SELECT limiter_key FROM rate_limit_windows WHERE window_start < @before LIMIT @max)",
            ("before", beforeMs), ("max", max));
    }
}
