using System.Data.Common;
using Microsoft.AspNetCore.Identity;
using Patron.Domain;

namespace Patron.Storage;

public static class StaffRoles
{
    /// <summary>Manages API keys, webhooks, staff users and settings, and does everything staff do.</summary>
    public const string Owner = "owner";

    /// <summary>Works with customers, the POS screen and orders.</summary>
    public const string Staff = "staff";

    public static bool IsValid(string? role) => role is Owner or Staff;
}

/// <summary>A dashboard account. The password is only ever held as its hash.</summary>
public sealed record StaffUser(
    string Id, string ProgramId, string Email, string Role, string PasswordHash, string SecurityStamp,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? DisabledAt)
{
    public bool IsOwner => Role == StaffRoles.Owner;
}

/// <summary>
/// Staff accounts of the admin dashboard (docs/ADMIN.md): one program each, an email unique across the
/// install, a PBKDF2 password hash (ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/>) and a
/// security stamp that changes with the password, so that every session signed in before is refused.
/// </summary>
public static class StaffUsers
{
    public const int MinPasswordLength = 10;
    public const int MaxPasswordLength = 200;

    private const string Columns = "id, program_id, email, role, password_hash, security_stamp, created_at, updated_at, disabled_at";
    private static readonly PasswordHasher<StaffUser> Hasher = new();

    private static StaffUser Map(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
        Time.FromMs(r.GetInt64(6)), Time.FromMs(r.GetInt64(7)), r.Int64OrNull(8) is { } d ? Time.FromMs(d) : null);

    /// <summary>Why a password is refused, or null when it may be used.</summary>
    public static string? PasswordRefusal(string? password) => password switch
    {
        null or "" => "A password is required.",
        { Length: < MinPasswordLength } => $"The password must be at least {MinPasswordLength} characters long.",
        { Length: > MaxPasswordLength } => $"The password is limited to {MaxPasswordLength} characters.",
        _ => null,
    };

    public static Task<bool> AnyAsync(Database database) =>
        database.ReadAsync(async sql => await sql.ScalarAsync("SELECT id FROM staff_users LIMIT 1") is not null);

    public static Task<StaffUser?> ByIdAsync(Sql sql, string id) =>
        sql.SingleAsync($"SELECT {Columns} FROM staff_users WHERE id = @id", Map, ("id", id));

    public static Task<StaffUser?> ByEmailAsync(Sql sql, string email) =>
        sql.SingleAsync($"SELECT {Columns} FROM staff_users WHERE email = @e", Map, ("e", Contact.NormalizeEmail(email) ?? email));

    public static Task<List<StaffUser>> ListAsync(Sql sql, string programId) =>
        sql.ListAsync($"SELECT {Columns} FROM staff_users WHERE program_id = @p ORDER BY id", Map, ("p", programId));

    /// <summary>Creates an account; refuses a bad email, role or password, an unknown program and a taken email.</summary>
    public static Task<StaffUser> CreateAsync(IWritePath path, string programId, string email, string role, string password)
    {
        var normalized = Contact.NormalizeEmail(email) ?? throw OperationException.Invalid("email", "The email address is not valid.");
        if (!StaffRoles.IsValid(role))
        {
            throw OperationException.Invalid("role", "The role must be 'owner' or 'staff'.");
        }
        if (PasswordRefusal(password) is { } refusal)
        {
            throw OperationException.Invalid("password", refusal);
        }
        var id = Ids.New("stf_");
        var hash = Hasher.HashPassword(null!, password);
        return path.RunAsync(async context =>
        {
            var sql = context.Sql;
            if (await sql.ScalarAsync("SELECT id FROM programs WHERE id = @p", ("p", programId)) is null)
            {
                throw OperationException.NotFound("program", programId);
            }
            if (await sql.ScalarAsync("SELECT id FROM staff_users WHERE email = @e", ("e", normalized)) is not null)
            {
                throw OperationException.Conflict("email_taken", "A staff user with this email already exists.", "email");
            }
            await sql.ExecuteAsync(
                $"INSERT INTO staff_users ({Columns}) VALUES (@id, @p, @e, @r, @h, @s, @now, @now, NULL)",
                ("id", id), ("p", programId), ("e", normalized), ("r", role), ("h", hash), ("s", NewStamp()), ("now", context.NowMs));
            return (await ByIdAsync(sql, id))!;
        });
    }

    /// <summary>The account whose password this is, or null (unknown email, wrong password, disabled account).</summary>
    public static async Task<StaffUser?> VerifyAsync(Database database, string email, string password)
    {
        var user = await database.ReadAsync(sql => ByEmailAsync(sql, email));
        if (user is null)
        {
            // As much work as a real check, so that timing does not tell which emails have accounts.
            Hasher.VerifyHashedPassword(null!, DummyHash, password);
            return null;
        }
        var result = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        return result == PasswordVerificationResult.Failed || user.DisabledAt is not null ? null : user;
    }

    private static readonly string DummyHash = Hasher.HashPassword(null!, "not a password of anyone's");

    /// <summary>Sets a new password and a new security stamp: every session of this account signed in before ends.</summary>
    public static Task<bool> SetPasswordAsync(IWritePath path, string userId, string password)
    {
        if (PasswordRefusal(password) is { } refusal)
        {
            throw OperationException.Invalid("password", refusal);
        }
        var hash = Hasher.HashPassword(null!, password);
        return path.RunAsync(async context => await context.Sql.ExecuteAsync(
            "UPDATE staff_users SET password_hash = @h, security_stamp = @s, updated_at = @now WHERE id = @id",
            ("h", hash), ("s", NewStamp()), ("now", context.NowMs), ("id", userId)) == 1);
    }

    private static string NewStamp() => Ids.Secret();
}
