using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// The API key a request writes with, confirmed inside the write's own transaction on PostgreSQL, so that a key
/// revoked through another instance is refused by the very next write (docs/SCALING.md) without a read of its own
/// before each write. The API's authentication names the key (<see cref="Require"/>); every operation the request
/// then hands to the write path carries it, and the write path checks it in the transaction the operation commits
/// in: a group-commit batch checks all its operations' keys in one statement, sent with the batch's first round trip.
/// </summary>
public static class WriteKey
{
    private static readonly AsyncLocal<string?> Key = new();

    /// <summary>The key of the request running here, if its writes must confirm it; otherwise null.</summary>
    public static string? Current => Key.Value;

    /// <summary>Makes every write of the calling request, from here on, confirm that <paramref name="keyId"/> is not revoked.</summary>
    public static void Require(string keyId) => Key.Value = keyId;

    /// <summary>The key given, if it is revoked.</summary>
    internal const string RevokedSql = "SELECT id FROM api_keys WHERE id = @id AND revoked_at IS NOT NULL";

    /// <summary>
    /// The keys among those given that are revoked (PostgreSQL only). Only for two keys or more: PostgreSQL plans
    /// <c>= ANY</c> of an array anew on every call (its generic plan, for an array of any length, costs more than
    /// a plan for the one element), where <see cref="RevokedSql"/> keeps one plan.
    /// </summary>
    internal const string RevokedAmongSql = "SELECT id FROM api_keys WHERE id = ANY(@ids) AND revoked_at IS NOT NULL";

    /// <summary>Refuses the operation's write when its key is revoked: one statement in the write's transaction.</summary>
    internal static async Task ConfirmAsync(Sql sql, string? keyId)
    {
        if ((await RevokedAmongAsync(sql, [keyId])).Count > 0)
        {
            throw Revoked();
        }
    }

    /// <summary>A write refused because the API key it was made with has been revoked (401 <c>api_key_revoked</c>).</summary>
    internal static OperationException Revoked() => OperationException.Unauthorized("api_key_revoked", "The API key has been revoked.");

    /// <summary>Of the keys given, those revoked, in one statement in the batch's transaction.</summary>
    internal static async Task<HashSet<string>> RevokedAmongAsync(Sql sql, IEnumerable<string?> keyIds)
    {
        var ids = keyIds.OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        return ids.Length switch
        {
            0 => [],
            1 => [.. await sql.ListAsync(RevokedSql, r => r.GetString(0), ("id", ids[0]))],
            _ => [.. await sql.ListAsync(RevokedAmongSql, r => r.GetString(0), ("ids", ids))],
        };
    }
}
