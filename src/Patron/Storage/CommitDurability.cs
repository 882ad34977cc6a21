namespace Patron.Storage;

/// <summary>
/// Which commits are on disk. The SQLite writer commits a batch (making it visible to readers) and
/// then has its write-ahead log synced beside it while it runs the next batch
/// (<see cref="SqliteWritePath"/>); between the two, a reader can see a commit a crash of the machine
/// could still take back. Everything that leaves the process waits here first: the batch's own callers,
/// and every HTTP response (<see cref="WaitAsync"/> before its first byte), so that nothing anyone is
/// told can be undone by a crash (docs/RELIABILITY.md, guarantee 1; docs/ARCHITECTURE.md, "One write path").
/// </summary>
/// <remarks>
/// Commits are numbered in order. A commit's number is taken before it becomes visible, so a reader that
/// asks after reading waits for every commit it can have seen, and perhaps a few more.
/// </remarks>
public sealed class CommitDurability
{
    /// <summary>For write paths whose commits are durable before they are visible (PostgreSQL, a transaction per operation).</summary>
    public static readonly CommitDurability Immediate = new();

    private long _begun, _durable;
    private Exception? _failure;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The durability of a write path's commits: its own for the SQLite writer, <see cref="Immediate"/> for the others.</summary>
    public static CommitDurability Of(IWritePath writes) => (writes as SqliteWritePath)?.Durability ?? Immediate;

    /// <summary>Whether commits can be visible before they are durable; false for <see cref="Immediate"/>.</summary>
    public bool Deferred => !ReferenceEquals(this, Immediate);

    /// <summary>Numbers the next commit; called before it can become visible.</summary>
    internal long Begin() => Interlocked.Increment(ref _begun);

    /// <summary>Every commit up to <paramref name="commit"/> is on disk.</summary>
    internal void Reached(long commit)
    {
        Volatile.Write(ref _durable, commit);
        WakeWaiters();
    }

    /// <summary>The log could not be synced: what was committed since may not be on disk, and nobody may be told of it.</summary>
    internal void Fail(Exception failure)
    {
        Volatile.Write(ref _failure, failure);
        WakeWaiters();
    }

    /// <summary>Wakes everyone waiting, who then look again at the counter and the failure.</summary>
    private void WakeWaiters() =>
        Interlocked.Exchange(ref _advanced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>What a write or a response is told once the log could not be synced.</summary>
    internal const string SyncFailedMessage = "Patron could not sync the database's write-ahead log; restart it.";

    /// <summary>Completes once every commit begun before this call is on disk; throws if the log could not be synced.</summary>
    public Task WaitAsync()
    {
        if (!Deferred)
        {
            return Task.CompletedTask; // its commits are durable before anyone can read them
        }
        var target = Volatile.Read(ref _begun);
        return Volatile.Read(ref _durable) >= target ? Task.CompletedTask : WaitForAsync(target);
    }

    private async Task WaitForAsync(long target)
    {
        while (true)
        {
            // The signal is read before the counter: a commit that lands in between has already replaced it.
            var advanced = Volatile.Read(ref _advanced).Task;
            if (Volatile.Read(ref _durable) >= target)
            {
                return;
            }
            if (Volatile.Read(ref _failure) is { } failure)
            {
                throw new IOException(SyncFailedMessage, failure);
            }
            await advanced;
        }
    }
}
