using System.Diagnostics;
using Microsoft.Extensions.Options;
using Patron.Storage;

namespace Patron.Jobs;

/// <summary>
/// Background work that depends on time (pending points, expiry, birthdays, webhook retries).
/// A job does one bounded pass per call and must be safe to run in several processes at once:
/// each item is handled in its own write operation that re-checks, under lock, that it is still due.
/// Tests call <see cref="RunOnceAsync"/> directly after moving their clock.
/// </summary>
public interface IJob
{
    string Name { get; }

    /// <returns>How many items the pass handled (a full batch means: run again soon).</returns>
    Task<int> RunOnceAsync(CancellationToken ct);
}

public sealed class JobOptions
{
    /// <summary>Seconds between passes of each job; 0 turns the background runner off.</summary>
    public int IntervalSeconds { get; set; } = 15;
}

/// <summary>Runs every registered <see cref="IJob"/> on an interval, each failure logged and retried next time.</summary>
public sealed class JobRunner(IEnumerable<IJob> jobs, IOptions<PatronOptions> options, ILogger<JobRunner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Jobs.IntervalSeconds;
        if (interval <= 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(interval));
        do
        {
            foreach (var job in jobs)
            {
                try
                {
                    // A full batch means more is due: keep going for up to half an interval before the next
                    // job's turn (a new tier's check of a million customers is 2,000 batches). Every batch
                    // writes through the write path like any request, so requests keep their share meanwhile.
                    var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * interval / 2;
                    while (await job.RunOnceAsync(stoppingToken) >= JobBatch.Size && Stopwatch.GetTimestamp() < until)
                    {
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Job {Job} failed; it runs again at the next interval", job.Name);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

public static class JobBatch
{
    /// <summary>Items one pass of a job handles at most (TigerStyle: a limit on everything).</summary>
    public const int Size = 500;
}
