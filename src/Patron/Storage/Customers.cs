using System.Data.Common;
using Microsoft.Data.Sqlite;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>Customer rows: lookups by any reference, and the columns every read maps.</summary>
public static class Customers
{
    /// <summary>What an earning needs of a customer: whether they may earn, and their tier.</summary>
    public sealed record State(string Id, string Status, string? TierId)
    {
        public bool MayEarn => CustomerStatus.MayEarn(Status);
    }

    /// <summary>The state of a customer known to exist (by id).</summary>
    public static async Task<State> StateAsync(Sql sql, string programId, string customerId) =>
        (await sql.ListAsync("SELECT id, status, vip_tier_id FROM customers WHERE id = @c AND program_id = @p",
            r => new State(r.GetString(0), r.GetString(1), r.StringOrNull(2)), ("c", customerId), ("p", programId)))[0];

    /// <summary>
    /// What <see cref="Map"/> reads, from <c>FROM customers</c> (not aliased): the tier's name comes from
    /// a correlated lookup by primary key, null without a live tier.
    /// </summary>
    /// <remarks>
    /// <c>pending_points</c> is the ledger's pending entries plus what the customer's placed (unpaid)
    /// orders would earn (docs/API.md, Orders): those become earned when paid and vanish when cancelled.
    /// </remarks>
    public const string Columns =
        "id, external_id, email, phone, first_name, last_name, birthday, status, points_balance, " +
        "pending_points + (SELECT CAST(COALESCE(SUM(o.points_placed), 0) AS BIGINT) FROM orders o " +
        "WHERE o.customer_id = customers.id AND o.status = 'placed') AS pending_points, " +
        "lifetime_points, points_spent, points_expired, current_stamps, " +
        "(SELECT name FROM vip_tiers t WHERE t.id = customers.vip_tier_id AND t.deleted_at IS NULL) AS vip_tier, " +
        "total_spent_e4, referral_code, qr_code, created_at, updated_at, notes";

    /// <summary>The same columns by name, for reading them from a subquery that selected <see cref="Columns"/>.</summary>
    private const string ColumnNames =
        "id, external_id, email, phone, first_name, last_name, birthday, status, points_balance, pending_points, " +
        "lifetime_points, points_spent, points_expired, current_stamps, vip_tier, total_spent_e4, referral_code, " +
        "qr_code, created_at, updated_at, notes";

    public static CustomerDto Map(DbDataReader r) => new(
        Id: r.GetString(0),
        ExternalId: r.StringOrNull(1),
        Email: r.StringOrNull(2),
        Phone: r.StringOrNull(3),
        FirstName: r.StringOrNull(4),
        LastName: r.StringOrNull(5),
        Birthday: r.StringOrNull(6),
        Status: r.GetString(7),
        PointsBalance: r.GetInt64(8),
        PendingPoints: r.GetInt64(9),
        LifetimePoints: r.GetInt64(10),
        PointsSpent: r.GetInt64(11),
        PointsExpired: r.GetInt64(12),
        CurrentStamps: r.GetInt64(13),
        VipTier: r.StringOrNull(14),
        TotalSpent: Money.FromE4(r.GetInt64(15)),
        ReferralCode: r.GetString(16),
        QrCode: r.GetString(17),
        CreatedAt: Time.FromMs(r.GetInt64(18)),
        UpdatedAt: Time.FromMs(r.GetInt64(19)),
        Notes: r.StringOrNull(20));

    /// <summary>How every Patron customer id begins.</summary>
    public const string IdPrefix = "cus_";

    /// <summary>
    /// What a write needs of the customer it names: the id, the status (a blocked customer earns and
    /// spends nothing) and the balance before the write. Read without <see cref="Columns"/>' pending-orders
    /// sum and tier name, which a write does not answer with.
    /// </summary>
    public sealed record Target(string Id, string Status, long PointsBalance);

    /// <summary>The write's view of a customer already read in full.</summary>
    public static Target TargetOf(CustomerDto customer) => new(customer.Id, customer.Status, customer.PointsBalance);

    private const string TargetColumns = "id, status, points_balance";

    private static Target MapTarget(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetInt64(2));

    /// <summary>
    /// A customer of this program by any reference (docs/API.md): Patron id, external id, email,
    /// phone or QR value, in that order of precedence. Erased customers are not found.
    /// </summary>
    public static Task<CustomerDto?> FindAsync(Sql sql, string programId, string reference) =>
        FindAsync(sql, programId, reference, Columns, ColumnNames, Map);

    /// <summary>The customer a write names, by any reference, as <see cref="FindAsync(Sql, string, string)"/> finds them.</summary>
    public static Task<Target?> FindTargetAsync(Sql sql, string programId, string reference) =>
        FindAsync(sql, programId, reference, TargetColumns, TargetColumns, MapTarget);

    public static async Task<Target> GetTargetAsync(Sql sql, string programId, string reference) =>
        await FindTargetAsync(sql, programId, reference) ?? throw OperationException.NotFound("customer", reference);

    private static async Task<T?> FindAsync<T>(
        Sql sql, string programId, string reference, string columns, string names, Func<DbDataReader, T> map) where T : class
    {
        // A Patron id outranks every other reference, so when it names a customer, one primary-key lookup is the
        // answer. Most calls (every write by id, on the single SQLite writer) end here instead of in three lookups and a sort.
        var isIdShaped = reference.StartsWith(IdPrefix, StringComparison.Ordinal);
        if (isIdShaped && await sql.SingleAsync($"SELECT {columns} FROM customers WHERE program_id = @p AND id = @id AND deleted_at IS NULL",
                map, ("p", programId), ("id", reference)) is { } byId)
        {
            return byId;
        }
        var email = reference.Contains('@', StringComparison.Ordinal) ? Contact.NormalizeEmail(reference) : null;
        var phone = reference.Length > 0 && (reference[0] == '+' || char.IsAsciiDigit(reference[0]))
            ? Contact.NormalizePhone(reference) : null;
        // The id was just looked up (and names no live customer) when the reference has its shape: not again.
        return await FirstMatchAsync(sql, programId, columns, names, map,
            ("id", isIdShaped ? null : reference), ("external_id", reference), ("email", email), ("phone", phone), ("qr_code", reference));
    }

    /// <summary>
    /// The customer that create-or-update applies to: matched on external_id, else email, else phone
    /// (docs/API.md), in one query.
    /// </summary>
    public static Task<CustomerDto?> MatchAsync(Sql sql, string programId, string? externalId, string? email, string? phone) =>
        FirstMatchAsync(sql, programId, Columns, ColumnNames, Map, ("external_id", externalId), ("email", email), ("phone", phone));

    /// <summary>
    /// One indexed lookup per given identifier, joined with UNION ALL and ranked by precedence. (A
    /// single WHERE with ORs makes SQLite scan the program's customers instead of using the indexes.)
    /// <paramref name="names"/> reads <paramref name="columns"/> back by name from the union.
    /// </summary>
    private static Task<T?> FirstMatchAsync<T>(Sql sql, string programId, string columns, string names, Func<DbDataReader, T> map,
        params (string Column, string? Value)[] lookups) where T : class
    {
        var parts = new List<string>(lookups.Length);
        var args = new List<(string, object?)>(lookups.Length + 1) { ("p", programId) };
        for (var i = 0; i < lookups.Length; i++)
        {
            var (column, value) = lookups[i];
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }
            parts.Add($"SELECT {i} AS match_rank, {columns}, deleted_at FROM customers WHERE program_id = @p AND {column} = @v{i}");
            args.Add(($"v{i}", value));
        }
        if (parts.Count == 0)
        {
            return Task.FromResult<T?>(null);
        }
        var union = string.Join(" UNION ALL ", parts);
        return sql.SingleAsync(
            $"SELECT {names} FROM ({union}) AS m WHERE deleted_at IS NULL ORDER BY match_rank LIMIT 1",
            map, [.. args]);
    }

    public static async Task<CustomerDto> GetAsync(Sql sql, string programId, string reference) =>
        await FindAsync(sql, programId, reference) ?? throw OperationException.NotFound("customer", reference);

    public static Task<CustomerDto?> ByIdAsync(Sql sql, string programId, string id) =>
        sql.SingleAsync($"SELECT {Columns} FROM customers WHERE program_id = @p AND id = @id AND deleted_at IS NULL",
            Map, ("p", programId), ("id", id));

    /// <summary>Finds by one unique column; used by create-or-update matching and duplicate checks.</summary>
    public static Task<CustomerDto?> ByColumnAsync(Sql sql, string programId, string column, string value)
    {
        var where = column switch
        {
            "external_id" => "external_id = @v",
            "email" => "email = @v",
            "phone" => "phone = @v",
            "referral_code" => "referral_code = @v",
            "qr_code" => "qr_code = @v",
            _ => throw new ArgumentOutOfRangeException(nameof(column)),
        };
        return sql.SingleAsync($"SELECT {Columns} FROM customers WHERE program_id = @p AND {where} AND deleted_at IS NULL",
            Map, ("p", programId), ("v", value));
    }

    /// <summary>What a page of customers is ordered by; the id breaks ties, in the same direction.</summary>
    public enum SortKey { CreatedAt, UpdatedAt, Name, PointsBalance }

    /// <summary>
    /// One page of the program's live customers, with the count of all that match. <paramref name="search"/>
    /// matches part of the name or email (any case) or of the phone; <paramref name="status"/> is
    /// <c>active</c> or <c>blocked</c>, or null for both.
    /// </summary>
    public static async Task<(List<CustomerDto> Rows, long Total)> PageAsync(
        Sql sql, string programId, string? search, string? status, SortKey sortBy, bool descending, int limit, int offset)
    {
        var filter = new ListFilter(programId).Live()
            .Search(sql.IsSqlite, search, "(search_text LIKE @s ESCAPE '\\' OR phone LIKE @s ESCAPE '\\')",
                [("s", ListFilter.ContainsPattern(search ?? ""))])
            .When(status is not null, "status = @status", ("status", status));
        var (where, args) = (filter.Where, filter.Args);
        var direction = descending ? "DESC" : "ASC";
        var order = sortBy switch
        {
            SortKey.UpdatedAt => $"updated_at {direction}",
            SortKey.Name => $"LOWER(COALESCE(first_name, '')) {direction}, LOWER(COALESCE(last_name, '')) {direction}",
            SortKey.PointsBalance => $"points_balance {direction}",
            _ => $"created_at {direction}",
        };
        var total = Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM customers WHERE {where}", [.. args]));
        var rows = await sql.ListAsync(
            $"SELECT {Columns} FROM customers WHERE {where} ORDER BY {order}, id {direction} LIMIT @limit OFFSET @offset",
            Map, [.. args, ("limit", limit), ("offset", offset)]);
        return (rows, total);
    }

    /// <summary>A customer's most recent ledger entries, newest first (at most <paramref name="limit"/>).</summary>
    public static Task<List<PointsTransactionDto>> RecentEntriesAsync(Sql sql, string programId, string customerId, int limit) =>
        sql.ListAsync($"SELECT {Ledger.Columns} FROM points_transactions WHERE customer_id = @c AND program_id = @p ORDER BY id DESC LIMIT @n",
            Ledger.Map, ("c", customerId), ("p", programId), ("n", limit));

    /// <summary>The core's rule for points a customer spends or earns by their own action: a blocked customer may not.</summary>
    public static void EnsureNotBlocked(CustomerDto customer) => CustomerStatus.EnsureNotBlocked(customer.Status);

    /// <summary>
    /// One entry of a customer's recent activity: stamps recorded, a ledger entry, or a redemption. <c>At</c>
    /// is when it happened: a redemption's latest change (used, cancelled, else issued).
    /// </summary>
    public sealed record ActivityItem(
        string Kind, string Id, DateTimeOffset At, long? Stamps = null, long? RewardsIssued = null, long? Points = null,
        string? PointsType = null, string? Description = null, string? RewardId = null, string? Source = null, string? Status = null);

    /// <summary>
    /// The customer's latest <paramref name="limit"/> stamp recordings, ledger entries and redemptions
    /// (each with its current status), newest first; a redemption issued by a stamp recording comes before
    /// it. Each kind is read through its (customer_id, id) index (a redemption used later is still found
    /// among the customer's latest redemptions by creation, which is what bounds the read).
    /// </summary>
    public static async Task<List<ActivityItem>> RecentActivityAsync(Sql sql, string programId, string customerId, int limit, long nowMs)
    {
        (string, object?)[] args = [("p", programId), ("c", customerId), ("n", limit)];
        var stamps = await sql.ListAsync(
            "SELECT id, stamps, rewards_issued, created_at FROM stamp_events WHERE customer_id = @c AND program_id = @p ORDER BY id DESC LIMIT @n",
            r => new ActivityItem("stamps", r.GetString(0), Time.FromMs(r.GetInt64(3)), Stamps: r.GetInt64(1), RewardsIssued: r.GetInt64(2)),
            args);
        var points = await sql.ListAsync(
            "SELECT id, points, type, description, created_at FROM points_transactions WHERE customer_id = @c AND program_id = @p ORDER BY id DESC LIMIT @n",
            r => new ActivityItem("points", r.GetString(0), Time.FromMs(r.GetInt64(4)), Points: r.GetInt64(1), PointsType: r.GetString(2),
                Description: r.StringOrNull(3)),
            args);
        var redemptions = await sql.ListAsync(
            $"SELECT {Redemptions.Columns} FROM redemptions WHERE customer_id = @c AND program_id = @p ORDER BY id DESC LIMIT @n",
            Redemptions.Mapper(nowMs), args);
        return stamps.Concat(points)
            .Concat(redemptions.Select(x => new ActivityItem("redemption", x.Id, x.UsedAt ?? x.CancelledAt ?? x.CreatedAt,
                Points: x.PointsSpent == 0 ? null : -x.PointsSpent, RewardId: x.RewardId, Source: x.Source, Status: x.Status)))
            .OrderByDescending(a => a.At).ThenBy(a => a.Kind == "redemption" ? 0 : 1).ThenByDescending(a => a.Id, StringComparer.Ordinal)
            .Take(limit).ToList();
    }

    /// <summary>
    /// A page of the program's live customers in creation order (oldest first), optionally only the one
    /// with an email or external id; <paramref name="afterId"/> is a cursor (a customer id). Reads
    /// <paramref name="take"/> rows, so a caller asking one more than it shows learns whether more follow.
    /// </summary>
    public static Task<List<CustomerDto>> PageAfterAsync(
        Sql sql, string programId, string? email, string? externalId, int take, string? afterId)
    {
        var filter = new ListFilter(programId).Live()
            .Add("email = @e", "e", string.IsNullOrEmpty(email) ? null : Contact.NormalizeEmail(email) ?? email)
            .Add("external_id = @x", "x", externalId)
            .After(afterId);
        return sql.ListAsync($"SELECT {Columns} FROM customers WHERE {filter.Where} ORDER BY id LIMIT @n", Map, [.. filter.Args, ("n", take)]);
    }

    public static string SearchText(string? firstName, string? lastName, string? email) =>
        string.Join(' ', new[] { firstName, lastName, email }.Where(s => !string.IsNullOrEmpty(s))).ToLowerInvariant();
}
