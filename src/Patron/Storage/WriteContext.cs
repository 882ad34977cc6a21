using Microsoft.Extensions.Logging;

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

    /// <summary>
    /// Runs a committed operation's after-commit actions. One that throws is logged and neither skips the
    /// others nor undoes anything: the write is committed, and its caller is told so.
    /// </summary>
    internal static void RunAfterCommit(List<Action>? actions, ILogger? logger)
    {
        if (actions is null)
        {
            return;
        }
        foreach (var action in actions)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                logger?.LogError(e, "An after-commit action failed; the write it follows is committed.");
            }
        }
    }
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
