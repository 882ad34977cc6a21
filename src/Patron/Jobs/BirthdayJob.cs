using Patron.Domain;
using Patron.Storage;

namespace Patron.Jobs;

/// <summary>
/// Birthday points (docs/API.md, Earn rules, <c>birthday</c>): on a customer's birthday (UTC; 29
/// February falls on the 28th in other years) the birthday rule that applies to them awards its
/// points once for that year. A birthday missed while Patron was not running is still awarded up to
/// <see cref="EarnRulePolicy.BirthdayGraceDays"/> days later.
/// </summary>
public sealed class BirthdayJob(Database database, IWritePath writes, TimeProvider clock) : IJob
{
    private const int PageSize = 500;

    public string Name => "birthdays";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var (dueClause, dueArgs) = DueClause(today);
        var programs = await database.ReadAsync(sql => sql.ListAsync(
            "SELECT DISTINCT program_id FROM earn_rules WHERE type = @t AND enabled = @on",
            r => r.GetString(0), ("t", ActivityTypes.Birthday), ("on", true)));

        var handled = 0;
        foreach (var programId in programs)
        {
            var rules = await database.ReadAsync(sql => EarnRules.EnabledAsync(sql, programId, ActivityTypes.Birthday));
            if (!rules.Any(r => !r.IsCampaign && r.InEffect(nowMs)))
            {
                continue;
            }
            // Keyset pages, so that customers no rule applies to (another tier) cannot hide the others.
            var after = "";
            while (handled < JobBatch.Size)
            {
                ct.ThrowIfCancellationRequested();
                var page = await database.ReadAsync(sql => sql.ListAsync(
                    $"""
                    SELECT id, birthday, vip_tier_id, birthday_awarded_year FROM customers
                    WHERE program_id = @p AND birthday IS NOT NULL AND status = @active AND deleted_at IS NULL
                      AND ({dueClause}) AND id > @after
                    ORDER BY id LIMIT @n
                    """,
                    r => (Id: r.GetString(0), Birthday: r.GetString(1), Tier: r.StringOrNull(2), Awarded: r.Int64OrNull(3)),
                    [("p", programId), ("active", CustomerStatus.Active), ("after", after), ("n", PageSize), .. dueArgs]));
                foreach (var c in page)
                {
                    after = c.Id;
                    if (EarnRulePolicy.DueBirthdayYear(c.Birthday, today) is not { } year || c.Awarded >= year
                        || EarnRulePolicy.Select(rules, ActivityTypes.Birthday, c.Tier, nowMs) is null)
                    {
                        continue;
                    }
                    try
                    {
                        if (await writes.RunAsync(context => Activities.AwardBirthdayAsync(context, programId, c.Id)))
                        {
                            handled++;
                        }
                    }
                    catch (OperationException)
                    {
                        // The rule was disabled or the customer changed in between: nothing is due any more.
                    }
                }
                if (page.Count < PageSize)
                {
                    break;
                }
            }
        }
        return handled;
    }

    /// <summary>
    /// Customers whose birthday fell on one of the days in the grace window and who have not had that
    /// year's award: month and day from the indexed <c>substr(birthday, 6, 5)</c>, per year.
    /// </summary>
    private static (string Clause, (string, object?)[] Args) DueClause(DateOnly today)
    {
        var byYear = new SortedDictionary<int, SortedSet<string>>();
        for (var d = 0; d <= EarnRulePolicy.BirthdayGraceDays; d++)
        {
            var date = today.AddDays(-d);
            if (!byYear.TryGetValue(date.Year, out var days))
            {
                byYear[date.Year] = days = new SortedSet<string>(StringComparer.Ordinal);
            }
            days.UnionWith(EarnRulePolicy.BirthdaysOn(date));
        }
        var parts = new List<string>();
        var args = new List<(string, object?)>();
        foreach (var (year, days) in byYear)
        {
            var names = days.Select((day, i) => $"@md{year}_{i}").ToList();
            args.AddRange(days.Select((day, i) => ($"md{year}_{i}", (object?)day)));
            args.Add(($"y{year}", (long)year));
            parts.Add($"(substr(birthday, 6, 5) IN ({string.Join(", ", names)}) AND (birthday_awarded_year IS NULL OR birthday_awarded_year < @y{year}))");
        }
        return (string.Join(" OR ", parts), [.. args]);
    }
}
