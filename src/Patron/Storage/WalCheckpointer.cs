using Microsoft.Data.Sqlite;

namespace Patron.Storage;

/// <summary>
/// Copies committed pages from SQLite's write-ahead log into the database file on a thread and a connection of
/// its own, woken after each commit and every 10 ms, so that the writer (the server's, and the CLI import's) does not
/// stop to do it inside its commits. A <c>PASSIVE</c> checkpoint: it never waits for the writer nor blocks
/// it, and it syncs the log before it copies, so the database file never holds a page whose log frame is not on disk. Once it has copied the whole log, the writer's next
/// transaction starts the log over, so the log stays bounded (85 MB at most on the 1M-customer import); the
/// writer keeps a larger automatic checkpoint of its own as the backstop (<see cref="WriterAutoCheckpointPages"/>).
/// </summary>
/// <remarks>
/// On the 1M-customer import the writer spent 21 s of 75 s in its commits, most of it this copy and the
/// database file's <c>fsync</c>; beside the writer, commits took 11 s (docs/PERFORMANCE.md, 2026-12-05).
/// The server's writer, whose log is synced beside it too, then never waits for the disk: awards +33% and +12%,
/// deductions +23% and orders +24% and +52% in two pairs (docs/PERFORMANCE.md, 2026-12-06).
/// </remarks>
internal sealed class WalCheckpointer : IDisposable
{
    /// <summary>The writer's own automatic checkpoint (pages of the log) while this one runs beside it.</summary>
    public const int WriterAutoCheckpointPages = 10_000;

    private readonly SqliteConnection _connection;
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private volatile bool _stopping;

    public WalCheckpointer(Database database)
    {
        _connection = new SqliteConnection(database.ConnectionString);
        _connection.Open();
        using (var pragma = _connection.CreateCommand())
        {
            // FULL: the database file is synced before the log is reused.
            pragma.CommandText = "PRAGMA synchronous=FULL;";
            pragma.ExecuteNonQuery();
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "Patron WAL checkpoint" };
        _thread.Start();
    }

    /// <summary>Called after a commit: there are new pages to copy.</summary>
    public void Wake() => _wake.Set();

    private void Run()
    {
        using var checkpoint = _connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        while (true)
        {
            // Woken by a commit, and every 10 ms besides: a pass that ends while the writer is mid-batch finds
            // the frames of that batch when it commits (measured 64 s against 66 s woken by commits alone).
            _wake.WaitOne(10);
            if (_stopping)
            {
                return;
            }
            try
            {
                checkpoint.ExecuteNonQuery();
            }
            catch (SqliteException)
            {
                // Left to the next wake-up, or to the writer's own automatic checkpoint.
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
        _connection.Dispose();
    }
}
