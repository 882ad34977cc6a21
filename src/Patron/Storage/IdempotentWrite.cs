using System.Security.Cryptography;
using System.Text;
using Patron.Domain;
using Patron.Security;

namespace Patron.Storage;

/// <summary>
/// A write with an idempotency key, for front doors other than the native API (whose <c>Idempotency-Key</c>
/// header takes the same path): the key, a hash of the request and the answer are checked and stored in
/// the same transaction as the write, in the program's <c>idempotency_keys</c>, so a retry with the same key
/// and request returns the first answer and changes nothing; the same key with another request is refused.
/// Answers are kept 24 hours and encrypted at rest (<see cref="StoredAnswers"/>).
/// </summary>
public static class IdempotentWrite
{
    public const int MaxKeyLength = 255;
    private const int StoredStatus = 200;
    private static readonly TimeSpan KeyLifetime = IdempotencyRecords.KeyLifetime;

    /// <summary>The hash that binds a key to one request: the front door's name for the operation and its input.</summary>
    public static string RequestHash(string operation, string canonicalInput) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{operation}\n{canonicalInput}")));

    /// <summary>Runs <paramref name="operation"/> once per key; returns its answer (or the first answer) and whether it was replayed.</summary>
    public static async Task<(byte[] Answer, bool Replayed)> RunAsync(
        IWritePath path, StoredAnswers answers, string programId, string? key, string requestHash, Func<WriteContext, Task<byte[]>> operation)
    {
        if (key is null)
        {
            return (await path.RunAsync(operation), false);
        }
        if (key.Length is 0 or > MaxKeyLength)
        {
            throw OperationException.Invalid("idempotency_key", $"'idempotency_key' must be 1 to {MaxKeyLength} characters.");
        }
        return await path.RunAsync(async context =>
        {
            var cutoff = context.Now.Add(-KeyLifetime).ToUnixTimeMilliseconds();
            var stored = await context.Sql.SingleAsync(
                "SELECT request_hash, status_code, response FROM idempotency_keys WHERE program_id = @p AND key = @k AND created_at > @cutoff",
                r => new StoredAnswer(r.GetString(0), r.GetInt32(1), (byte[])r.GetValue(2)),
                ("p", programId), ("k", key), ("cutoff", cutoff));
            if (stored is not null)
            {
                return stored.Hash == requestHash
                    ? (answers.Unprotect(programId, key, requestHash, stored.Status, stored.Body), true)
                    : throw OperationException.Conflict("idempotency_key_reused",
                        "This idempotency key was already used with a different request.", "idempotency_key");
            }

            var answer = await operation(context);
            // An expired record is overwritten; a live one means a concurrent call with this key committed
            // first, so this attempt rolls back and replays it (PostgreSQL retries).
            var written = await context.Sql.ExecuteAsync(
                """
                INSERT INTO idempotency_keys (program_id, key, request_hash, status_code, response, created_at)
                VALUES (@p, @k, @h, @s, @b, @t)
                ON CONFLICT (program_id, key) DO UPDATE
                SET request_hash = excluded.request_hash, status_code = excluded.status_code,
                    response = excluded.response, created_at = excluded.created_at
                WHERE idempotency_keys.created_at <= @cutoff
                """,
                ("p", programId), ("k", key), ("h", requestHash), ("s", StoredStatus),
                ("b", answers.Protect(programId, key, requestHash, StoredStatus, answer)),
                ("t", context.NowMs), ("cutoff", cutoff));
            if (written == 0)
            {
                throw new WriteConflictException("A concurrent request with the same idempotency key won.");
            }
            return (answer, false);
        });
    }

    private sealed record StoredAnswer(string Hash, int Status, byte[] Body);
}
