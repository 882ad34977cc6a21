using Microsoft.AspNetCore.Identity;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.StaffAccounts;

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
/// Staff accounts of the admin dashboard (docs/ADMIN.md), from the dashboard and the command line alike:
/// one program each, an email unique across the install, a PBKDF2 password hash (ASP.NET Core Identity's
/// <see cref="PasswordHasher{TUser}"/>) and a security stamp that changes with the password, so that every
/// session signed in before is refused. <see cref="StaffAccountQueries"/> reads them.
/// </summary>
public static class StaffAccountOperations
{
    public const int MinPasswordLength = 10;
    public const int MaxPasswordLength = 200;

    private static readonly PasswordHasher<StaffUser> Hasher = new();

    /// <summary>Why a password is refused, or null when it may be used.</summary>
    public static string? PasswordRefusal(string? password) => password switch
    {
        null or "" => "A password is required.",
        { Length: < MinPasswordLength } => $"The password must be at least {MinPasswordLength} characters long.",
        { Length: > MaxPasswordLength } => $"The password is limited to {MaxPasswordLength} characters.",
        _ => null,
    };

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
                $"INSERT INTO staff_users ({StaffAccountQueries.Columns}) VALUES (@id, @p, @e, @r, @h, @s, @now, @now, NULL)",
                ("id", id), ("p", programId), ("e", normalized), ("r", role), ("h", hash), ("s", NewStamp()), ("now", context.NowMs));
            return (await StaffAccountQueries.ByIdAsync(sql, id))!;
        });
    }

    /// <summary>The account whose password this is, or null (unknown email, wrong password, disabled account).</summary>
    public static async Task<StaffUser?> VerifyAsync(Database database, string email, string password)
    {
        var user = await StaffAccountQueries.ByEmailAsync(database, email);
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

    /// <summary>
    /// Sets a new password and a new security stamp: every session of this account signed in before ends.
    /// The account as it is now (with its new stamp, to sign the caller in again), or null when there is none.
    /// </summary>
    public static Task<StaffUser?> ChangePasswordAsync(IWritePath path, string userId, string password)
    {
        if (PasswordRefusal(password) is { } refusal)
        {
            throw OperationException.Invalid("password", refusal);
        }
        var hash = Hasher.HashPassword(null!, password);
        return path.RunAsync(async context =>
        {
            var changed = await context.Sql.ExecuteAsync(
                "UPDATE staff_users SET password_hash = @h, security_stamp = @s, updated_at = @now WHERE id = @id",
                ("h", hash), ("s", NewStamp()), ("now", context.NowMs), ("id", userId));
            return changed == 1 ? await StaffAccountQueries.ByIdAsync(context.Sql, userId) : null;
        });
    }

    private static string NewStamp() => Ids.Secret();
}
