using Patron.Domain;
using Patron.Storage;

namespace Patron.Jobs;

/// <summary>
/// Checks a program's customers against its VIP tiers (docs/API.md VIP tiers) when nothing a
/// customer did would: at once after a tier was created, changed or deleted, and daily while the
/// program has spend tiers, because spend leaves a rolling window as time passes (lifetime points
/// never fall, so points tiers need no daily check). Earning and orders evaluate their customer
/// themselves, in their own transaction.
/// </summary>
/// <remarks>
/// A pass reads a batch of customers in id order, works out in bulk which tier each belongs in, and
/// only for those who must move runs <see cref="Tiers.EvaluateAsync(WriteContext, string, string, string)"/>
/// in its own write, which decides again under the customer's lock. Where the pass got to is stored
/// in <c>vip_tier_checks</c>, so a restart resumes it and several processes can share the work.
/// </remarks>
public sealed class VipTierJob(Database database, IWritePath writes, TimeProvider clock) : IJob
{
    public static readonly TimeSpan DailyInterval = TimeSpan.FromDays(1);

    /// <summary>Moves written at once: enough to fill SQLite's group commits, few enough to leave connections for requests.</summary>
    private const int ParallelMoves = 16;

    /// <summary>Programs looked at in one pass.</summary>
    private const int ProgramsPerPass = 20;

    public string Name => "vip-tiers";

    private sealed record Check(string ProgramId, string? AfterId, long Generation, string Reason);

    private sealed record Member(string Id, long LifetimePoints, string? TierId);

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var due = await database.ReadAsync(sql => sql.ListAsync(
            "SELECT program_id, after_id, generation, reason FROM vip_tier_checks WHERE due_at <= @now ORDER BY due_at LIMIT @n",
            r => new Check(r.GetString(0), r.StringOrNull(1), r.GetInt64(2), r.GetString(3)),
            ("now", nowMs), ("n", ProgramsPerPass)));
        var handled = 0;
        foreach (var check in due)
        {
            if (handled >= JobBatch.Size)
            {
                break;
            }
            ct.ThrowIfCancellationRequested();
            handled += await CheckBatchAsync(check, JobBatch.Size - handled, ct);
        }
        return handled;
    }

    /// <returns>How many customers this batch looked at.</returns>
    private async Task<int> CheckBatchAsync(Check check, int limit, CancellationToken ct)
    {
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var (tiers, members, spend) = await database.ReadAsync(async sql =>
        {
            var tiers = await Tiers.ListAsync(sql, check.ProgramId);
            // Without tiers only the customers still holding a (deleted) tier can move.
            var members = await sql.ListAsync(
                $"""
                SELECT id, lifetime_points, vip_tier_id FROM customers
                WHERE program_id = @p AND deleted_at IS NULL AND id > @after {(tiers.Count == 0 ? "AND vip_tier_id IS NOT NULL" : "")}
                ORDER BY id LIMIT @n
                """,
                r => new Member(r.GetString(0), r.GetInt64(1), r.StringOrNull(2)),
                ("p", check.ProgramId), ("after", check.AfterId ?? ""), ("n", limit));
            var spend = new Dictionary<int, Dictionary<string, long>>();
            if (members.Count > 0)
            {
                foreach (var days in TierRules.SpendWindows(tiers))
                {
                    spend[days] = await SpendAsync(sql, check.ProgramId, members[0].Id, members[^1].Id, Tiers.WindowStart(nowMs, days));
                }
            }
            return (tiers, members, spend);
        });

        var moving = members.Where(m =>
        {
            var spendOf = spend.ToDictionary(w => w.Key, w => w.Value.GetValueOrDefault(m.Id));
            return TierRules.Highest(tiers, m.LifetimePoints, spendOf)?.Id != m.TierId;
        }).Select(m => m.Id).ToList();
        await Parallel.ForEachAsync(moving, new ParallelOptions { MaxDegreeOfParallelism = ParallelMoves, CancellationToken = ct },
            async (customerId, _) => await writes.RunAsync(context =>
                Tiers.EvaluateAsync(context, check.ProgramId, customerId, check.Reason)));

        if (members.Count == limit)
        {
            await writes.RunAsync(context => context.Sql.ExecuteAsync(
                "UPDATE vip_tier_checks SET after_id = @after WHERE program_id = @p AND generation = @g",
                ("after", members[^1].Id), ("p", check.ProgramId), ("g", check.Generation)));
        }
        else if (tiers.Any(t => t.IsSpendTier))
        {
            // Done; spend keeps leaving the windows, so look again tomorrow.
            await writes.RunAsync(context => context.Sql.ExecuteAsync(
                "UPDATE vip_tier_checks SET due_at = @next, after_id = NULL, reason = @r WHERE program_id = @p AND generation = @g",
                ("next", nowMs + (long)DailyInterval.TotalMilliseconds), ("r", TierRules.Reasons.SpendWindow),
                ("p", check.ProgramId), ("g", check.Generation)));
        }
        else
        {
            // Done; points tiers change only with earning (evaluated there) or with a tier change (scheduled there).
            await writes.RunAsync(context => context.Sql.ExecuteAsync(
                "DELETE FROM vip_tier_checks WHERE program_id = @p AND generation = @g",
                ("p", check.ProgramId), ("g", check.Generation)));
        }
        return members.Count;
    }

    /// <summary>Spend since <paramref name="fromMs"/> of the program's customers with ids from <paramref name="firstId"/> to <paramref name="lastId"/>.</summary>
    private static async Task<Dictionary<string, long>> SpendAsync(Sql sql, string programId, string firstId, string lastId, long fromMs)
    {
        var rows = await sql.ListAsync(
            """
            SELECT customer_id, COALESCE(SUM(total_e4 - refunded_e4), 0) FROM orders
            WHERE customer_id >= @first AND customer_id <= @last AND program_id = @p
              AND status IN (@paid, @refunded) AND paid_at >= @from
            GROUP BY customer_id
            """,
            r => (Customer: r.GetString(0), SpendE4: Convert.ToInt64(r.GetValue(1))),
            ("first", firstId), ("last", lastId), ("p", programId),
            ("paid", OrderStatus.Paid), ("refunded", OrderStatus.Refunded), ("from", fromMs));
        return rows.ToDictionary(r => r.Customer, r => r.SpendE4);
    }
}
