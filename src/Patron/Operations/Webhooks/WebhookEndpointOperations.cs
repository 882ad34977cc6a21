using Microsoft.EntityFrameworkCore;
using Patron.Domain;
using Patron.Storage;
using Patron.Webhooks;

namespace Patron.Operations.Webhooks;

/// <summary>
/// A webhook endpoint's settings as a caller sends them. On creation an absent <c>Events</c> subscribes
/// to every type; on a change an absent (null) field is left as it is and a <c>""</c> description clears it.
/// </summary>
public sealed record WebhookEndpointSettings(
    string? Url = null, IReadOnlyList<string>? Events = null, bool? Enabled = null, string? Description = null,
    string? SignatureScheme = null);

/// <summary>A checked change to an endpoint (URL verified, events stored form), ready for the write.</summary>
public sealed record WebhookEndpointChange(string? Url, string? Events, bool? Enabled, string? Description, string? SignatureScheme);

/// <summary>
/// A program's webhook endpoints (docs/WEBHOOKS.md, docs/API.md Webhook endpoints): create, change and
/// delete, from the native API, the dialects and the dashboard alike, each audited here (docs/AUDIT.md).
/// The URL check resolves names, so it runs before the write: <c>Prepare...</c> checks, the write applies.
/// </summary>
public static class WebhookEndpointOperations
{
    /// <summary>Checks a new endpoint and makes its row and signing secret (in clear, to show once).</summary>
    public static async Task<(WebhookEndpointRow Row, string Secret)> PrepareAsync(
        WebhookSecrets secrets, bool allowPrivateTargets, string programId, WebhookEndpointSettings input, CancellationToken ct)
    {
        var url = input.Url?.Trim() is { Length: > 0 } u ? u : throw OperationException.Missing("url");
        await CheckUrlAsync(url, allowPrivateTargets, ct);
        var events = WebhookEndpointWrites.EventsOf(input.Events) ?? WebhookEventTypes.Store([WebhookEventTypes.Wildcard]);
        return WebhookEndpointWrites.NewRow(secrets, programId, url, events, DescriptionOf(input.Description),
            input.Enabled ?? true, SchemeOf(input.SignatureScheme) ?? WebhookSignatureSchemes.Patron);
    }

    /// <summary>Adds a prepared endpoint in the caller's write, within the program's limit, and audits it.</summary>
    public static async Task CreateAsync(WriteContext context, Actor actor, WebhookEndpointRow row)
    {
        await WebhookEndpointWrites.CreateAsync(context, row);
        await AuditTrail.RecordAsync(context, actor, row.ProgramId, AuditActions.WebhookEndpointCreated, row.Id,
            null, WebhookEndpointDto.From(row));
    }

    /// <summary>Checks a change before the write.</summary>
    public static async Task<WebhookEndpointChange> PrepareChangeAsync(bool allowPrivateTargets, WebhookEndpointSettings input, CancellationToken ct)
    {
        var url = input.Url?.Trim();
        if (url is not null)
        {
            if (url.Length == 0)
            {
                throw OperationException.Invalid("url", "'url' cannot be empty.");
            }
            await CheckUrlAsync(url, allowPrivateTargets, ct);
        }
        var events = WebhookEndpointWrites.EventsOf(input.Events);
        // Checked here, applied in the write: "" clears the description.
        _ = DescriptionOf(input.Description);
        return new WebhookEndpointChange(url, events, input.Enabled, input.Description, SchemeOf(input.SignatureScheme));
    }

    /// <summary>Applies a checked change in the caller's write and audits it; the endpoint as it is now.</summary>
    public static async Task<WebhookEndpointRow> UpdateAsync(WriteContext context, Actor actor, string programId, string id, WebhookEndpointChange change)
    {
        await using var db = await PatronDb.ForAsync(context, programId);
        var row = await db.WebhookEndpoints.AsTracking().FirstOrDefaultAsync(e => e.Id == id)
            ?? throw OperationException.NotFound("webhook endpoint", id);
        var before = WebhookEndpointDto.From(row);
        if (change.Url is not null)
        {
            row.Url = change.Url;
        }
        if (change.Events is not null)
        {
            row.Events = change.Events;
        }
        if (change.Description is not null)
        {
            row.Description = DescriptionOf(change.Description);
        }
        if (change.SignatureScheme is not null)
        {
            row.SignatureScheme = change.SignatureScheme;
        }
        if (change.Enabled is { } enabled && enabled != row.Enabled)
        {
            row.Enabled = enabled;
            // Enabling starts afresh: deliveries paused while disabled are attempted again at once.
            row.DisabledReason = enabled ? null : "manual";
            row.FailingSince = null;
        }
        row.UpdatedAt = context.NowMs;
        await db.SaveChangesAsync();
        context.AfterCommit.Add(WebhookSignal.For(context.Database).EndpointsChanged);
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.WebhookEndpointUpdated, id, before, WebhookEndpointDto.From(row));
        return row;
    }

    /// <summary>Deletes an endpoint and its delivery log in the caller's write, and audits it.</summary>
    public static async Task DeleteAsync(WriteContext context, Actor actor, string programId, string id)
    {
        await using var db = await PatronDb.ForAsync(context, programId);
        var before = await db.WebhookEndpoints.FirstOrDefaultAsync(e => e.Id == id);
        await WebhookEndpointWrites.DeleteAsync(context, programId, id);
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.WebhookEndpointDeleted, id,
            before is null ? null : WebhookEndpointDto.From(before), null);
    }

    private static Task CheckUrlAsync(string url, bool allowPrivateTargets, CancellationToken ct) =>
        WebhookEndpointWrites.CheckUrlAsync(url, allowPrivateTargets, ct);

    private static string? SchemeOf(string? scheme) =>
        scheme is null || WebhookSignatureSchemes.IsValid(scheme) ? scheme
            : throw OperationException.Invalid("signature_scheme", "'signature_scheme' must be 'patron' or 'loyalino'.");

    private static string? DescriptionOf(string? description)
    {
        var trimmed = description?.Trim();
        return string.IsNullOrEmpty(trimmed) ? null
            : trimmed.Length <= Limits.DescriptionLength ? trimmed
            : throw OperationException.Invalid("description", $"'description' is limited to {Limits.DescriptionLength} characters.");
    }
}
