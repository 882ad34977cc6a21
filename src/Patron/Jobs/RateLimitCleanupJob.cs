using Patron.Storage;

namespace Patron.Jobs;

/// <summary>
/// Deletes the shared rate limit rows (PostgreSQL, docs/SCALING.md) of windows that ended more than a
/// window ago: a key that comes back starts a new window with a new row. Nothing to do on SQLite.
/// </summary>
public sealed class RateLimitCleanupJob(Database db, TimeProvider clock) : IJob
{
    /// <summary>Rows are kept one window past their end, so that instances whose clocks differ a little agree on them.</summary>
    private const long KeepMs = 2 * 60_000;

    public string Name => "rate-limit-cleanup";

    public Task<int> RunOnceAsync(CancellationToken ct) =>
        RateLimitWindows.DeleteEndedAsync(db, clock.GetUtcNow().ToUnixTimeMilliseconds() - KeepMs, JobBatch.Size, ct);
}
