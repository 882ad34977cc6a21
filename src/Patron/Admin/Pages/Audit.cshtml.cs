using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Patron.Domain;
using Patron.Operations.Audit;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

/// <summary>The audit trail: who changed what and when, filtered by action and subject. Owners only.</summary>
[Authorize(Policy = AdminAuth.OwnerPolicy)]
public sealed class AuditModel(Database database) : AdminPage
{
    public string? Action { get; private set; }

    public string? Subject { get; private set; }

    public CursorPage<AuditEvent> Events { get; private set; } = new([], false, null);

    public async Task<IActionResult> OnGetAsync(string? action, string? subject, [FromQuery(Name = "starting_after")] string? startingAfter)
    {
        Action = string.IsNullOrEmpty(action) ? null : action;
        Subject = subject?.Trim() is { Length: > 0 } s ? s : null;
        if (Action is not null && !AuditActions.IsKnown(Action))
        {
            Action = null;
            return Refuse("Choose an action from the list.");
        }
        if (Subject is { Length: > 64 })
        {
            Subject = null;
            return Refuse("A subject is a type such as customer, or an id such as cus_... (up to 64 characters).");
        }
        var programId = Actor.ProgramId;
        var (a, sub, after) = (Action, Subject, Cursor(startingAfter));
        Events = await AuditQueries.PageAsync(database, programId, a, sub, after, PageSize);
        return Page();
    }

    /// <summary>A snapshot as one line of text, or a dash.</summary>
    public static string Show(System.Text.Json.Nodes.JsonObject? snapshot) =>
        snapshot is null || snapshot.Count == 0 ? "—" : snapshot.ToJsonString();
}
