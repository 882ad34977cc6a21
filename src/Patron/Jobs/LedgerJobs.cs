using Patron.Storage;

namespace Patron.Jobs;

/// <summary>Pending points become available when due (docs/API.md, Orders: paid plus points_delay_days).</summary>
public sealed class PendingPointsJob(Database database, IWritePath writes, TimeProvider clock) : IJob
{
    public string Name => "pending-points";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var due = await database.ReadAsync(sql => sql.ListAsync(
            "SELECT id, customer_id FROM points_transactions WHERE status = 'pending' AND available_at <= @now ORDER BY available_at LIMIT @n",
            r => (Id: r.GetString(0), Customer: r.GetString(1)), ("now", now), ("n", JobBatch.Size)));
        foreach (var (id, customer) in due)
        {
            ct.ThrowIfCancellationRequested();
            await writes.RunAsync(context => Ledger.MatureAsync(context, id, customer));
        }
        return due.Count;
    }
}

/// <summary>What is left of each lot expires at its <c>expires_at</c>, oldest lots first (docs/API.md, Program).</summary>
public sealed class PointsExpiryJob(Database database, IWritePath writes, TimeProvider clock) : IJob
{
    public string Name => "points-expiry";

    /// <summary>The open lots whose expiry has passed, soonest first (by <c>ix_points_transactions_expiring</c>).</summary>
    internal const string DueLotsSql =
        "SELECT id, customer_id FROM points_transactions WHERE lot_open AND expires_at IS NOT NULL AND expires_at <= @now ORDER BY expires_at LIMIT @n";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var due = await database.ReadAsync(sql => sql.ListAsync(DueLotsSql,
            r => (Id: r.GetString(0), Customer: r.GetString(1)), ("now", now), ("n", JobBatch.Size)));
        foreach (var (id, customer) in due)
        {
            ct.ThrowIfCancellationRequested();
            await writes.RunAsync(context => Ledger.ExpireLotAsync(context, id, customer));
        }
        return due.Count;
    }
}

/// <summary>Idempotency records older than 24 hours are deleted (docs/API.md: keys live 24 h).</summary>
public sealed class IdempotencyCleanupJob(IWritePath writes) : IJob
{
    public string Name => "idempotency-cleanup";

    public Task<int> RunOnceAsync(CancellationToken ct) =>
        writes.RunAsync(context => IdempotencyRecords.DeleteExpiredAsync(context, JobBatch.Size));
}
