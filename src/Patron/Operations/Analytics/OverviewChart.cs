using System.Collections.Concurrent;
using Patron.Storage;
using static Patron.Operations.Analytics.ProgramOverview;

namespace Patron.Operations.Analytics;

/// <summary>
/// The overview chart's points earned and spent per UTC day, exact on every load without reading a month of
/// ledger each time: the hours that are closed are summed once and kept (in memory, per program), and only
/// the rest, the last hour or so, is read live.
/// </summary>
/// <remarks>
/// The ledger is append-only and an entry's <c>created_at</c> is the time it was written, so once an hour is
/// over no entry can be added to it, nor can one of its entries change what the chart counts (points and
/// type are never updated). An hour counts as closed <see cref="Slack"/> after its end: enough for a write
/// that took its time before the end to commit, and for another instance whose clock is a little behind.
/// Each program keeps at most the hours of the chart's window (720 sums for 30 days).
/// </remarks>
public sealed class OverviewChart(Database db)
{
    public static readonly TimeSpan Slack = TimeSpan.FromMinutes(10);

    private const long HourMs = 3_600_000;
    private const long DayMs = 24 * HourMs;

    /// <summary>A program's sums of the hours from <see cref="FromMs"/> to <see cref="ToMs"/> (excluded), by the hour's start.</summary>
    private sealed record Rollup(long FromMs, long ToMs, IReadOnlyDictionary<long, Sums> Hours);

    private readonly ConcurrentDictionary<string, Rollup> _rollups = new(StringComparer.Ordinal);

    /// <summary>The last <paramref name="days"/> UTC days up to <paramref name="now"/>, today included, oldest first.</summary>
    public async Task<IReadOnlyList<DayPoints>> DaysAsync(string programId, DateTimeOffset now, int days)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var fromMs = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1 - days).ToUnixTimeMilliseconds();
        var closedMs = Math.Max(fromMs, FloorToHour(nowMs - (long)Slack.TotalMilliseconds));
        var rollup = await RollUpAsync(programId, fromMs, closedMs, now);

        var sums = new Sums[days];
        foreach (var (hourMs, hour) in rollup.Hours)
        {
            if (hourMs >= fromMs && hourMs < rollup.ToMs)
            {
                sums[(hourMs - fromMs) / DayMs] += hour;
            }
        }
        // The open hours, read through the (program_id, id) index from the first one: today's entries at most.
        var liveFromMs = Math.Max(fromMs, rollup.ToMs);
        var live = await db.ReadAsync(sql => SumsAsync(sql, programId, liveFromMs, long.MaxValue, HourMs, now));
        foreach (var (hour, hourSums) in live)
        {
            var day = (liveFromMs + hour * HourMs - fromMs) / DayMs;
            if (day < days)
            {
                sums[day] += hourSums;
            }
        }
        var from = DateTimeOffset.FromUnixTimeMilliseconds(fromMs);
        return [.. sums.Select((s, d) => new DayPoints(from.AddDays(d), s.Earned, s.Spent))];
    }

    /// <summary>
    /// The program's kept hours brought up to <paramref name="closedMs"/>: only the hours closed since the last
    /// load are read, or the whole window the first time (and after the window moved past what was kept).
    /// </summary>
    private async Task<Rollup> RollUpAsync(string programId, long fromMs, long closedMs, DateTimeOffset now)
    {
        _rollups.TryGetValue(programId, out var kept);
        if (kept is null || fromMs < kept.FromMs || fromMs > kept.ToMs)
        {
            kept = new Rollup(fromMs, fromMs, new Dictionary<long, Sums>());
        }
        if (kept.ToMs >= closedMs && kept.FromMs == fromMs)
        {
            return kept;
        }

        var startMs = kept.ToMs;
        var added = startMs < closedMs
            ? await db.ReadAsync(sql => SumsAsync(sql, programId, startMs, closedMs, HourMs, now))
            : [];
        var hours = new Dictionary<long, Sums>();
        foreach (var (hourMs, sums) in kept.Hours)
        {
            if (hourMs >= fromMs)
            {
                hours[hourMs] = sums;
            }
        }
        foreach (var (hour, sums) in added)
        {
            hours[startMs + hour * HourMs] = sums;
        }
        var next = new Rollup(fromMs, Math.Max(startMs, closedMs), hours);
        // Two loads at once may both read the same hours; either's result is right, and the later one stays.
        _rollups[programId] = next;
        return next;
    }

    private static long FloorToHour(long ms) => ms - (((ms % HourMs) + HourMs) % HourMs);
}
