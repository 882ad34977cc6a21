using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Patron.Storage;

/// <summary>
/// Group commit on PostgreSQL: a writer gathers the operations waiting for it into one transaction,
/// runs each under a savepoint (so one failure does not fail its neighbours), commits once, and only
/// then answers each caller. One commit (one WAL flush, one round of transaction bookkeeping) then
/// serves many operations instead of one.
/// </summary>
/// <remarks>
/// <para>The concurrency guarantees are those of <see cref="TransactionPerOperationWritePath"/>: row
/// locks and unique indexes still arbitrate between writers (other instances, the command line). An
/// operation that loses a race (a conflict, a deadlock) is rolled back to its savepoint and, once the
/// batch is committed, runs again on its own through the transaction-per-operation path, which retries
/// it against the winner's committed state.</para>
/// <para>A batch waits at most <see cref="LockWait"/> for a row lock: it already holds the locks of the
/// operations before, so two batches (in two processes, or two writers of one) that wait on each other
/// would otherwise stand until PostgreSQL's deadlock detector broke the cycle, one victim a second,
/// while every request behind them queued. An operation that gives up waiting runs again alone, like
/// any other loser of a race.</para>
/// <para>Batches stay below 64 operations: PostgreSQL keeps at most 64 subtransaction ids per backend
/// in shared memory, and past that every other session's snapshot checks get slower.</para>
/// </remarks>
public sealed class PostgresWritePath : IWritePath, IAsyncDisposable
{
    public const int MaxBatch = 48;

    /// <summary>The longest an operation inside a batch waits for a row lock before it is run again alone.</summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromMilliseconds(100);

    private readonly Database _database;
    private readonly TimeProvider _clock;
    private readonly TransactionPerOperationWritePath _alone;
    private readonly Channel<Work> _queue = Channel.CreateBounded<Work>(
        new BoundedChannelOptions(16_384) { SingleReader = false, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task[] _loops;
    private long _batches, _operations;
    private readonly ILogger? _logger;

    public PostgresWritePath(Database database, TimeProvider clock, int writers = 8, ILogger? logger = null)
    {
        _database = database;
        _clock = clock;
        _logger = logger;
        _alone = new TransactionPerOperationWritePath(database, clock, logger);
        _loops = new Task[Math.Max(1, writers)];
        for (var i = 0; i < _loops.Length; i++)
        {
            _loops[i] = Task.Run(RunLoopAsync);
        }
    }

    public long Batches => Interlocked.Read(ref _batches);
    public long Operations => Interlocked.Read(ref _operations);

    /// <summary>Write operations waiting for a writer.</summary>
    public int QueueDepth => _queue.Reader.Count;

    public async Task<T> RunAsync<T>(Func<WriteContext, Task<T>> operation)
    {
        var work = new Work<T>(operation, _alone, WriteKey.Current);
        if (!_queue.Writer.TryWrite(work))
        {
            await _queue.Writer.WriteAsync(work);
        }
        return await work.Completion.Task;
    }

    private async Task RunLoopAsync()
    {
        var batch = new List<Work>(MaxBatch);
        var reader = _queue.Reader;
        DbConnection? connection = null;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (batch.Count < MaxBatch && reader.TryRead(out var work))
                {
                    batch.Add(work);
                }
                if (batch.Count == 0)
                {
                    continue;
                }
                try
                {
                    connection ??= await _database.OpenAsync();
                    // A writer keeps its connection only while work is waiting: an idle one goes back to the
                    // pool for reads. After a failed batch the connection may be broken: the next takes a fresh one.
                    if (!await RunBatchAsync(connection, batch) || reader.Count == 0)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }
                }
                catch (Exception e)
                {
                    foreach (var work in batch)
                    {
                        work.Fail(e);
                    }
                    Finish(batch);
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }
                }
                batch.Clear();
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>Runs and commits one batch, then answers its callers. False if the connection should be replaced.</summary>
    private async Task<bool> RunBatchAsync(DbConnection connection, List<Work> batch)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        if (!await RunEachInSavepointAsync(connection, transaction, batch) || !await CommitOrFailAsync(transaction, batch))
        {
            return false;
        }

        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _operations, batch.Count);
        Finish(batch);
        return true;
    }

    /// <summary>
    /// Runs each operation of the batch after a savepoint, so that one that fails is rolled back alone; one that lost
    /// a race runs again alone after the commit. False when a rollback fails: the transaction itself is broken and the
    /// batch is finished already.
    /// </summary>
    /// <remarks>
    /// <para>An operation's savepoint is not a round trip of its own: it waits in a <see cref="StatementPrelude"/> and
    /// goes with the operation's first statement (<c>RELEASE</c> of the previous savepoint, then <c>SAVEPOINT</c>),
    /// and after the last operation the commit releases everything. An operation that sent nothing changed nothing:
    /// the savepoint still waits, for the next one.</para>
    /// <para>Savepoints alternate between two names, and at most one of them exists at a time. If the prelude itself
    /// failed (a <c>RELEASE</c> that left the previous savepoint in place), the rollback to the new name finds no such
    /// savepoint and fails, so the batch is treated as broken and nothing of it is committed: a rollback can never
    /// reach back into an operation that already succeeded.</para>
    /// </remarks>
    private async Task<bool> RunEachInSavepointAsync(DbConnection connection, DbTransaction transaction, List<Work> batch)
    {
        var prelude = new StatementPrelude { Text = $"SET LOCAL lock_timeout = {(int)LockWait.TotalMilliseconds}; SAVEPOINT a" };
        var sql = new Sql(connection, transaction, prelude: prelude);
        // Invariant between operations: the savepoint named `current` marks the state after the last success,
        // or is set by the prelude, when one waits, before anything else runs.
        var current = "a";
        if (!await RefuseRevokedKeysAsync(sql, batch))
        {
            return false;
        }
        foreach (var work in batch.Where(w => !w.Failed))
        {
            var context = new WriteContext(_database, sql, _clock.GetUtcNow());
            try
            {
                await work.RunAsync(context);
                work.AfterCommit = context.AfterCommit;
                if (prelude.Text is null)
                {
                    var next = current == "a" ? "b" : "a";
                    prelude.Text = $"RELEASE {current}; SAVEPOINT {next}";
                    current = next;
                }
            }
            catch (Exception e)
            {
                try
                {
                    if (prelude.Text is null)
                    {
                        await sql.ExecuteAsync($"ROLLBACK TO SAVEPOINT {current}");
                    }
                }
                catch (Exception)
                {
                    // The transaction itself is broken (typically the connection went with the error):
                    // nothing in this batch was committed. This operation answers with its own error; the
                    // others, which have not failed on their own, run again alone on a fresh connection,
                    // which either succeeds or tells their callers the database is unavailable.
                    foreach (var w in batch)
                    {
                        if (w == work)
                        {
                            w.Fail(e);
                        }
                        else if (!w.Failed)
                        {
                            w.RunAloneAfterCommit = true;
                        }
                    }
                    Finish(batch);
                    return false;
                }
                if (e is WriteConflictException || Database.IsConflict(e)
                    || e is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable })
                {
                    work.RunAloneAfterCommit = true;
                }
                else
                {
                    work.Fail(e);
                }
            }
        }
        return true;
    }

    /// <summary>
    /// Fails the operations made with an API key that is now revoked (<see cref="WriteKey"/>). The batch's first
    /// statement: it goes with <c>BEGIN</c> and the first savepoint, in the batch's first round trip. False when the
    /// statement itself failed (a broken connection, a lock wait given up): nothing of the batch has run, so every
    /// operation runs again alone, where its key is confirmed in its own transaction, and the batch is finished.
    /// </summary>
    private async Task<bool> RefuseRevokedKeysAsync(Sql sql, List<Work> batch)
    {
        HashSet<string> revoked;
        try
        {
            revoked = await WriteKey.RevokedAmongAsync(sql, batch.Select(w => w.KeyId));
        }
        catch (Exception)
        {
            foreach (var work in batch)
            {
                work.RunAloneAfterCommit = true;
            }
            Finish(batch);
            return false;
        }
        foreach (var work in batch)
        {
            if (work.KeyId is { } key && revoked.Contains(key))
            {
                work.Fail(WriteKey.Revoked());
            }
        }
        return true;
    }

    /// <summary>Commits the batch; false when the commit fails, after every operation of the batch has failed with it.</summary>
    private async Task<bool> CommitOrFailAsync(DbTransaction transaction, List<Work> batch)
    {
        try
        {
            await transaction.CommitAsync();
            return true;
        }
        catch (Exception e)
        {
            foreach (var work in batch)
            {
                work.Fail(e);
            }
            Finish(batch);
            return false;
        }
    }

    private void Finish(List<Work> batch)
    {
        foreach (var work in batch)
        {
            work.Complete(_logger);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops);
    }

    /// <param name="keyId">The API key the operation was made with, confirmed in the batch (<see cref="WriteKey"/>).</param>
    private abstract class Work(string? keyId)
    {
        public string? KeyId { get; } = keyId;
        public List<Action>? AfterCommit { get; set; }
        public bool RunAloneAfterCommit { get; set; }
        public abstract Task RunAsync(WriteContext context);
        public abstract void Fail(Exception e);
        public abstract bool Failed { get; }
        public abstract void Complete(ILogger? logger);
    }

    private sealed class Work<T>(Func<WriteContext, Task<T>> operation, TransactionPerOperationWritePath alone, string? keyId) : Work(keyId)
    {
        private T? _result;
        private Exception? _error;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task RunAsync(WriteContext context) => _result = await operation(context);

        // Reported only once the batch is finished, so that callers never act on an outcome the commit could still change.
        public override void Fail(Exception e) => _error = e;

        public override bool Failed => _error is not null;

        public override void Complete(ILogger? logger)
        {
            if (_error is not null)
            {
                Completion.TrySetException(_error);
                return;
            }
            if (RunAloneAfterCommit)
            {
                // Lost a race inside the batch: run again on its own, against what is now committed.
                _ = RetryAsync();
                return;
            }
            WriteContext.RunAfterCommit(AfterCommit, logger);
            Completion.TrySetResult(_result!);
        }

        private async Task RetryAsync()
        {
            try
            {
                Completion.TrySetResult(await alone.RunAsync(operation, KeyId));
            }
            catch (Exception e)
            {
                Completion.TrySetException(e);
            }
        }
    }
}
