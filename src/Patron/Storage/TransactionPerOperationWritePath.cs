using Microsoft.Extensions.Logging;

namespace Patron.Storage;

/// <summary>
/// One transaction per operation on a pooled connection. This is the server's write path on
/// PostgreSQL, which groups concurrent commits by itself; row locks and unique indexes arbitrate
/// races, and the loser sees a conflict and runs again against the winner's committed state.
/// The command-line verbs use it on SQLite too, beside a running server. An operation made with an API
/// key (<see cref="WriteKey"/>, PostgreSQL) first confirms it in its own transaction.
/// </summary>
public sealed class TransactionPerOperationWritePath(Database database, TimeProvider clock, ILogger? logger = null) : IWritePath
{
    private const int MaxAttempts = 10;

    public Task<T> RunAsync<T>(Func<WriteContext, Task<T>> operation) => RunAsync(operation, WriteKey.Current);

    /// <summary>Runs <paramref name="operation"/> made with the API key <paramref name="keyId"/> (none: null).</summary>
    internal async Task<T> RunAsync<T>(Func<WriteContext, Task<T>> operation, string? keyId)
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
                await WriteKey.ConfirmAsync(context.Sql, keyId);
                var result = await operation(context);
                await transaction.CommitAsync();
                WriteContext.RunAfterCommit(context.AfterCommit, logger);
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
