using Patron.Storage;

namespace Patron.Jobs;

/// <summary>
/// Keeps SQLite's query planner statistics current (docs/PERFORMANCE.md, "SQLite statistics"): at most once
/// an hour, <c>ANALYZE</c> through the write path, sampling at most 1,000 rows per index
/// (<see cref="Migrator.SqliteStatistics"/>), so it costs milliseconds at any size. Without statistics SQLite may read a customer's rows through the
/// program's index (every row of the program) instead of the customer's. The server analyzes as it starts, after
/// its migrations and before any reader opens (<see cref="Migrator.AnalyzeAsync"/>). PostgreSQL's autovacuum keeps its own.
/// </summary>
public sealed class SqliteStatisticsJob(Database db, IWritePath writes, TimeProvider clock) : IJob
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    private DateTimeOffset? _last;

    public string Name => "sqlite-statistics";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (!db.IsSqlite || (_last is { } last && now - last < Interval))
        {
            return 0;
        }
        await writes.RunAsync(async context =>
        {
            await context.Sql.ExecuteAsync(Migrator.SqliteStatistics);
            return 0;
        });
        // A connection reads the statistics as it opens, and ANALYZE does not reach the others.
        db.RenewReaders();
        _last = now;
        return 0;
    }
}
