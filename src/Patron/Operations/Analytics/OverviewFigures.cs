using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Patron.Storage;
using static Patron.Operations.Analytics.ProgramOverview;

namespace Patron.Operations.Analytics;

/// <summary>
/// What the dashboard's overview shows (docs/ADMIN.md, "The overview's figures"). The chart is exact on every
/// load (<see cref="OverviewChart"/>). The members, points and redemptions need a pass over every customer
/// and redemption of the program: while that pass is quick (the last one took less than
/// <see cref="DashboardOptions.LiveOverviewMs"/>, or the program has fewer than
/// <see cref="DashboardOptions.LiveOverviewMembers"/> members) it runs on every load; otherwise the page shows
/// the last pass's figures with their time, and a load a minute or more after that pass starts the next one
/// in the background. One pass at a time per program, and one kept result per program.
/// </summary>
public sealed class OverviewFigures(Database db, TimeProvider clock, IOptions<PatronOptions> options, ILogger<OverviewFigures> logger)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);

    private readonly OverviewChart _chart = new(db);
    private readonly ConcurrentDictionary<string, State> _programs = new(StringComparer.Ordinal);

    /// <summary>One pass's figures: as of <see cref="At"/> (taken before the pass began), and how long it took.</summary>
    private sealed record Snapshot(Totals Totals, long Redemptions, DateTimeOffset At, TimeSpan Took);

    /// <summary>A program's last pass, and the pass under way if any (the first load's, or a background refresh).</summary>
    private sealed class State
    {
        public Snapshot? Last;
        public Task<Snapshot>? First;
        public Task? Refresh;
    }

    public async Task<Overview> ReadAsync(string programId, int days)
    {
        var now = clock.GetUtcNow();
        var totals = TotalsAsync(programId);
        var chart = await _chart.DaysAsync(programId, now, days);
        var (snapshot, asOf) = await totals;
        var (currency, pointValue) = await db.ReadAsync(sql => ProgramAsync(sql, programId));
        var t = snapshot.Totals;
        return new Overview(t.Members, t.Blocked, t.PointsIssued, t.PointsSpent, t.PointsExpired, t.PointsOutstanding,
            snapshot.Redemptions, currency, pointValue, chart, asOf);
    }

    /// <summary>The figures to show, and their time when they are a kept pass's rather than this load's.</summary>
    private async Task<(Snapshot Snapshot, DateTimeOffset? AsOf)> TotalsAsync(string programId)
    {
        var state = _programs.GetOrAdd(programId, _ => new State());
        Task<Snapshot> pass;
        lock (state)
        {
            if (state.Last is { } last && !IsLive(last))
            {
                if (state.Refresh is null && clock.GetUtcNow() - last.At >= RefreshInterval)
                {
                    state.Refresh = Task.Run(() => RefreshAsync(programId, state));
                }
                return (last, last.At);
            }
            // The first load waits for the first pass (one for all loads at once); a live program's load runs its own.
            pass = state.Last is not null ? PassAsync(programId, state)
                : state.First ??= Task.Run(() => PassAsync(programId, state));
        }
        var fresh = await pass;
        return (fresh, IsLive(fresh) ? null : fresh.At);
    }

    private bool IsLive(Snapshot s) =>
        s.Took.TotalMilliseconds < options.Value.Dashboard.LiveOverviewMs || s.Totals.Members < options.Value.Dashboard.LiveOverviewMembers;

    private async Task<Snapshot> PassAsync(string programId, State state)
    {
        try
        {
            var at = clock.GetUtcNow();
            var started = Stopwatch.GetTimestamp();
            var (totals, redemptions) = await db.ReadAsync(async sql => (await ProgramOverview.TotalsAsync(sql, programId), await RedemptionsAsync(sql, programId)));
            var snapshot = new Snapshot(totals, redemptions, at, Stopwatch.GetElapsedTime(started));
            lock (state)
            {
                if (state.Last is null || state.Last.At <= at)
                {
                    state.Last = snapshot;
                }
            }
            return snapshot;
        }
        finally
        {
            lock (state)
            {
                state.First = null;
            }
        }
    }

    private async Task RefreshAsync(string programId, State state)
    {
        try
        {
            await PassAsync(programId, state);
        }
        catch (Exception e)
        {
            // The kept figures stay, with their time; the next load a minute on tries again.
            logger.LogWarning(e, "Refreshing the dashboard overview of program {ProgramId} failed", programId);
        }
        finally
        {
            lock (state)
            {
                state.Refresh = null;
            }
        }
    }
}
