using System.Data.Common;
using Patron.Api;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>Customer rows: lookups by any reference, and the columns every read maps.</summary>
public static class Customers
{
    public const string Columns =
        "id, external_id, email, phone, first_name, last_name, birthday, status, points_balance, pending_points, " +
        "lifetime_points, points_spent, points_expired, current_stamps, vip_tier_id, total_spent_e4, referral_code, " +
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
        VipTier: null,
        TotalSpent: Money.FromE4(r.GetInt64(15)),
        ReferralCode: r.GetString(16),
        QrCode: r.GetString(17),
        CreatedAt: PatronJson.FromMs(r.GetInt64(18)),
        UpdatedAt: PatronJson.FromMs(r.GetInt64(19)));

    /// <summary>
    /// A customer of this program by any reference (SPEC section 3): Patron id, external id, email,
    /// phone or QR value, in that order of precedence. Erased customers are not found.
    /// </summary>
    public static Task<CustomerDto?> FindAsync(Sql sql, string programId, string reference)
    {
        var email = reference.Contains('@', StringComparison.Ordinal) ? Contact.NormalizeEmail(reference) : null;
        var phone = reference.Length > 0 && (reference[0] == '+' || char.IsAsciiDigit(reference[0]))
            ? Contact.NormalizePhone(reference) : null;
        return sql.SingleAsync(
            $"""
            SELECT {Columns} FROM customers
            WHERE program_id = @p AND deleted_at IS NULL
              AND (id = @r OR external_id = @r OR email = @e OR phone = @ph OR qr_code = @r)
            ORDER BY CASE WHEN id = @r THEN 0 WHEN external_id = @r THEN 1 WHEN email = @e THEN 2 WHEN phone = @ph THEN 3 ELSE 4 END
            LIMIT 1
            """,
            Map, ("p", programId), ("r", reference), ("e", email), ("ph", phone));
    }

    public static async Task<CustomerDto> GetAsync(Sql sql, string programId, string reference) =>
        await FindAsync(sql, programId, reference) ?? throw ApiException.NotFound("customer", reference);

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

    public static string SearchText(string? firstName, string? lastName, string? email) =>
        string.Join(' ', new[] { firstName, lastName, email }.Where(s => !string.IsNullOrEmpty(s))).ToLowerInvariant();
}
