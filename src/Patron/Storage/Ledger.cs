using System.Data.Common;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// The only code that changes a points balance (DESIGN.md "one write path"). In the caller's
/// transaction it checks the <c>reference</c>, moves the balance with a conditional update (so no
/// interleaving can overspend), keeps the expiry lots, appends the immutable entry and writes its
/// <c>points.created</c> event (<c>points.expired</c> for an expiry).
/// </summary>
/// <remarks>
/// An entry is <c>available</c> (in <c>points_balance</c>) or <c>pending</c> (in <c>pending_points</c>
/// until <c>available_at</c>, when <see cref="MatureAsync"/> makes it available). A positive available
/// entry is a lot: <c>remaining</c> is what spending, reversal and expiry have not yet taken from it,
/// oldest lot first, and <c>expires_at</c> is when that remainder expires. The database derives
/// <c>lot_open</c> (<c>remaining &gt; 0</c>), and open lots are found by it: no index holds <c>remaining</c>, so a
/// spend that leaves its lot open changes no indexed value (migration 0028).
/// </remarks>
public static partial class Ledger
{
    public const string Columns =
        "id, customer_id, points, type, description, reference, balance_after, created_by, created_at, status, available_at, expires_at, order_id, label";

    public const string Available = "available";
    public const string Pending = "pending";

    public static PointsTransactionDto Map(DbDataReader r) => new(
        Id: r.GetString(0),
        CustomerId: r.GetString(1),
        Points: r.GetInt64(2),
        Type: r.GetString(3),
        Description: r.StringOrNull(4),
        Reference: r.StringOrNull(5),
        BalanceAfter: r.GetInt64(6),
        CreatedBy: r.GetString(7),
        CreatedAt: Time.FromMs(r.GetInt64(8)),
        Status: r.GetString(9),
        AvailableAt: r.Int64OrNull(10) is { } a ? Time.FromMs(a) : null,
        ExpiresAt: r.Int64OrNull(11) is { } e ? Time.FromMs(e) : null,
        OrderId: r.StringOrNull(12),
        Label: r.StringOrNull(13));

    /// <summary>One entry to write.</summary>
    /// <param name="AvailableAtMs">A time after now makes the entry pending until then.</param>
    /// <param name="FromLot">For expiry: take the points from this lot rather than the oldest.</param>
    /// <param name="EvaluateTiers">False when the caller evaluates the customer's tier itself once it is done.</param>
    /// <param name="Label">The caller's own name for the entry, shown as its <c>type</c>; <paramref name="Type"/> is its kind.</param>
    /// <param name="NewReference">
    /// The <paramref name="Reference"/> is an id minted for this entry, so no entry can hold it yet: it is not looked up
    /// first (the unique index on references still refuses a second one).
    /// </param>
    /// <param name="OwnReference">
    /// The <paramref name="Reference"/> is one of Patron's own (<see cref="OwnReferencePrefixes"/>), for an entry its caller
    /// writes once, under the change of state that calls for it. Only such an entry may carry one.
    /// </param>
    public sealed record Entry(
        string ProgramId, string CustomerId, long Points, string Type, string? Description, string? Reference,
        string CreatedBy, string? OrderId = null, string? Source = null, long? AvailableAtMs = null, string? FromLot = null,
        bool EvaluateTiers = true, string? Label = null, bool NewReference = false, bool OwnReference = false);

    /// <summary>
    /// How the references of Patron's own entries start: a cancelled redemption's refund (<c>cancel:red_...</c>) and a
    /// referral's credits (<c>referral:cus_...</c>). A caller's reference may not start so (docs/API.md), so that no
    /// entry a client posts can take one first and turn Patron's entry into a repeat of it.
    /// </summary>
    public static readonly string[] OwnReferencePrefixes = [CancelledRedemptionPrefix, ReferralPrefix];

    /// <summary>Refuses a caller's reference that starts as Patron's own do (<see cref="OwnReferencePrefixes"/>), naming <paramref name="param"/>.</summary>
    public static void CheckCallerReference(string? reference, string param)
    {
        if (reference is not null && OwnReferencePrefixes.FirstOrDefault(p => reference.StartsWith(p, StringComparison.Ordinal)) is { } own)
        {
            throw OperationException.Invalid(param, $"'{param}' may not start with '{own}': Patron names its own entries so.");
        }
    }

    public const string CancelledRedemptionPrefix = "cancel:";
    public const string ReferralPrefix = "referral:";

    /// <param name="Tier">
    /// What the balance update returned about the customer's tier, when the entry moved the available balance:
    /// for a caller that evaluates the tier itself (<see cref="Entry.EvaluateTiers"/> false).
    /// </param>
    public sealed record Posted(PointsTransactionDto Transaction, bool Created, Tiers.AfterBalance? Tier = null);

    public static Task<Posted> PostAsync(
        WriteContext context, string programId, string customerId, long points, string type,
        string? description, string? reference, string createdBy) =>
        PostAsync(context, new Entry(programId, customerId, points, type, description, reference, createdBy));

    public static async Task<Posted> PostAsync(WriteContext context, Entry e) => (await PostAsync(context, e, activeOnly: false))!;

    /// <summary>
    /// Posts a new available entry only if <see cref="Entry.CustomerId"/> names an active customer of the program
    /// (not blocked, not erased) whose balance bounds allow it; the customer is checked by the balance update
    /// itself, so a write that names its customer by Patron id needs no lookup first. Null, with nothing
    /// written, when the update refuses or the entry's <c>reference</c> is already taken: the caller then
    /// looks the customer up and posts with <see cref="PostAsync(WriteContext, Entry)"/>, which tells why.
    /// </summary>
    public static Task<Posted?> PostToActiveCustomerAsync(WriteContext context, Entry e) =>
        e.AvailableAtMs is null
            ? PostAsync(context, e, activeOnly: true)
            : throw new ArgumentException("Only an available entry is posted without a customer lookup.", nameof(e));

    private static async Task<Posted?> PostAsync(WriteContext context, Entry e, bool activeOnly)
    {
        var sql = context.Sql;
        if (e.Reference is { } reference && !e.NewReference)
        {
            if (!e.OwnReference)
            {
                CheckCallerReference(reference, "reference");
            }
            if (await ByReferenceAsync(sql, e.CustomerId, reference) is { } existing)
            {
                if (!e.OwnReference)
                {
                    return activeOnly ? null : new Posted(existing, false);
                }
                // Written once by its caller, so the entry holding it is a client's, posted before such references were
                // refused: Patron's entry is still written, without the reference.
                e = e with { Reference = null };
            }
        }

        var pending = e.AvailableAtMs is { } at && at > context.NowMs;
        long balance, remaining = 0;
        long? expiresAt = null;
        Tiers.AfterBalance? tier = null;
        if (pending)
        {
            // Pending points count toward the balance bound, so that they always fit once available.
            balance = Convert.ToInt64(await sql.ScalarAsync(
                """
                UPDATE customers SET pending_points = pending_points + @pts, updated_at = @now
                WHERE id = @c AND program_id = @p AND (@pts <= 0 OR points_balance + pending_points <= @maxb - @pts)
                RETURNING points_balance
                """,
                ("pts", e.Points), ("now", context.NowMs), ("c", e.CustomerId), ("p", e.ProgramId), ("maxb", Limits.MaxBalance))
                ?? throw await NotMovedAsync(sql, e.ProgramId, e.CustomerId, e.Points));
        }
        else
        {
            if (await MoveBalanceAsync(context, e.ProgramId, e.CustomerId, e.Points, e.Type, e.FromLot, activeOnly) is not { } moved)
            {
                return null;
            }
            (balance, remaining, expiresAt, tier) = moved;
        }

        var entry = new PointsTransactionDto(
            Ids.New("ptx_"), e.CustomerId, e.Points, e.Type, e.Description, e.Reference, balance, e.CreatedBy, context.Now,
            pending ? Pending : Available, pending ? Time.FromMs(e.AvailableAtMs!.Value) : null,
            expiresAt is { } x ? Time.FromMs(x) : null, e.OrderId, e.Label);
        // The entry and its event in one statement on PostgreSQL (one round trip; Events.AddAsync).
        await Events.AddAsync(context, InsertSql,
            [
                ("p", e.ProgramId), ("id", entry.Id), ("c", e.CustomerId), ("pts", e.Points), ("t", e.Type), ("d", Sql.Text(e.Description)),
                ("r", Sql.Text(e.Reference)), ("ba", balance), ("by", e.CreatedBy), ("at", context.NowMs), ("st", entry.Status),
                ("aa", Sql.Int64(pending ? e.AvailableAtMs : null)), ("ea", Sql.Int64(expiresAt)), ("o", Sql.Text(e.OrderId)),
                ("label", Sql.Text(e.Label)), ("rem", remaining), ("src", Sql.Text(e.Source)),
            ],
            e.ProgramId, EventTypes.OfLedgerEntry(e.Type), entry);
        if (e.EvaluateTiers && tier is { } afterBalance && LedgerRules.Deltas(e.Type, e.Points).Lifetime > 0)
        {
            await Tiers.EvaluateAsync(context, e.ProgramId, e.CustomerId, afterBalance, TierRules.Reasons.LifetimePoints);
        }
        return new Posted(entry, true, tier);
    }

    private const string InsertSql =
        $"""
        INSERT INTO points_transactions (program_id, {Columns}, remaining, source)
        VALUES (@p, @id, @c, @pts, @t, @d, @r, @ba, @by, @at, @st, @aa, @ea, @o, @label, @rem, @src)
        """;

    /// <summary>One entry of this program by its id, or null: another program's entry is as missing as none.</summary>
    public static Task<PointsTransactionDto?> ByIdAsync(Sql sql, string programId, string id) =>
        sql.SingleAsync($"SELECT {Columns} FROM points_transactions WHERE id = @id AND program_id = @p",
            Map, ("id", id), ("p", programId));

    /// <summary>The customer's entry with this <c>reference</c>, if any (a reference is unique per customer).</summary>
    public static Task<PointsTransactionDto?> ByReferenceAsync(Sql sql, string customerId, string reference) =>
        sql.SingleAsync($"SELECT {Columns} FROM points_transactions WHERE customer_id = @c AND reference = @r",
            Map, ("c", customerId), ("r", reference));

    /// <summary>
    /// The balance update. Its answer also carries what the rest of the entry needs, read in the same
    /// statement to save round trips: the points' lifetime; the customer's tier, lifetime points and the
    /// version of the program's tiers (<see cref="Tiers.AfterBalance"/>); and, on PostgreSQL, whether any
    /// webhook endpoint is enabled (SQLite keeps those in a cache). Being read by this statement, they are
    /// at least as new as every change committed before the write began.
    /// </summary>
    private const string MoveSql = MoveUpdate + MoveReturning;

    private const string MoveSqlPostgres = MoveSql + MoveReturningPostgres;

    /// <summary>The balance update of <see cref="PostToActiveCustomerAsync"/>: it also refuses a blocked or erased customer.</summary>
    private const string MoveActiveSql = MoveUpdate + "\n  AND status = 'active' AND deleted_at IS NULL" + MoveReturning;

    private const string MoveActiveSqlPostgres = MoveActiveSql + MoveReturningPostgres;

    private const string MoveUpdate =
        """
        UPDATE customers
        SET points_balance = points_balance + @b, lifetime_points = lifetime_points + @l,
            points_spent = points_spent + @s, points_expired = points_expired + @x, updated_at = @now
        WHERE id = @c AND program_id = @p AND (@b >= 0 OR @debt = 1 OR points_balance + @b >= 0)
          AND (@b <= 0 OR points_balance + pending_points <= @maxb - @b)
          AND lifetime_points <= @maxl - @l AND points_spent <= @maxl - @s AND points_expired <= @maxl - @x
        """;

    private const string MoveReturning =
        """

        RETURNING points_balance, (SELECT points_expiry_days FROM programs WHERE id = @p),
            vip_tier_id, lifetime_points, (SELECT tiers_version FROM programs WHERE id = @p)
        """;

    private const string MoveReturningPostgres = ",\n    EXISTS (SELECT 1 FROM webhook_endpoints WHERE program_id = @p AND enabled)";

    private sealed record Moved(long Balance, long? ExpiryDays, Tiers.AfterBalance Tier, bool WebhookEndpoints);

    /// <summary>
    /// Moves the available balance and the counters in one conditional update, then keeps the lots:
    /// a positive amount becomes a lot (after paying any debt), a negative one takes from the lots.
    /// With <paramref name="activeOnly"/>, a refused update (the customer is not active, or the bounds) is null
    /// rather than the refusal's error.
    /// </summary>
    private static async Task<(long Balance, long Remaining, long? ExpiresAt, Tiers.AfterBalance Tier)?> MoveBalanceAsync(
        WriteContext context, string programId, string customerId, long points, string type, string? fromLot, bool activeOnly = false)
    {
        var sql = context.Sql;
        var d = LedgerRules.Deltas(type, points);
        var sqlite = context.Database.IsSqlite;
        var after = await sql.SingleAsync(activeOnly ? sqlite ? MoveActiveSql : MoveActiveSqlPostgres : sqlite ? MoveSql : MoveSqlPostgres,
            r => new Moved(r.GetInt64(0), r.Int64OrNull(1), new Tiers.AfterBalance(r.StringOrNull(2), r.GetInt64(3), r.Int64OrNull(4)),
                r.FieldCount > 5 && r.GetBoolean(5)),
            ("b", d.Balance), ("l", d.Lifetime), ("s", d.Spent), ("x", d.Expired), ("now", context.NowMs),
            ("debt", LedgerRules.MayCreateDebt(type) ? 1 : 0), ("c", customerId), ("p", programId),
            ("maxb", Limits.MaxBalance), ("maxl", Limits.MaxLifetimePoints));
        if (after is null)
        {
            if (activeOnly)
            {
                return null;
            }
            throw await NotMovedAsync(sql, programId, customerId, points);
        }
        context.ProgramWithoutWebhookEndpoints = !context.Database.IsSqlite && !after.WebhookEndpoints ? programId : null;
        var balance = after.Balance;
        var before = balance - points;

        if (points > 0)
        {
            long? expiresAt = after.ExpiryDays is { } days ? context.Now.AddDays(days).ToUnixTimeMilliseconds() : null;
            return (balance, LedgerRules.LotRemaining(before, points), expiresAt, after.Tier);
        }

        var take = LedgerRules.TakenFromLots(before, points);
        if (fromLot is not null)
        {
            await sql.ExecuteAsync("UPDATE points_transactions SET remaining = remaining - @t WHERE id = @id AND remaining >= @t",
                ("t", take), ("id", fromLot));
            return (balance, 0, null, after.Tier);
        }
        await TakeFromLotsAsync(sql, sqlite, customerId, take);
        return (balance, 0, null, after.Tier);
    }

    /// <summary>Takes <paramref name="take"/> points from the customer's lots, oldest first.</summary>
    private static async Task TakeFromLotsAsync(Sql sql, bool sqlite, string customerId, long take)
    {
        if (!sqlite)
        {
            while (take > 0)
            {
                var parts = await sql.ListAsync(TakeFromLotsSql, r => r.GetInt64(0), ("c", customerId), ("t", take));
                take -= parts.Count > 0 ? parts.Sum() : throw LotsShort(customerId);
            }
            return;
        }
        // Most spends are covered by the oldest lot: one statement takes from it when it holds enough, and changes no
        // row when it does not. Only then are the lots read, as far as the take reaches.
        if (await sql.ExecuteAsync(TakeFromOldestLotSql, ("t", take), ("c", customerId)) == 1)
        {
            return;
        }
        while (take > 0)
        {
            // Only the lots the take reaches are read: each is a row of its own, often on a page of its own.
            var reached = 0L;
            var lots = await sql.ListUntilAsync(OpenLotsSql,
                r => (Id: r.GetString(0), Remaining: r.GetInt64(1)), lot => (reached += lot.Remaining) >= take, ("c", customerId));
            if (lots.Count == 0)
            {
                throw LotsShort(customerId);
            }
            foreach (var lot in lots)
            {
                var part = Math.Min(take, lot.Remaining);
                await sql.ExecuteAsync("UPDATE points_transactions SET remaining = remaining - @t WHERE id = @id",
                    ("t", part), ("id", lot.Id));
                take -= part;
                if (take == 0)
                {
                    break;
                }
            }
        }
    }

    /// <summary>SQLite: the customer's 50 oldest open lots, read only as far as a spend reaches.</summary>
    internal const string OpenLotsSql =
        "SELECT id, remaining FROM points_transactions WHERE customer_id = @c AND lot_open ORDER BY id LIMIT 50";

    /// <summary>SQLite: takes <c>@t</c> points from the customer's oldest lot if it holds that many.</summary>
    internal const string TakeFromOldestLotSql =
        """
        UPDATE points_transactions SET remaining = remaining - @t
        WHERE id = (SELECT id FROM points_transactions WHERE customer_id = @c AND lot_open ORDER BY id LIMIT 1)
          AND remaining >= @t
        """;

    /// <summary>
    /// PostgreSQL: takes up to <c>@t</c> points from the customer's oldest lots, each lot what the older ones left to
    /// take, and returns each part taken. The lots are walked one index step at a time and the walk stops at the lot
    /// that completes the take (or after 1,000 lots; the caller then walks again), so a spend reads only the lots it
    /// reaches, however many the customer holds. (SQLite's <c>RETURNING</c> cannot name the lots it joins, and a
    /// statement there costs no round trip: it takes lot by lot.)
    /// </summary>
    internal const string TakeFromLotsSql =
        """
        WITH RECURSIVE walk (id, remaining, before, n) AS (
            (SELECT id, remaining, 0::bigint, 1 FROM points_transactions
             WHERE customer_id = @c AND lot_open ORDER BY id LIMIT 1)
            UNION ALL
            (SELECT next.id, next.remaining, walk.before + walk.remaining, walk.n + 1
             FROM walk CROSS JOIN LATERAL (
                 SELECT id, remaining FROM points_transactions
                 WHERE customer_id = @c AND lot_open AND id > walk.id ORDER BY id LIMIT 1) AS next
             WHERE walk.before + walk.remaining < @t AND walk.n < 1000))
        UPDATE points_transactions AS lot SET remaining = lot.remaining - LEAST(walk.remaining, @t - walk.before)
        FROM walk WHERE lot.id = walk.id
        RETURNING LEAST(walk.remaining, @t - walk.before)
        """;

    /// <summary>The lots always add up to max(balance, 0); running out means the books are wrong.</summary>
    private static InvalidOperationException LotsShort(string customerId) =>
        new($"Customer {customerId} has fewer points in lots than in the balance.");

    /// <summary>
    /// Why a balance update matched no row: no such customer, a deduction larger than the balance, or a
    /// credit that would pass the bounds of docs/API.md "Limits" (checked arithmetic: refused, never wrapped).
    /// </summary>
    private static async Task<OperationException> NotMovedAsync(Sql sql, string programId, string customerId, long points)
    {
        // Decided by the sign alone: re-reading the balance could see a later commit (PostgreSQL) and misname the cause.
        if (await sql.ScalarAsync("SELECT id FROM customers WHERE id = @c AND program_id = @p", ("c", customerId), ("p", programId)) is null)
        {
            return OperationException.NotFound("customer", customerId);
        }
        return points < 0
            ? OperationException.Unprocessable("insufficient_points", $"The customer does not have {-points} points to deduct.", "points")
            : OperationException.Unprocessable("balance_limit",
                $"This would take the customer past {Limits.MaxBalance} points held (available and pending together).", "points");
    }

    /// <summary>
    /// Takes the customer's row lock first, so that what an operation reads next (a lot's remainder,
    /// an entry's status) cannot change under it on PostgreSQL. SQLite has a single writer already.
    /// </summary>
    public static Task LockCustomerAsync(WriteContext context, string customerId) =>
        context.Database.IsSqlite
            ? Task.CompletedTask
            : context.Sql.ExecuteAsync("SELECT id FROM customers WHERE id = @c FOR UPDATE", ("c", customerId));

    /// <summary>Makes one pending entry available, if it still is pending and due. Returns whether it did.</summary>
    public static async Task<bool> MatureAsync(WriteContext context, string entryId, string customerId)
    {
        var sql = context.Sql;
        await LockCustomerAsync(context, customerId);
        var found = await sql.ListAsync(
            "SELECT program_id, points, type FROM points_transactions WHERE id = @id AND status = 'pending' AND available_at <= @now",
            r => (ProgramId: r.GetString(0), Points: r.GetInt64(1), Type: r.GetString(2)), ("id", entryId), ("now", context.NowMs));
        if (found.Count == 0)
        {
            return false;
        }
        var entry = found[0];
        await sql.ExecuteAsync("UPDATE customers SET pending_points = pending_points - @pts WHERE id = @c",
            ("pts", entry.Points), ("c", customerId));
        var (_, remaining, expiresAt, tier) = (await MoveBalanceAsync(context, entry.ProgramId, customerId, entry.Points,
            // A pending reversal may meet a balance that was spent meanwhile: it becomes debt, like any reversal.
            entry.Points < 0 ? PointsTypes.Reversed : entry.Type, null))!.Value;
        await sql.ExecuteAsync(
            "UPDATE points_transactions SET status = 'available', remaining = @rem, expires_at = @ea WHERE id = @id",
            ("rem", remaining), ("ea", Sql.Int64(expiresAt)), ("id", entryId));
        if (LedgerRules.Deltas(entry.Type, entry.Points).Lifetime > 0)
        {
            await Tiers.EvaluateAsync(context, entry.ProgramId, customerId, tier, TierRules.Reasons.LifetimePoints);
        }
        return true;
    }

    /// <summary>Expires what is left of one lot, if anything is left and it is due. Returns the points expired.</summary>
    public static async Task<long> ExpireLotAsync(WriteContext context, string lotId, string customerId)
    {
        await LockCustomerAsync(context, customerId);
        var found = await context.Sql.ListAsync(
            "SELECT program_id, remaining FROM points_transactions WHERE id = @id AND lot_open AND expires_at <= @now",
            r => (ProgramId: r.GetString(0), Remaining: r.GetInt64(1)), ("id", lotId), ("now", context.NowMs));
        if (found.Count == 0)
        {
            return 0;
        }
        var lot = found[0];
        await PostAsync(context, new Entry(lot.ProgramId, customerId, -lot.Remaining, PointsTypes.Expired,
            "Points expired", null, "system", FromLot: lotId));
        return lot.Remaining;
    }
}
