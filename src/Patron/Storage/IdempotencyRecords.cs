namespace Patron.Storage;

/// <summary>Idempotency records (docs/API.md, Idempotency), kept 24 hours.</summary>
public static class IdempotencyRecords
{
    public static readonly TimeSpan KeyLifetime = TimeSpan.FromHours(24);

    public static Task<int> DeleteExpiredAsync(WriteContext context, int limit) =>
        context.Sql.ExecuteAsync(
            """
            DELETE FROM idempotency_keys WHERE (program_id, key) IN (
                SELECT program_id, key FROM idempotency_keys WHERE created_at <= @cutoff LIMIT @n)
            """,
            ("cutoff", context.Now.Add(-KeyLifetime).ToUnixTimeMilliseconds()), ("n", limit));
}
