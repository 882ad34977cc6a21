using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// On SQLite, a commit can be read a moment before it is on disk (<see cref="CommitDurability"/>). Every
/// response therefore waits, before its first byte, until every commit it may have read is durable: no
/// balance, entry or page shown to anyone can be taken back by a crash of the machine. With nothing
/// waiting to be synced the wait costs nothing; under writes it is at most one fsync.
/// </summary>
public static class DurableResponses
{
    public static void UseDurableResponses(this WebApplication app)
    {
        var durability = (app.Services.GetRequiredService<IWritePath>() as SqliteWritePath)?.Durability;
        if (durability is not { Deferred: true })
        {
            return;
        }
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state => ((CommitDurability)state).WaitAsync(), durability);
            return next(context);
        });
    }
}
