using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Patron.Storage;

/// <summary>What one write operation sees: the open transaction, the time, and work to run after commit.</summary>
public sealed class WriteContext
{
    internal WriteContext(Database database, Sql sql, DateTimeOffset now)
    {
        Database = database;
        Sql = sql;
        Now = now;
    }

    public Database Database { get; }
    public Sql Sql { get; }
    public DateTimeOffset Now { get; }
    public long NowMs => Now.ToUnixTimeMilliseconds();

    /// <summary>
    /// A program this operation found without an enabled webhook endpoint, in a statement of its own
    /// transaction (PostgreSQL), so that its events need not look for subscribers again.
    /// </summary>
    public string? ProgramWithoutWebhookEndpoints { get; set; }

    /// <summary>Actions that run only once this operation's changes are committed (cache invalidation).</summary>
    public List<Action> AfterCommit { get; } = [];
}

/// <summary>
/// The one write path (DESIGN.md "one write path"): every change runs as an operation inside a
/// database transaction, and the caller gets its result only after that transaction is durable.
/// An operation may run more than once (PostgreSQL retries on conflicts), so it must be a pure
/// function of the database state and its input.
/// </summary>
public interface IWritePath
{
    Task<T> RunAsync<T>(Func<WriteContext, Task<T>> operation);
}

/// <summary>Thrown by an operation that lost a race it can win by running again (PostgreSQL).</summary>
public sealed class WriteConflictException(string message) : Exception(message);

/// <summary>
/// SQLite allows one writer, and <c>synchronous=FULL</c> costs one fsync per commit. So a single
/// writer gathers whatever operations are waiting into one transaction (group commit), runs each
/// under its own savepoint so one failure does not fail its neighbours, commits once, and only
/// then answers each caller with its own result.
/// </summary>
public sealed class SqliteWritePath : IWritePath, IAsyncDisposable
{
    private const int MaxBatch = 256;
    private readonly Database _database;
    private readonly TimeProvider _clock;
    private readonly Channel<Work> _queue = Channel.CreateBounded<Work>(
        new BoundedChannelOptions(16_384) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _loop;
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _savepoint, _release, _rollbackTo;
    private readonly StatementCache _statements = new();
    private readonly WalCheckpointer? _checkpointer;

    /// <param name="bulk">
    /// For a bulk job (the CLI import), the log is checkpointed beside the writer (<see cref="WalCheckpointer"/>)
    /// rather than inside its commits, and the writer's automatic checkpoint is only the backstop. The server
    /// keeps its checkpoints in its commits (a checkpoint beside its writer measured no faster).
    /// </param>
    public SqliteWritePath(Database database, TimeProvider clock, bool bulk = false)
    {
        _database = database;
        _clock = clock;
        _connection = new SqliteConnection(database.ConnectionString);
        _connection.Open();
        using (var pragma = _connection.CreateCommand())
        {
            // FULL: a commit is on disk before any caller hears of it (docs/ARCHITECTURE.md guarantee 2).
            // 16 MiB of page cache: enough for the indexes a write touches, small enough that the scan
            // SQLite makes of it at each commit stays cheap.
            // Savepoint journals in memory: an ordinary operation's is small, and a bulk operation's (a copy of
            // the index pages its statements change) added about 20 MB to the 1M-customer import's peak,
            // where a temporary file cost 2 GB of writes more (docs/PERFORMANCE.md).
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-16384; PRAGMA temp_store=MEMORY; " +
                (bulk ? $"PRAGMA wal_autocheckpoint={WalCheckpointer.WriterAutoCheckpointPages};" : "");
            pragma.ExecuteNonQuery();
        }
        _checkpointer = bulk ? new WalCheckpointer(database) : null;
        _savepoint = Prepared("SAVEPOINT op");
        _release = Prepared("RELEASE op");
        _rollbackTo = Prepared("ROLLBACK TO op");
        _loop = Task.Factory.StartNew(RunLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public long Batches { get; private set; }
    public long Operations { get; private set; }

    /// <summary>Upper bounds of the batch-size histogram (<see cref="BatchSizes"/>), for /metrics.</summary>
    public static readonly int[] BatchSizeBounds = [1, 2, 4, 8, 16, 32, 64, 128, MaxBatch];
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
        return await work.Completion.Task;
    }

    private SqliteCommand Prepared(string text)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = text;
        cmd.Prepare();
        return cmd;
    }

    private async Task RunLoopAsync()
    {
        var batch = new List<Work>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var work))
            {
                batch.Add(work);
            }
            await RunBatchAsync(batch);
            batch.Clear();
        }
    }

    /// <summary>
    /// One batch in one transaction: each operation in its own savepoint, one commit for all, and only then is
    /// each caller told its outcome.
    /// </summary>
    private async Task RunBatchAsync(List<Work> batch)
    {
        var transaction = BeginOrFail(batch);
        if (transaction is null)
        {
            return;
        }

        using (transaction)
        {
            if (!await RunEachInSavepointAsync(transaction, batch) || !CommitOrFail(transaction, batch))
            {
                return;
            }
        }

        _checkpointer?.Wake();
        CompleteBatch(batch);
    }

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
                    }
                    return false;
                }
                work.Fail(e);
            }
        }
        return true;
    }

    /// <summary>Commits the batch; false when the commit fails (then every operation of the batch has failed).</summary>
    private static bool CommitOrFail(SqliteTransaction transaction, List<Work> batch)
    {
        try
        {
            transaction.Commit();
            return true;
        }
        catch (Exception e)
        {
            FailAll(batch, e);
            return false;
        }
    }

    private static void FailAll(List<Work> batch, Exception e)
    {
        foreach (var work in batch)
        {
            work.Fail(e);
        }
    }

    /// <summary>After the commit: counts the batch, then tells each caller its outcome.</summary>
    private void CompleteBatch(List<Work> batch)
    {
        Batches++;
        Operations += batch.Count;
        var bucket = Array.FindIndex(BatchSizeBounds, b => batch.Count <= b);
        Interlocked.Increment(ref _batchSizes[bucket < 0 ? BatchSizeBounds.Length : bucket]);
        foreach (var work in batch)
        {
            work.Complete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        _savepoint.Dispose();
        _release.Dispose();
        _rollbackTo.Dispose();
        _statements.Dispose();
        _checkpointer?.Dispose();
        await _connection.DisposeAsync();
    }

    private abstract class Work
    {
        public List<Action>? AfterCommit { get; set; }
        public abstract Task RunAsync(WriteContext context);
        public abstract void Fail(Exception e);
        public abstract void Complete();
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

        public override void Complete()
        {
            if (_error is not null)
            {
                Completion.TrySetException(_error);
                return;
            }
            if (AfterCommit is not null)
            {
                foreach (var action in AfterCommit)
                {
                    action();
                }
            }
            Completion.TrySetResult(_result!);
        }
    }
}

/// <summary>
/// One transaction per operation on a pooled connection. This is the server's write path on
/// PostgreSQL, which groups concurrent commits by itself; row locks and unique indexes arbitrate
/// races, and the loser sees a conflict and runs again against the winner's committed state.
/// The command-line verbs use it on SQLite too, beside a running server.
/// </summary>
public sealed class TransactionPerOperationWritePath(Database database, TimeProvider clock) : IWritePath
{
    private const int MaxAttempts = 10;

    public async Task<T> RunAsync<T>(Func<WriteContext, Task<T>> operation)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await database.OpenAsync();
            if (database.IsSqlite)
            {
                await new Sql(connection).ExecuteAsync("PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;");
            }
            await using var transaction = await connection.BeginTransactionAsync();
            var context = new WriteContext(database, new Sql(connection, transaction), clock.GetUtcNow());
            try
            {
                var result = await operation(context);
                await transaction.CommitAsync();
                foreach (var action in context.AfterCommit)
                {
                    action();
                }
                return result;
            }
            catch (Exception e) when (attempt < MaxAttempts && (e is WriteConflictException || Database.IsConflict(e)))
            {
                await transaction.RollbackAsync();
                await Task.Delay(Random.Shared.Next(1, 5 * attempt));
            }
        }
    }
}
