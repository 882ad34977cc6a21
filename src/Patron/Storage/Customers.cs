using System.Data.Common;
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
    public const string Columns =
        "id, external_id, email, phone, first_name, last_name, birthday, status, points_balance, pending_points, " +
        "lifetime_points, points_spent, points_expired, current_stamps, " +
        "(SELECT name FROM vip_tiers t WHERE t.id = customers.vip_tier_id AND t.deleted_at IS NULL) AS vip_tier, " +
        "total_spent_e4, referral_code, qr_code, created_at, updated_at";

    /// <summary>The same columns by name, for reading them from a subquery that selected <see cref="Columns"/>.</summary>
    private const string ColumnNames =
        "id, external_id, email, phone, first_name, last_name, birthday, status, points_balance, pending_points, " +
        "lifetime_points, points_spent, points_expired, current_stamps, vip_tier, total_spent_e4, referral_code, " +
        "qr_code, created_at, updated_at";

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
        UpdatedAt: Time.FromMs(r.GetInt64(19)));

    /// <summary>
    /// A customer of this program by any reference (SPEC section 3): Patron id, external id, email,
    /// phone or QR value, in that order of precedence. Erased customers are not found.
    /// </summary>
    public static Task<CustomerDto?> FindAsync(Sql sql, string programId, string reference)
    {
        var email = reference.Contains('@', StringComparison.Ordinal) ? Contact.NormalizeEmail(reference) : null;
        var phone = reference.Length > 0 && (reference[0] == '+' || char.IsAsciiDigit(reference[0]))
            ? Contact.NormalizePhone(reference) : null;
        return FirstMatchAsync(sql, programId,
            ("id", reference), ("external_id", reference), ("email", email), ("phone", phone), ("qr_code", reference));
    }

    /// <summary>
    /// The customer that create-or-update applies to: matched on external_id, else email, else phone
    /// (SPEC section 3), in one query.
    /// </summary>
    public static Task<CustomerDto?> MatchAsync(Sql sql, string programId, string? externalId, string? email, string? phone) =>
        FirstMatchAsync(sql, programId, ("external_id", externalId), ("email", email), ("phone", phone));

    /// <summary>
    /// One indexed lookup per given identifier, joined with UNION ALL and ranked by precedence. (A
    /// single WHERE with ORs makes SQLite scan the program's customers instead of using the indexes.)
    /// </summary>
    private static Task<CustomerDto?> FirstMatchAsync(Sql sql, string programId, params (string Column, string? Value)[] lookups)
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
            parts.Add($"SELECT {i} AS match_rank, {Columns}, deleted_at FROM customers WHERE program_id = @p AND {column} = @v{i}");
            args.Add(($"v{i}", value));
        }
        if (parts.Count == 0)
        {
            return Task.FromResult<CustomerDto?>(null);
        }
        var union = string.Join(" UNION ALL ", parts);
        return sql.SingleAsync(
            $"SELECT {ColumnNames} FROM ({union}) AS m WHERE deleted_at IS NULL ORDER BY match_rank LIMIT 1",
            Map, [.. args]);
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
            _ => throw new ArgumentOutOfRangeException(nameof(column)),
        };
        return sql.SingleAsync($"SELECT {Columns} FROM customers WHERE program_id = @p AND {where} AND deleted_at IS NULL",
            Map, ("p", programId), ("v", value));
    }

    /// <summary>
    /// A page of the program's live customers in creation order (oldest first), optionally only the one
    /// with an email or external id; <paramref name="afterId"/> is a cursor (a customer id). Reads
    /// <paramref name="take"/> rows, so a caller asking one more than it shows learns whether more follow.
    /// </summary>
    public static Task<List<CustomerDto>> PageAsync(
        Sql sql, string programId, string? email, string? externalId, int take, string? afterId)
    {
        var where = "program_id = @p AND deleted_at IS NULL";
        var args = new List<(string, object?)> { ("p", programId), ("n", take) };
        if (!string.IsNullOrEmpty(email))
        {
            where += " AND email = @e";
            args.Add(("e", Contact.NormalizeEmail(email) ?? email));
        }
        if (!string.IsNullOrEmpty(externalId))
        {
            where += " AND external_id = @x";
            args.Add(("x", externalId));
        }
        if (!string.IsNullOrEmpty(afterId))
        {
            where += " AND id > @after";
            args.Add(("after", afterId));
        }
        return sql.ListAsync($"SELECT {Columns} FROM customers WHERE {where} ORDER BY id LIMIT @n", Map, [.. args]);
    }

    public static string SearchText(string? firstName, string? lastName, string? email) =>
        string.Join(' ', new[] { firstName, lastName, email }.Where(s => !string.IsNullOrEmpty(s))).ToLowerInvariant();
}
