using Patron.Domain;

namespace Patron.Storage;

/// <summary>An update the queue claimed: the object, its customer as it is now, and how many attempts came before.</summary>
public sealed record GoogleWalletUpdate(string ObjectId, string ProgramId, CustomerDto Customer, int Attempts);

/// <summary>
/// Google Wallet loyalty objects and their update queue (docs/WALLET.md, migration 0017). An object is
/// due while its customer changed after the version Google was given (<c>customers.updated_at</c> is
/// written by the balance change's own transaction) and its next attempt's time has come.
/// </summary>
public static class GoogleWalletStore
{
    /// <summary>How long a claimed update is left to its claimer (twice the HTTP timeout) before another process may take it.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    public static async Task<bool> ExistsAsync(Sql sql, string objectId) =>
        await sql.ScalarAsync("SELECT 1 FROM google_wallet_objects WHERE object_id = @o", ("o", objectId)) is not null;

    /// <summary>
    /// Records the object of a link Patron signed, as holding the customer's version
    /// <paramref name="version"/> (what the link carries); recording it again changes nothing.
    /// </summary>
    public static Task<int> IssueAsync(WriteContext context, string objectId, string programId, string customerId, long version) =>
        context.Sql.ExecuteAsync(
            """
            INSERT INTO google_wallet_objects (object_id, program_id, customer_id, synced_version, attempts, next_attempt_at, created_at)
            VALUES (@o, @p, @c, @v, 0, 0, @now) ON CONFLICT (object_id) DO NOTHING
            """,
            ("o", objectId), ("p", programId), ("c", customerId), ("v", version), ("now", context.NowMs));

    /// <summary>
    /// Claims up to <paramref name="limit"/> due updates for <see cref="Lease"/>: a claimed row's next
    /// attempt moves past the lease, so another process (or this one after a crash) takes it only then.
    /// </summary>
    public static async Task<List<GoogleWalletUpdate>> ClaimAsync(WriteContext context, int limit)
    {
        var due = await context.Sql.ListAsync(
            """
            SELECT o.object_id, o.program_id, o.customer_id, o.attempts FROM google_wallet_objects o
            JOIN customers c ON c.id = o.customer_id AND c.program_id = o.program_id
            WHERE o.next_attempt_at <= @now AND c.updated_at > o.synced_version AND c.deleted_at IS NULL
            ORDER BY o.next_attempt_at, o.object_id LIMIT @n
            """,
            r => (ObjectId: r.GetString(0), ProgramId: r.GetString(1), CustomerId: r.GetString(2), Attempts: r.GetInt32(3)),
            ("now", context.NowMs), ("n", limit));
        var claimed = new List<GoogleWalletUpdate>(due.Count);
        foreach (var row in due)
        {
            var taken = await context.Sql.ExecuteAsync(
                "UPDATE google_wallet_objects SET next_attempt_at = @until WHERE object_id = @o AND next_attempt_at <= @now",
                ("until", context.Now.Add(Lease).ToUnixTimeMilliseconds()), ("o", row.ObjectId), ("now", context.NowMs));
            if (taken == 1 && await Customers.ByIdAsync(context.Sql, row.ProgramId, row.CustomerId) is { } customer)
            {
                claimed.Add(new GoogleWalletUpdate(row.ObjectId, row.ProgramId, customer, row.Attempts));
            }
        }
        return claimed;
    }

    /// <summary>Google has the customer's version <paramref name="version"/> (or the object was never saved): nothing is due until the next change.</summary>
    public static Task<int> SucceededAsync(WriteContext context, string objectId, long version, string? note) =>
        context.Sql.ExecuteAsync(
            """
            UPDATE google_wallet_objects SET synced_version = CASE WHEN synced_version > @v THEN synced_version ELSE @v END,
                attempts = 0, next_attempt_at = 0, last_error = @note
            WHERE object_id = @o
            """,
            ("o", objectId), ("v", version), ("note", note));

    /// <summary>
    /// A failed attempt: retried after <paramref name="retryAt"/>, or, when it was the last attempt
    /// (<paramref name="retryAt"/> null), given up for this version until the customer changes again.
    /// </summary>
    public static Task<int> FailedAsync(WriteContext context, string objectId, long version, string error, DateTimeOffset? retryAt) =>
        retryAt is { } at
            ? context.Sql.ExecuteAsync(
                "UPDATE google_wallet_objects SET attempts = attempts + 1, next_attempt_at = @at, last_error = @e WHERE object_id = @o",
                ("o", objectId), ("at", at.ToUnixTimeMilliseconds()), ("e", error))
            : context.Sql.ExecuteAsync(
                """
                UPDATE google_wallet_objects SET synced_version = CASE WHEN synced_version > @v THEN synced_version ELSE @v END,
                    attempts = 0, next_attempt_at = 0, last_error = @e
                WHERE object_id = @o
                """,
                ("o", objectId), ("v", version), ("e", "gave up: " + error));
}
