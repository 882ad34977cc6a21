using System.Text.Json;
using Patron.Security;
using Patron.Storage;

namespace Patron.Api;

/// <summary>What a write operation answers: a status code and the object to serialise.</summary>
public readonly record struct Reply(int Status, object Body)
{
    public static Reply Created(object body) => new(201, body);
    public static Reply Ok(object body) => new(200, body);
}

/// <summary>
/// Runs an endpoint's write on the one write path with <c>Idempotency-Key</c> handling (docs/API.md):
/// the key, a hash of method + path + body, and the response are checked and stored in the same
/// transaction as the write itself, so a retry can neither run twice nor replay a write that was lost.
/// Only successful answers are stored: a refused request did nothing, and may be sent again. Stored
/// answers are encrypted (<see cref="StoredAnswers"/>): they can hold secrets shown only once.
/// </summary>
public sealed class Writes(IWritePath path, StoredAnswers answers)
{
    public static readonly TimeSpan KeyLifetime = IdempotencyRecords.KeyLifetime;
    private const int MaxKeyLength = 255;

    public async Task<IResult> RunAsync(HttpContext http, Caller caller, Func<WriteContext, Task<Reply>> operation)
    {
        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length == 0)
        {
            var reply = await path.RunAsync(operation);
            return new JsonReply(reply.Status, JsonSerializer.SerializeToUtf8Bytes(reply.Body, PatronJson.Options), false);
        }
        if (key.Length > MaxKeyLength)
        {
            throw ApiException.Invalid("Idempotency-Key", $"Idempotency-Key is limited to {MaxKeyLength} characters.");
        }

        var hash = RequestBody.RequestHash(http);
        return await path.RunAsync(async context =>
        {
            var cutoff = context.Now.Add(-KeyLifetime).ToUnixTimeMilliseconds();
            var stored = await context.Sql.SingleAsync(
                "SELECT request_hash, status_code, response FROM idempotency_keys WHERE program_id = @p AND key = @k AND created_at > @cutoff",
                r => new JsonReply(r.GetInt32(1), (byte[])r.GetValue(2), true, r.GetString(0)),
                ("p", caller.ProgramId), ("k", key), ("cutoff", cutoff));
            if (stored is not null)
            {
                return stored.RequestHash == hash
                    ? stored with { Body = answers.Unprotect(caller.ProgramId, key, hash, stored.Status, stored.Body) }
                    : throw ApiException.Conflict("idempotency_key_reused",
                        "This Idempotency-Key was already used with a different request.");
            }

            var reply = await operation(context);
            var body = JsonSerializer.SerializeToUtf8Bytes(reply.Body, PatronJson.Options);
            // An expired record is overwritten; a live one means a concurrent request with this key
            // committed first, so this attempt must roll back and replay it (PostgreSQL retries).
            var written = await context.Sql.ExecuteAsync(
                """
                INSERT INTO idempotency_keys (program_id, key, request_hash, status_code, response, created_at)
                VALUES (@p, @k, @h, @s, @b, @t)
                ON CONFLICT (program_id, key) DO UPDATE
                SET request_hash = excluded.request_hash, status_code = excluded.status_code,
                    response = excluded.response, created_at = excluded.created_at
                WHERE idempotency_keys.created_at <= @cutoff
                """,
                ("p", caller.ProgramId), ("k", key), ("h", hash), ("s", reply.Status),
                ("b", answers.Protect(caller.ProgramId, key, hash, reply.Status, body)),
                ("t", context.NowMs), ("cutoff", cutoff));
            if (written == 0)
            {
                throw new WriteConflictException("A concurrent request with the same Idempotency-Key won.");
            }
            return new JsonReply(reply.Status, body, false);
        });
    }
}

/// <summary>Pre-serialised JSON, marked when it is a replay of a stored answer.</summary>
public sealed record JsonReply(int Status, byte[] Body, bool Replayed, string? RequestHash = null) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = Status;
        response.ContentType = "application/json; charset=utf-8";
        if (Replayed)
        {
            response.Headers["Idempotent-Replayed"] = "true";
        }
        response.ContentLength = Body.Length;
        return response.Body.WriteAsync(Body).AsTask();
    }
}
