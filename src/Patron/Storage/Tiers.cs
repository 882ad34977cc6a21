using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>A tier as events name it.</summary>
public sealed record TierRef(string Id, string Name);

/// <summary>The data of a <c>tier.changed</c> event (docs/API.md VIP tiers and Events).</summary>
public sealed record TierChange(string CustomerId, TierRef? PreviousTier, TierRef? NewTier, string Direction, string Reason)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "tier_change";
}

/// <summary>
/// VIP tiers as the earning code needs them (docs/API.md VIP tiers): the multiplier, and the
/// evaluation that moves a customer to the highest tier they qualify for.
/// </summary>
public static class Tiers
{
    /// <summary>The earning multiplier of a tier; 1 without a tier (or when the tier was deleted).</summary>
    public static async Task<decimal> MultiplierAsync(Sql sql, string? tierId)
    {
        if (tierId is null)
        {
            return 1m;
        }
        var e4 = await sql.ScalarAsync("SELECT multiplier_e4 FROM vip_tiers WHERE id = @id AND deleted_at IS NULL", ("id", tierId));
        return e4 is null ? 1m : Money.FromE4(Convert.ToInt64(e4));
    }

    /// <summary>
    /// What the ledger's balance update returns about the customer's tier: the tier they hold, their
    /// lifetime points after the update, and the version of the program's tiers its transaction sees
    /// (<c>programs.tiers_version</c>, changed by a trigger with every change to the program's tiers, migration 0025).
    /// </summary>
    public sealed record AfterBalance(string? CurrentTierId, long LifetimePoints, long? TiersVersion);

    private static readonly IReadOnlyDictionary<int, long> NoSpend = new Dictionary<int, long>();

    /// <summary>The program's live tiers by version, one entry per program, each replaced when its version changes.</summary>
    private static readonly ConditionalWeakTable<Database, ConcurrentDictionary<string, (long Version, TierThreshold[] Tiers)>> LiveTiers = new();

    /// <summary>
    /// Moves the customer to the highest tier they qualify for after a balance update, as
    /// <see cref="EvaluateAsync(WriteContext, string, string, string)"/> does. Most awards leave the customer
    /// in their tier, and when the program has no spend tiers that is known from what the update returned
    /// and the program's tiers of that version, kept in memory: then no statement is run. Versions are random
    /// 64-bit values (repeating with a chance of one in 2^64), so none comes back after a rollback or a
    /// PostgreSQL recovery, and the tiers kept under a version are the ones every transaction that reads that
    /// version sees, on every instance.
    /// </summary>
    /// <remarks>
    /// On PostgreSQL the version is read with the balance update's snapshot, taken when that statement began. A
    /// tier change that commits while the update waits for the customer's row (held by <see cref="Jobs.VipTierJob"/>
    /// moving that customer under the new tiers) is seen only by the customer's next write or the job's next pass.
    /// </remarks>
    public static async Task<bool> EvaluateAsync(WriteContext context, string programId, string customerId, AfterBalance state, string reason) =>
        !await StaysAsync(context, programId, state) && await EvaluateAsync(context, programId, customerId, reason);

    /// <summary>
    /// <see cref="EvaluateAsync(WriteContext, string, string, bool, bool)"/> after an operation whose last balance
    /// update returned <paramref name="state"/> (null when none did): without spend tiers, a customer who stays in
    /// their tier is known from it, as after an award, and no statement is run.
    /// </summary>
    public static async Task<bool> EvaluateAsync(
        WriteContext context, string programId, string customerId, AfterBalance? state, bool spendChanged, bool lifetimeRose) =>
        !(state is not null && await StaysAsync(context, programId, state))
        && await EvaluateAsync(context, programId, customerId, spendChanged, lifetimeRose);

    /// <summary>Whether the customer stays in their tier, known without a statement from <paramref name="state"/> and the tiers kept in memory.</summary>
    private static async Task<bool> StaysAsync(WriteContext context, string programId, AfterBalance state) =>
        state.TiersVersion is { } version && await LiveTiersAsync(context, programId, version) is { } tiers
        && !tiers.Any(t => t.IsSpendTier)
        && TierRules.Highest(tiers, state.LifetimePoints, NoSpend)?.Id == state.CurrentTierId;

    /// <summary>
    /// The program's live tiers at <paramref name="version"/>, or null when the version read with them differs
    /// (on PostgreSQL a change may commit between two statements): then the caller reads them with the customer.
    /// </summary>
    private static async Task<TierThreshold[]?> LiveTiersAsync(WriteContext context, string programId, long version)
    {
        var cache = LiveTiers.GetValue(context.Database, _ => new(StringComparer.Ordinal));
        if (cache.TryGetValue(programId, out var kept) && kept.Version == version)
        {
            return kept.Tiers;
        }
        var rows = await context.Sql.ListAsync(
            """
            SELECT p.tiers_version, t.id, t.name, t.points_required, t.spend_required_e4, t.spend_window_days
            FROM programs p LEFT JOIN vip_tiers t ON t.program_id = p.id AND t.deleted_at IS NULL
            WHERE p.id = @p
            """,
            r => (Version: r.GetInt64(0), Tier: r.IsDBNull(1) ? null : MapThreshold(r, 1)), ("p", programId));
        if (rows.Count == 0 || rows[0].Version != version)
        {
            return null;
        }
        TierThreshold[] tiers = [.. rows.Where(r => r.Tier is not null).Select(r => r.Tier!)];
        cache[programId] = (version, tiers);
        return tiers;
    }

    /// <summary>
    /// The customer's tier and lifetime points with every live tier of the program, in one indexed
    /// query. On PostgreSQL it also locks the customer's row, so two evaluations of one customer cannot
    /// both move them.
    /// </summary>
    private const string StateSql =
        """
        SELECT c.vip_tier_id, c.lifetime_points, t.id, t.name, t.points_required, t.spend_required_e4, t.spend_window_days
        FROM customers c LEFT JOIN vip_tiers t ON t.program_id = c.program_id AND t.deleted_at IS NULL
        WHERE c.id = @c AND c.program_id = @p AND c.deleted_at IS NULL
        """;

    private const string StateSqlPostgres = StateSql + " FOR UPDATE OF c";

    /// <summary>Spend that counts for tiers: paid minus refunded, of orders paid since <c>@from</c> (as <c>total_spent</c> counts it).</summary>
    private const string SpendSql =
        """
        SELECT COALESCE(SUM(total_e4 - refunded_e4), 0) FROM orders
        WHERE customer_id = @c AND program_id = @p AND status IN (@paid, @refunded) AND paid_at >= @from
        """;

    public static TierThreshold MapThreshold(DbDataReader r, int at) => new(
        r.GetString(at), r.GetString(at + 1), r.Int64OrNull(at + 2), r.Int64OrNull(at + 3),
        r.Int64OrNull(at + 4) is { } days ? (int)days : null);

    /// <summary>
    /// Moves the customer to the highest tier they qualify for now (up or down, or out of any tier),
    /// in the caller's transaction: updates <c>vip_tier_id</c> and writes a <c>tier.changed</c> event.
    /// Returns whether the customer moved. A customer that is not found (or erased) is left alone.
    /// </summary>
    public static Task<bool> EvaluateAsync(WriteContext context, string programId, string customerId, string reason) =>
        EvaluateAsync(context, programId, customerId, (_, _) => reason);

    /// <summary>
    /// Evaluates once after an operation that may have changed both spend and lifetime points (see
    /// <see cref="TierRules.ReasonFor"/>), rather than once per change.
    /// </summary>
    public static Task<bool> EvaluateAsync(WriteContext context, string programId, string customerId, bool spendChanged, bool lifetimeRose) =>
        EvaluateAsync(context, programId, customerId, (previous, target) => TierRules.ReasonFor(previous, target, spendChanged, lifetimeRose));

    private static async Task<bool> EvaluateAsync(
        WriteContext context, string programId, string customerId, Func<TierThreshold?, TierThreshold?, string> reasonFor)
    {
        var sql = context.Sql;
        var rows = await sql.ListAsync(context.Database.IsSqlite ? StateSql : StateSqlPostgres,
            r => (Current: r.StringOrNull(0), Lifetime: r.GetInt64(1), Tier: r.IsDBNull(2) ? null : MapThreshold(r, 2)),
            ("c", customerId), ("p", programId));
        if (rows.Count == 0)
        {
            return false;
        }
        var current = rows[0].Current;
        var tiers = rows.Where(r => r.Tier is not null).Select(r => r.Tier!).ToList();
        if (tiers.Count == 0 && current is null)
        {
            return false;
        }

        var spend = new Dictionary<int, long>();
        foreach (var days in TierRules.SpendWindows(tiers))
        {
            spend[days] = await SpendAsync(sql, programId, customerId, days, context.NowMs);
        }
        var target = TierRules.Highest(tiers, rows[0].Lifetime, spend);
        if (target?.Id == current)
        {
            return false;
        }

        var previous = current is null ? null : tiers.Find(t => t.Id == current) ?? await ByIdAsync(sql, current);
        await sql.ExecuteAsync("UPDATE customers SET vip_tier_id = @t, updated_at = @now WHERE id = @c",
            ("t", Sql.Text(target?.Id)), ("now", context.NowMs), ("c", customerId));
        var change = new TierChange(customerId,
            current is null ? null : new TierRef(current, previous?.Name ?? ""),
            target is null ? null : new TierRef(target.Id, target.Name),
            TierRules.Direction(previous, target), reasonFor(previous, target));
        await Events.AddAsync(context, programId, Events.TierChanged, change);
        return true;
    }

    /// <summary>The customer's spend in the last <paramref name="days"/> days, in ten-thousandths.</summary>
    public static async Task<long> SpendAsync(Sql sql, string programId, string customerId, int days, long nowMs) =>
        Convert.ToInt64(await sql.ScalarAsync(SpendSql,
            ("c", customerId), ("p", programId), ("paid", OrderStatus.Paid), ("refunded", OrderStatus.Refunded),
            ("from", WindowStart(nowMs, days))));

    /// <summary>Where a rolling window of <paramref name="days"/> days ending now begins.</summary>
    public static long WindowStart(long nowMs, int days) => nowMs - days * 86_400_000L;

    /// <summary>The program's live tiers.</summary>
    public static Task<List<TierThreshold>> ListAsync(Sql sql, string programId) =>
        sql.ListAsync(
            "SELECT id, name, points_required, spend_required_e4, spend_window_days FROM vip_tiers WHERE program_id = @p AND deleted_at IS NULL",
            r => MapThreshold(r, 0), ("p", programId));

    /// <summary>A tier by id, deleted or not (a deleted tier still names the previous tier of its members).</summary>
    private static Task<TierThreshold?> ByIdAsync(Sql sql, string id) =>
        sql.SingleAsync("SELECT id, name, points_required, spend_required_e4, spend_window_days FROM vip_tiers WHERE id = @id",
            r => MapThreshold(r, 0), ("id", id));

    /// <summary>
    /// Asks for a check of all the program's customers against its tiers at the next pass of
    /// <see cref="Jobs.VipTierJob"/>, starting over if a check was under way (a tier was created,
    /// changed or deleted, so members may move either way).
    /// </summary>
    public static Task ScheduleCheckAsync(WriteContext context, string programId, string reason) =>
        context.Sql.ExecuteAsync(
            """
            INSERT INTO vip_tier_checks (program_id, due_at, after_id, generation, reason) VALUES (@p, @now, NULL, 1, @r)
            ON CONFLICT (program_id) DO UPDATE
            SET due_at = excluded.due_at, after_id = NULL, generation = vip_tier_checks.generation + 1, reason = excluded.reason
            """,
            ("p", programId), ("now", context.NowMs), ("r", reason));
}
