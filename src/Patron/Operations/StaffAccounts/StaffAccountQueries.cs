using System.Data.Common;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.StaffAccounts;

/// <summary>Staff accounts as the dashboard's sign-in, its Users page and <c>patron users</c> read them.</summary>
public static class StaffAccountQueries
{
    internal const string Columns = "id, program_id, email, role, password_hash, security_stamp, created_at, updated_at, disabled_at";

    private static StaffUser Map(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
        Time.FromMs(r.GetInt64(6)), Time.FromMs(r.GetInt64(7)), r.Int64OrNull(8) is { } d ? Time.FromMs(d) : null);

    /// <summary>Whether any staff account exists (while none does, <c>serve</c> says how to create the first owner).</summary>
    public static Task<bool> AnyAsync(Database database) =>
        database.ReadAsync(async sql => await sql.ScalarAsync("SELECT id FROM staff_users LIMIT 1") is not null);

    public static Task<StaffUser?> ByIdAsync(Database database, string id) => database.ReadAsync(sql => ByIdAsync(sql, id));

    /// <summary>The account with this email (compared as normalized), or null.</summary>
    public static Task<StaffUser?> ByEmailAsync(Database database, string email) =>
        database.ReadAsync(sql => sql.SingleAsync($"SELECT {Columns} FROM staff_users WHERE email = @e", Map,
            ("e", Contact.NormalizeEmail(email) ?? email)));

    /// <summary>A program's accounts, oldest first.</summary>
    public static Task<List<StaffUser>> ListAsync(Database database, string programId) =>
        database.ReadAsync(sql => sql.ListAsync($"SELECT {Columns} FROM staff_users WHERE program_id = @p ORDER BY id", Map, ("p", programId)));

    internal static Task<StaffUser?> ByIdAsync(Sql sql, string id) =>
        sql.SingleAsync($"SELECT {Columns} FROM staff_users WHERE id = @id", Map, ("id", id));
}
