using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Patron.Storage;

/// <summary>
/// SQLite allows one writer, and a durable commit costs one fsync. So a single writer gathers whatever
/// operations are waiting into one transaction (group commit), runs each under its own savepoint so one
/// failure does not fail its neighbours, commits once, and only once the commit is on disk answers each
/// caller with its own result.
/// </summary>
/// <remarks>
/// The server's writer does not wait for that fsync itself: it commits with <c>synchronous=NORMAL</c>
/// (SQLite writes the log, without syncing it), and a syncer beside it syncs the write-ahead log and then
/// answers the batch, while the writer already runs the next one. A caller hears of its write only once the
/// log holding it is on disk, exactly as with <c>synchronous=FULL</c>; what may come first is another
/// reader seeing the commit, so every HTTP response waits for <see cref="CommitDurability"/> before it is
/// sent. A bulk writer (the CLI import) answers batch by batch and gains nothing from this: it commits
/// with <c>synchronous=FULL</c>.
/// </remarks>
public sealed class SqliteWritePath : IWritePath, IAsyncDisposable
{
    /// <summary>
    /// The most operations committed together. Every answer of a batch waits for the whole batch and its log sync, so
    /// a smaller batch answers sooner: 16 gave more writes per second than 256 (under which batches held about 20) in
    /// each of three rounds, and than 8 and 32 in the rounds that ran them (docs/PERFORMANCE.md, 2026-12-07).
    /// </summary>
    private const int MaxBatch = 16;
    private readonly Database _database;
    private readonly TimeProvider _clock;
    private readonly Channel<Work> _queue = Channel.CreateBounded<Work>(
        new BoundedChannelOptions(16_384) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _loop;
    private readonly ManualResetEventSlim _work = new(false);
    private readonly ManualResetEventSlim _committed = new(false);
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _savepoint, _release, _rollbackTo;
    private readonly StatementCache _statements = new();
    private readonly WalCheckpointer? _checkpointer;
    private readonly ILogger? _logger;
    private readonly Channel<SyncWork>? _syncs;
    private readonly Task? _syncLoop;
    private readonly string? _walPath;
    private FileStream? _wal;
    private volatile Exception? _syncFailure;

    /// <param name="bulk">
    /// For a bulk job (the CLI import), which waits for each batch before it sends the next: its commits are
    /// synced inside the commit (<c>synchronous=FULL</c>), as nothing could run beside the sync. The server's
    /// writer has its log synced beside it instead (see remarks).
    /// </param>
    public SqliteWritePath(Database database, TimeProvider clock, bool bulk = false, ILogger? logger = null)
    {
        _database = database;
        _clock = clock;
        _logger = logger;
        _connection = new SqliteConnection(database.ConnectionString);
        _connection.Open();
        using (var pragma = _connection.CreateCommand())
        {
            // FULL until the log is known to be synced beside the writer: a commit is on disk before any
            // caller hears of it (docs/RELIABILITY.md, guarantee 1).
            // 16 MiB of page cache: enough for the indexes a write touches, small enough that the scan
            // SQLite makes of it at each commit stays cheap.
            // Savepoint journals in memory: an ordinary operation's is small, and a bulk operation's (a copy of
            // the index pages its statements change) added about 20 MB to the 1M-customer import's peak,
            // where a temporary file cost 2 GB of writes more (docs/PERFORMANCE.md).
            // The log is checkpointed beside the writer (WalCheckpointer), its own automatic checkpoint only the backstop.
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-16384; PRAGMA temp_store=MEMORY; " +
                $"PRAGMA wal_autocheckpoint={WalCheckpointer.WriterAutoCheckpointPages};";
            pragma.ExecuteNonQuery();
            pragma.CommandText = "PRAGMA journal_mode";
            var wal = pragma.ExecuteScalar() is "wal" && !string.IsNullOrEmpty(_connection.DataSource);
            if (wal)
            {
                _checkpointer = new WalCheckpointer(database);
            }
            if (wal && !bulk)
            {
                pragma.CommandText = "PRAGMA synchronous=NORMAL";
                pragma.ExecuteNonQuery();
                _walPath = _connection.DataSource + "-wal";
                Durability = new CommitDurability();
                _syncs = Channel.CreateUnbounded<SyncWork>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
                _syncLoop = Task.Factory.StartNew(RunSyncLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }
        _savepoint = Prepared("SAVEPOINT op");
        _release = Prepared("RELEASE op");
        _rollbackTo = Prepared("ROLLBACK TO op");
        _loop = Task.Factory.StartNew(RunLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public long Batches { get; private set; }
    public long Operations { get; private set; }

    /// <summary>Time the writer spent running batches, from their BEGIN to their COMMIT (Stopwatch ticks).</summary>
    public long BusyTicks { get; private set; }

    /// <summary>Syncs of the log made beside the writer, and the time they took (Stopwatch ticks).</summary>
    public long LogSyncs { get; private set; }

    public long LogSyncTicks { get; private set; }

    /// <summary>Which of this writer's commits are on disk; <see cref="CommitDurability.Immediate"/> when it syncs in its commits.</summary>
    public CommitDurability Durability { get; } = CommitDurability.Immediate;

    /// <summary>Awaited before each sync of the log (tests hold the sync with it).</summary>
    internal Func<Task>? BeforeSync { get; set; }

    /// <summary>Called just before each batch's COMMIT (tests make the commit fail with it, as a full disk would).</summary>
    internal Action? BeforeCommit { get; set; }

    /// <summary>Upper bounds of the batch-size histogram (<see cref="BatchSizes"/>), for /metrics.</summary>
    public static readonly int[] BatchSizeBounds = [1, 2, 4, 8, 12, MaxBatch];
    private readonly long[] _batchSizes = new long[BatchSizeBounds.Length + 1];

    /// <summary>Committed batches counted by size, one count per bucket of <see cref="BatchSizeBounds"/>.</summary>
    public long[] BatchSizes => [.. _batchSizes];

    /// <summary>Write operations waiting for the writer.</summary>
    public int QueueDepth => _queue.Reader.Count;

    public async Task<T> RunAsync<T>(Func<WriteContext, Task<T>> operation)
    {
        var work = new Work<T>(operation);
        if (!_queue.Writer.TryWrite(work))
        {
            await _queue.Writer.WriteAsync(work);
        }
        _work.Set();
        return await work.Completion.Task;
    }

    private SqliteCommand Prepared(string text)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = text;
        cmd.Prepare();
        return cmd;
    }

    /// <summary>
    /// The writer, on a thread of its own: it sleeps on <see cref="_work"/> when the queue is empty and wakes as
    /// soon as an operation is queued, rather than waiting for a thread-pool thread behind the requests being served.
    /// A batch runs on this thread (every statement of SQLite completes at once); an operation that awaits
    /// something else holds the writer until it is done.
    /// </summary>
    private void RunLoop()
    {
        var batch = new List<Work>(MaxBatch);
        var reader = _queue.Reader;
        while (true)
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var work))
            {
                batch.Add(work);
            }
            if (batch.Count == 0)
            {
                if (!ReadOrWait(reader, _work, out var first))
                {
                    return;
                }
                batch.Add(first);
                continue;
            }
            RunBatchAsync(batch).GetAwaiter().GetResult();
            batch.Clear();
        }
    }

    /// <summary>
    /// The next item of <paramref name="reader"/>, sleeping on <paramref name="signal"/> (set by whoever queues an
    /// item, and on completion) until there is one; false once the reader is completed and empty.
    /// </summary>
    private static bool ReadOrWait<T>(ChannelReader<T> reader, ManualResetEventSlim signal, [MaybeNullWhen(false)] out T item)
    {
        while (true)
        {
            if (reader.TryRead(out item))
            {
                return true;
            }
            if (reader.Completion.IsCompleted)
            {
                return false;
            }
            signal.Reset();
            // Queued between the read and the reset: its Set came before the reset, so look once more.
            if (reader.TryRead(out item))
            {
                return true;
            }
            if (!reader.Completion.IsCompleted)
            {
                signal.Wait();
            }
        }
    }

    /// <summary>
    /// One batch in one transaction: each operation in its own savepoint, one commit for all, and only then is
    /// each caller told its outcome.
    /// </summary>
    private async Task RunBatchAsync(List<Work> batch)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await RunBatchCoreAsync(batch);
        }
        finally
        {
            BusyTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    private async Task RunBatchCoreAsync(List<Work> batch)
    {
        if (_syncFailure is { } syncFailure)
        {
            // Nothing more is committed once the log could not be synced (RunSyncLoop).
            FailAll(batch, syncFailure);
            return;
        }
        var transaction = BeginOrFail(batch);
        if (transaction is null)
        {
            return;
        }

        long commit;
        using (transaction)
        {
            if (!await RunEachInSavepointAsync(transaction, batch))
            {
                return;
            }
            // Numbered before the commit can be seen (CommitDurability).
            commit = Durability.Begin();
            if (!CommitOrFail(transaction, batch, BeforeCommit))
            {
                // Its callers have their error. The number still goes through the syncer, or every response
                // would wait for it until the next commit; a sync is harmless, and covers a commit that partly landed.
                QueueSync(new SyncWork(commit, []));
                return;
            }
        }

        _checkpointer?.Wake();
        CountBatch(batch);
        // The caches are told now, before the next batch reads them; the callers once the log is on disk.
        foreach (var work in batch)
        {
            WriteContext.RunAfterCommit(work.AfterCommit, _logger);
        }
        if (_syncs is null)
        {
            AnswerAll(batch);
            return;
        }
        QueueSync(new SyncWork(commit, [.. batch]));
    }

    /// <summary>Hands a commit to the syncer (<see cref="RunSyncLoop"/>) and wakes it.</summary>
    private void QueueSync(SyncWork work)
    {
        if (_syncs is not null)
        {
            _syncs.Writer.TryWrite(work);
            _committed.Set();
        }
    }

    /// <summary>
    /// Syncs the write-ahead log for every batch committed since the last sync (one fsync for all of them),
    /// then answers their callers. A failed sync fails them and every commit after: what the log holds may
    /// not be on disk, so nobody may be told of it until Patron restarts and SQLite recovers the log.
    /// </summary>
    /// <remarks>
    /// On a thread of its own, like the writer (<see cref="RunLoop"/>): woken by the writer's commit directly.
    /// </remarks>
    private void RunSyncLoop()
    {
        var reader = _syncs!.Reader;
        var pending = new List<SyncWork>();
        while (true)
        {
            while (reader.TryRead(out var item))
            {
                pending.Add(item);
            }
            if (pending.Count == 0)
            {
                if (!ReadOrWait(reader, _committed, out var first))
                {
                    return;
                }
                pending.Add(first);
                continue;
            }
            var failure = _syncFailure;
            if (failure is null)
            {
                try
                {
                    if (BeforeSync is { } before)
                    {
                        before().GetAwaiter().GetResult();
                    }
                    _wal ??= new FileStream(_walPath!, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1);
                    var started = Stopwatch.GetTimestamp();
                    _wal.Flush(flushToDisk: true);
                    LogSyncTicks += Stopwatch.GetTimestamp() - started;
                    LogSyncs++;
                    Durability.Reached(pending[^1].Commit);
                }
                catch (Exception e)
                {
                    failure = _syncFailure = new IOException(CommitDurability.SyncFailedMessage, e);
                    Durability.Fail(failure);
                }
            }
            foreach (var item in pending)
            {
                foreach (var work in item.Batch)
                {
                    if (failure is not null)
                    {
                        work.Fail(failure);
                    }
                    work.Answer();
                }
            }
            pending.Clear();
        }
    }

    private sealed record SyncWork(long Commit, Work[] Batch);

    /// <summary>The batch's transaction, or null when it cannot begin (then every operation of the batch has failed).</summary>
    private SqliteTransaction? BeginOrFail(List<Work> batch)
    {
        try
        {
            return _connection.BeginTransaction(deferred: false);
        }
        catch (Exception e)
        {
            FailAll(batch, e);
            return null;
        }
    }

    /// <summary>
    /// Runs each operation in its own savepoint, so that one that fails is rolled back alone. False when a
    /// rollback fails: the transaction itself is broken and every operation of the batch has failed.
    /// </summary>
    private async Task<bool> RunEachInSavepointAsync(SqliteTransaction transaction, List<Work> batch)
    {
        var sql = new Sql(_connection, transaction, _statements);
        foreach (var work in batch)
        {
            _savepoint.Transaction = _release.Transaction = _rollbackTo.Transaction = transaction;
            var context = new WriteContext(_database, sql, _clock.GetUtcNow());
            try
            {
                _savepoint.ExecuteNonQuery();
                await work.RunAsync(context);
                _release.ExecuteNonQuery();
                work.AfterCommit = context.AfterCommit;
            }
            catch (Exception e)
            {
                try
                {
                    _rollbackTo.ExecuteNonQuery();
                    _release.ExecuteNonQuery();
                }
                catch (Exception rollbackError)
                {
                    // The transaction itself is broken: nothing in this batch may be committed.
                    foreach (var w in batch)
                    {
                        w.Fail(w == work ? e : rollbackError);
                        w.Answer();
                    }
                    return false;
                }
                work.Fail(e);
            }
        }
        return true;
    }

    /// <summary>Commits the batch; false when the commit fails (then every operation of the batch has failed).</summary>
    private static bool CommitOrFail(SqliteTransaction transaction, List<Work> batch, Action? beforeCommit)
    {
        try
        {
            beforeCommit?.Invoke();
            transaction.Commit();
            return true;
        }
        catch (Exception e)
        {
            FailAll(batch, e);
            return false;
        }
    }

    /// <summary>Fails every operation of a batch that was not committed, and answers them.</summary>
    private static void FailAll(List<Work> batch, Exception e)
    {
        foreach (var work in batch)
        {
            work.Fail(e);
            work.Answer();
        }
    }

    private void CountBatch(List<Work> batch)
    {
        Batches++;
        Operations += batch.Count;
        var bucket = Array.FindIndex(BatchSizeBounds, b => batch.Count <= b);
        Interlocked.Increment(ref _batchSizes[bucket < 0 ? BatchSizeBounds.Length : bucket]);
    }

    private static void AnswerAll(List<Work> batch)
    {
        foreach (var work in batch)
        {
            work.Answer();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _work.Set();
        await _loop;
        if (_syncs is not null)
        {
            _syncs.Writer.TryComplete();
            _committed.Set();
            await _syncLoop!;
        }
        _wal?.Dispose();
        _savepoint.Dispose();
        _release.Dispose();
        _rollbackTo.Dispose();
        _work.Dispose();
        _committed.Dispose();
        _statements.Dispose();
        _checkpointer?.Dispose();
        await _connection.DisposeAsync();
    }

    private abstract class Work
    {
        public List<Action>? AfterCommit { get; set; }
        public abstract Task RunAsync(WriteContext context);
        public abstract void Fail(Exception e);

        /// <summary>Once durable (or failed): tells the caller its outcome.</summary>
        public abstract void Answer();
    }

    private sealed class Work<T>(Func<WriteContext, Task<T>> operation) : Work
    {
        private T? _result;
        private Exception? _error;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task RunAsync(WriteContext context) => _result = await operation(context);

        // A failure is only reported after the batch finishes, like a success, so that callers never
        // act on an outcome the commit could still change.
        public override void Fail(Exception e) => _error = e;

        public override void Answer()
        {
            if (_error is not null)
            {
                Completion.TrySetException(_error);
                return;
            }
            Completion.TrySetResult(_result!);
        }
    }
}
