using Patron.Domain;

namespace Patron.Storage;

/// <summary>A program's member settings (docs/WIDGET.md); the defaults until the program sets them.</summary>
public sealed record MemberSettings(string ProgramId, IReadOnlyList<string> AllowedOrigins, int CredentialMaxAgeSeconds, string? ReferralUrl)
{
    public bool Allows(string origin) => AllowedOrigins.Contains(origin, StringComparer.Ordinal);
}

/// <summary>A member secret's row; <see cref="Secret"/> is the stored (encrypted) form.</summary>
public sealed record MemberSecretRow(string Id, string ProgramId, string Secret, string Hint, long CreatedAt, long? RetiredAt)
{
    public bool Active => RetiredAt is null;
}

/// <summary>Member secrets and settings rows. Every query names the program.</summary>
public static class MemberStore
{
    /// <summary>Two at once: the one in use and its successor while the shop rotates.</summary>
    public const int MaxActiveSecrets = 2;

    private const string SecretColumns = "id, program_id, secret, hint, created_at, retired_at";

    private static MemberSecretRow MapSecret(System.Data.Common.DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.Int64OrNull(5));

    public static Task<List<MemberSecretRow>> SecretsAsync(Sql sql, string programId) =>
        sql.ListAsync($"SELECT {SecretColumns} FROM member_secrets WHERE program_id = @p ORDER BY id", MapSecret, ("p", programId));

    public static Task<List<MemberSecretRow>> ActiveSecretsAsync(Sql sql, string programId) =>
        sql.ListAsync($"SELECT {SecretColumns} FROM member_secrets WHERE program_id = @p AND retired_at IS NULL ORDER BY id",
            MapSecret, ("p", programId));

    public static Task<MemberSecretRow?> SecretAsync(Sql sql, string programId, string id) =>
        sql.SingleAsync($"SELECT {SecretColumns} FROM member_secrets WHERE program_id = @p AND id = @id", MapSecret,
            ("p", programId), ("id", id));

    /// <summary>
    /// Adds a secret unless the program already has <see cref="MaxActiveSecrets"/> active ones. The
    /// program's row is locked first, so two concurrent creations cannot both pass the count.
    /// </summary>
    public static async Task<MemberSecretRow> AddSecretAsync(WriteContext context, MemberSecretRow row)
    {
        var sql = context.Sql;
        if (!context.Database.IsSqlite)
        {
            await sql.ExecuteAsync("SELECT id FROM programs WHERE id = @p FOR UPDATE", ("p", row.ProgramId));
        }
        var active = Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COUNT(*) FROM member_secrets WHERE program_id = @p AND retired_at IS NULL", ("p", row.ProgramId)));
        if (active >= MaxActiveSecrets)
        {
            throw OperationException.Conflict("too_many_member_secrets",
                $"This program already has {MaxActiveSecrets} active member secrets: retire one before creating another.");
        }
        await sql.ExecuteAsync(
            "INSERT INTO member_secrets (id, program_id, secret, hint, created_at, retired_at) VALUES (@id, @p, @s, @h, @t, NULL)",
            ("id", row.Id), ("p", row.ProgramId), ("s", row.Secret), ("h", row.Hint), ("t", row.CreatedAt));
        return row;
    }

    /// <summary>Retires a secret: credentials signed with it are refused from now on. Retiring twice keeps the first time.</summary>
    public static async Task<MemberSecretRow> RetireSecretAsync(WriteContext context, string programId, string id)
    {
        await context.Sql.ExecuteAsync(
            "UPDATE member_secrets SET retired_at = @t WHERE program_id = @p AND id = @id AND retired_at IS NULL",
            ("t", context.NowMs), ("p", programId), ("id", id));
        return await SecretAsync(context.Sql, programId, id) ?? throw OperationException.NotFound("member_secret", id);
    }

    public static async Task<MemberSettings> SettingsAsync(Sql sql, string programId) =>
        await sql.SingleAsync(
            "SELECT program_id, allowed_origins, credential_max_age_seconds, referral_url FROM member_settings WHERE program_id = @p",
            r => new MemberSettings(r.GetString(0), SplitOrigins(r.GetString(1)), (int)r.GetInt64(2), r.StringOrNull(3)),
            ("p", programId))
        ?? new MemberSettings(programId, [], MemberCredential.DefaultMaxAgeSeconds, null);

    public static async Task<MemberSettings> SaveSettingsAsync(WriteContext context, MemberSettings settings)
    {
        await context.Sql.ExecuteAsync(
            """
            INSERT INTO member_settings (program_id, allowed_origins, credential_max_age_seconds, referral_url, updated_at)
            VALUES (@p, @o, @a, @r, @t)
            ON CONFLICT (program_id) DO UPDATE SET allowed_origins = excluded.allowed_origins,
                credential_max_age_seconds = excluded.credential_max_age_seconds, referral_url = excluded.referral_url,
                updated_at = excluded.updated_at
            """,
            ("p", settings.ProgramId), ("o", string.Join('\n', settings.AllowedOrigins)), ("a", settings.CredentialMaxAgeSeconds),
            ("r", settings.ReferralUrl), ("t", context.NowMs));
        return settings;
    }

    /// <summary>The programs that list <paramref name="origin"/> among their allowed origins (for a CORS preflight).</summary>
    public static async Task<bool> AnyProgramAllowsAsync(Sql sql, string origin, string? programId)
    {
        var rows = await sql.ListAsync(
            "SELECT allowed_origins FROM member_settings WHERE allowed_origins LIKE @like" + (programId is null ? "" : " AND program_id = @p"),
            r => r.GetString(0), programId is null ? [("like", "%" + origin + "%")] : [("like", "%" + origin + "%"), ("p", programId)]);
        return rows.Any(r => SplitOrigins(r).Contains(origin, StringComparer.Ordinal));
    }

    /// <summary>The program's name, or null when there is no such program.</summary>
    public static async Task<string?> ProgramNameAsync(Sql sql, string programId) =>
        await sql.ScalarAsync("SELECT name FROM programs WHERE id = @p", ("p", programId)) as string;

    private static string[] SplitOrigins(string stored) =>
        stored.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
