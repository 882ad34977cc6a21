using Microsoft.EntityFrameworkCore;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Webhooks;

/// <summary>
/// Creating, listing and deleting a program's webhook endpoints, for every front door (the native
/// <c>/webhook_endpoints</c> and the dialects' webhook routes). The callers check the admin scope.
/// </summary>
public static class WebhookEndpointWrites
{
    /// <summary>A new endpoint's row and its signing secret in clear (shown once, stored encrypted).</summary>
    public static (WebhookEndpointRow Row, string Secret) NewRow(
        WebhookSecrets secrets, string programId, string url, string events, string? description, bool enabled,
        string signatureScheme = WebhookSignatureSchemes.Patron)
    {
        var id = Ids.New("we_");
        var secret = WebhookSignature.NewSecret();
        var row = new WebhookEndpointRow
        {
            Id = id,
            ProgramId = programId,
            Url = url,
            Description = description,
            Events = events,
            Enabled = enabled,
            DisabledReason = enabled ? null : "manual",
            Secret = secrets.Protect(id, secret),
            SignatureScheme = signatureScheme,
        };
        return (row, secret);
    }

    /// <summary>Refuses a URL webhooks may not be sent to (docs/WEBHOOKS.md, Endpoints).</summary>
    public static async Task CheckUrlAsync(string url, bool allowPrivateTargets, CancellationToken ct)
    {
        if (await WebhookTargets.CheckUrlAsync(url, allowPrivateTargets, ct) is { } problem)
        {
            throw OperationException.Unprocessable(problem.Code, problem.Message, "url");
        }
    }

    /// <summary>The stored subscription for the given list, or null when none was given: 1 to 50 known types, or <c>["*"]</c>.</summary>
    public static string? EventsOf(IReadOnlyList<string?>? events)
    {
        if (events is null)
        {
            return null;
        }
        if (events.Count == 0 || events.Count > 50)
        {
            throw OperationException.Invalid("events", "'events' must list 1 to 50 event types, or [\"*\"] for all of them.");
        }
        foreach (var type in events)
        {
            if (type is null || !WebhookEventTypes.IsSubscribable(type))
            {
                throw OperationException.Invalid("events",
                    $"'{type}' is not an event type; use \"*\" or any of: {string.Join(", ", EventTypes.All)}.");
            }
        }
        return WebhookEventTypes.Store([.. events!]);
    }

    /// <summary>Adds the endpoint, within the program's limit of endpoints.</summary>
    public static async Task CreateAsync(WriteContext context, WebhookEndpointRow row)
    {
        await using var db = await PatronDb.ForAsync(context, row.ProgramId);
        if (await db.WebhookEndpoints.CountAsync() >= WebhooksLimits.MaxEndpointsPerProgram)
        {
            throw OperationException.Unprocessable("limit_exceeded",
                $"A program has at most {WebhooksLimits.MaxEndpointsPerProgram} webhook endpoints; delete one first.");
        }
        row.CreatedAt = row.UpdatedAt = context.NowMs;
        db.WebhookEndpoints.Add(row);
        await db.SaveChangesAsync();
        db.Entry(row).State = EntityState.Detached;
        context.AfterCommit.Add(WebhookSignal.For(context.Database).EndpointsChanged);
    }

    /// <summary>Deletes the endpoint and its delivery log; it receives nothing more from the commit on.</summary>
    public static async Task DeleteAsync(WriteContext context, string programId, string id)
    {
        await using var db = await PatronDb.ForAsync(context, programId);
        if (await db.WebhookEndpoints.Where(e => e.Id == id).ExecuteDeleteAsync() == 0)
        {
            throw OperationException.NotFound("webhook endpoint", id);
        }
        await context.Sql.ExecuteAsync("DELETE FROM webhook_deliveries WHERE endpoint_id = @e AND program_id = @p",
            ("e", id), ("p", programId));
        context.AfterCommit.Add(WebhookSignal.For(context.Database).EndpointsChanged);
    }

    /// <summary>All the program's endpoints, newest first (at most <see cref="WebhooksLimits.MaxEndpointsPerProgram"/>).</summary>
    public static async Task<List<WebhookEndpointRow>> ListAllAsync(Database database, string programId)
    {
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = programId };
        return await db.WebhookEndpoints.OrderByDescending(e => e.Id).Take(WebhooksLimits.MaxEndpointsPerProgram).ToListAsync();
    }
}
