using Patron.Storage;

namespace Patron.Webhooks;

/// <summary>An endpoint as a batch of deliveries is sent to it.</summary>
public sealed record WebhookTarget(string EndpointId, string Url, string Secret, string SignatureScheme = WebhookSignatureSchemes.Patron);

/// <summary>The event a delivery carries.</summary>
public sealed record WebhookEvent(string Id, string Type, long CreatedAtMs, string Data);

/// <summary>A claimed delivery with its event (null when the event no longer exists).</summary>
public sealed record WebhookClaim(string DeliveryId, string EventId, int Attempts, WebhookEvent? Event);

/// <summary>Deliveries of one endpoint claimed together, under one lease token.</summary>
public sealed record WebhookClaimBatch(string Token, WebhookTarget Target, List<WebhookClaim> Items);

/// <summary>The outcome of one attempt, to be written while its lease holds.</summary>
public sealed record WebhookOutcome(
    string DeliveryId, string Token, string EndpointId, int AttemptsBefore, bool Success, int? StatusCode, string? Error,
    int ResponseMs, long AttemptedAtMs, long? NextAttemptAtMs)
{
    /// <summary>Completes when the outcome is written (or fails with the error that kept it from being written).</summary>
    public TaskCompletionSource Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// The SQL of webhook delivery (docs/WEBHOOKS.md, "How delivery works inside"): claiming due
/// deliveries under a lease, and writing outcomes and failure streaks, all on the one write path.
/// <list type="bullet">
/// <item>Claiming is a lease: one conditional update moves <c>next_attempt_at</c> to the end of the
/// lease and stamps <c>leased_by</c> (PostgreSQL adds <c>FOR UPDATE SKIP LOCKED</c>, so several
/// processes never claim the same row). An outcome is written only while its lease still holds, and a
/// crashed process's claims simply become due again when their lease ends.</item>
/// <item>What to write (the next attempt, the streak, disabling) is <see cref="WebhookDeliveryPolicy"/>'s decision.</item>
/// </list>
/// </summary>
public sealed class WebhookDeliveryStore(Database database, IWritePath writes, TimeSpan lease)
{
    private const int SuccessChunk = 64;

    /// <summary>Outcomes that succeeded, n at a time: <c>UPDATE ... FROM (VALUES ...)</c>, the same text on both databases.</summary>
    private static readonly string[] SucceededSql = [.. Enumerable.Range(0, SuccessChunk + 1).Select(SucceededUpdate)];

    private static readonly string ClaimSqlite = ClaimSql("");
    private static readonly string ClaimPostgres = ClaimSql(" FOR UPDATE SKIP LOCKED");

    /// <summary>The enabled endpoints of every program, by id.</summary>
    public Task<List<string>> EnabledEndpointIdsAsync() =>
        database.ReadAsync(sql => sql.ListAsync("SELECT id FROM webhook_endpoints WHERE enabled ORDER BY id", r => r.GetString(0)));

    /// <summary>
    /// Claims up to <c>@n</c> due deliveries of one endpoint, if it is enabled: their lease is their
    /// <c>next_attempt_at</c>, and the event comes back with them. PostgreSQL skips rows that another
    /// process is claiming at this moment instead of waiting for them.
    /// </summary>
    private static string ClaimSql(string lockClause) =>
        $"""
        UPDATE webhook_deliveries SET next_attempt_at = @until, leased_by = @token
        WHERE id IN (
            SELECT id FROM webhook_deliveries
            WHERE endpoint_id = @e AND status = 'pending' AND next_attempt_at <= @now
            ORDER BY next_attempt_at LIMIT @n{lockClause})
          AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = @e AND w.enabled)
        RETURNING id, event_id, attempts, event_type,
            (SELECT e.created_at FROM events e WHERE e.id = webhook_deliveries.event_id),
            (SELECT e.data FROM events e WHERE e.id = webhook_deliveries.event_id)
        """;

    /// <param name="token">Unique per claim, so that an outcome can only ever land on the lease it was attempted under.</param>
    public Task<WebhookClaimBatch?> ClaimAsync(string endpointId, int limit, string token) =>
        writes.RunAsync(async context =>
        {
            var items = await context.Sql.ListAsync(
                database.IsSqlite ? ClaimSqlite : ClaimPostgres,
                r => new WebhookClaim(r.GetString(0), r.GetString(1), (int)r.GetInt64(2),
                    r.IsDBNull(5) ? null : new WebhookEvent(r.GetString(1), r.GetString(3), r.GetInt64(4), r.GetString(5))),
                ("until", context.NowMs + (long)lease.TotalMilliseconds), ("token", token), ("e", endpointId),
                ("now", context.NowMs), ("n", limit));
            if (items.Count == 0)
            {
                return null;
            }
            var target = await context.Sql.SingleAsync(
                "SELECT id, url, secret, signature_scheme FROM webhook_endpoints WHERE id = @e",
                r => new WebhookTarget(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)), ("e", endpointId));
            return target is null ? null : new WebhookClaimBatch(token, target, items);
        });

    /// <summary>Writes a batch of outcomes in order, then each endpoint's failure streak, in one write. Returns the endpoints disabled.</summary>
    public Task<List<string>> RecordAsync(IReadOnlyList<WebhookOutcome> batch) =>
        writes.RunAsync(async context =>
        {
            var applied = await WriteSucceededAsync(context.Sql, batch);
            applied.UnionWith(await WriteFailedAsync(context.Sql, batch));
            // An outcome whose lease had run out (another attempt owns the row now) was not applied and does not count.
            var streaks = WebhookDeliveryPolicy.Streaks(batch
                .Where(o => applied.Contains(o.DeliveryId))
                .Select(o => new WebhookDeliveryPolicy.Attempt(o.EndpointId, o.Success, o.AttemptedAtMs)));
            await WriteLastStatusAsync(context.Sql, batch.Where(o => applied.Contains(o.DeliveryId)));
            var disabled = new List<string>();
            foreach (var (endpointId, streak) in streaks)
            {
                if (await WriteStreakAsync(context, endpointId, streak))
                {
                    disabled.Add(endpointId);
                }
            }
            if (disabled.Count > 0)
            {
                context.AfterCommit.Add(WebhookSignal.For(context.Database).EndpointsChanged);
            }
            return disabled;
        });

    /// <summary>
    /// Each endpoint's <c>last_status</c>: the status code of its latest attempt in the batch that got an
    /// answer, unless a later attempt (another process's) was recorded first.
    /// </summary>
    private static async Task WriteLastStatusAsync(Sql sql, IEnumerable<WebhookOutcome> applied)
    {
        foreach (var latest in applied.Where(o => o.StatusCode is not null).GroupBy(o => o.EndpointId)
                     .Select(g => g.MaxBy(o => o.AttemptedAtMs)!))
        {
            await sql.ExecuteAsync(
                """
                UPDATE webhook_endpoints SET last_status = @code, last_attempt_at = @at
                WHERE id = @e AND (last_attempt_at IS NULL OR last_attempt_at <= @at)
                """,
                ("code", (long)latest.StatusCode!.Value), ("at", latest.AttemptedAtMs), ("e", latest.EndpointId));
        }
    }

    /// <summary>Successes, the common case, in one statement per chunk: the write path is SQLite's one writer.</summary>
    private static async Task<HashSet<string>> WriteSucceededAsync(Sql sql, IReadOnlyList<WebhookOutcome> batch)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in batch.Where(o => o.Success).Chunk(SuccessChunk))
        {
            var args = new List<(string, object?)>(chunk.Length * 5);
            for (var i = 0; i < chunk.Length; i++)
            {
                args.Add(("i" + i, chunk[i].DeliveryId));
                args.Add(("k" + i, chunk[i].Token));
                args.Add(("a" + i, chunk[i].AttemptedAtMs));
                args.Add(("c" + i, (long)chunk[i].StatusCode!.Value));
                args.Add(("m" + i, (long)chunk[i].ResponseMs));
            }
            applied.UnionWith(await sql.ListAsync(SucceededSql[chunk.Length], r => r.GetString(0), [.. args]));
        }
        return applied;
    }

    private static async Task<List<string>> WriteFailedAsync(Sql sql, IReadOnlyList<WebhookOutcome> batch)
    {
        var applied = new List<string>();
        foreach (var o in batch.Where(o => !o.Success))
        {
            var failed = o.NextAttemptAtMs is null;
            var written = await sql.ExecuteAsync(
                """
                UPDATE webhook_deliveries
                SET status = @status, attempts = attempts + 1, next_attempt_at = @next, leased_by = NULL,
                    last_attempt_at = @at, last_status_code = @code, last_error = @error, last_response_ms = @ms, completed_at = @done
                WHERE id = @id AND leased_by = @token
                """,
                ("status", failed ? WebhookDeliveryStatus.Failed : WebhookDeliveryStatus.Pending), ("next", o.NextAttemptAtMs),
                ("at", o.AttemptedAtMs), ("code", o.StatusCode), ("error", o.Error), ("ms", o.ResponseMs),
                ("done", failed ? o.AttemptedAtMs : null), ("id", o.DeliveryId), ("token", o.Token));
            if (written > 0)
            {
                applied.Add(o.DeliveryId);
            }
        }
        return applied;
    }

    /// <summary>Stores where the endpoint's failure streak stands and disables it when the policy says so; true when it was disabled.</summary>
    private async Task<bool> WriteStreakAsync(WriteContext context, string endpointId, WebhookDeliveryPolicy.Streak streak)
    {
        var sql = context.Sql;
        if (streak.FailingSince is null)
        {
            await sql.ExecuteAsync("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = @e AND failing_since IS NOT NULL", ("e", endpointId));
            return false;
        }
        var row = await sql.SingleAsync(
            "SELECT failing_since FROM webhook_endpoints WHERE id = @e" + (database.IsSqlite ? "" : " FOR UPDATE"),
            r => new { Stored = r.Int64OrNull(0) }, ("e", endpointId));
        if (row is null)
        {
            return false; // deleted meanwhile
        }
        var since = WebhookDeliveryPolicy.FailingSince(streak, row.Stored)!.Value;
        if (since != row.Stored)
        {
            await sql.ExecuteAsync("UPDATE webhook_endpoints SET failing_since = @since WHERE id = @e", ("since", since), ("e", endpointId));
        }
        if (!WebhookDeliveryPolicy.ShouldDisable(since, streak.LastAttemptAtMs))
        {
            return false;
        }
        return await sql.ExecuteAsync(
            "UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = 'failing', updated_at = @now WHERE id = @e AND enabled",
            ("now", context.NowMs), ("e", endpointId)) > 0;
    }

    private static string SucceededUpdate(int rows) =>
        $"""
        UPDATE webhook_deliveries
        SET status = 'succeeded', attempts = attempts + 1, next_attempt_at = NULL, leased_by = NULL,
            last_attempt_at = v.at, last_status_code = v.code, last_error = NULL, last_response_ms = v.ms, completed_at = v.at
        FROM (SELECT column1 AS id, column2 AS token, column3 AS at, column4 AS code, column5 AS ms FROM (VALUES
            {string.Join(", ", Enumerable.Range(0, rows).Select(i => $"(@i{i}, @k{i}, @a{i}, @c{i}, @m{i})"))}) AS x) AS v
        WHERE webhook_deliveries.id = v.id AND webhook_deliveries.leased_by = v.token
        RETURNING webhook_deliveries.id
        """;
}
