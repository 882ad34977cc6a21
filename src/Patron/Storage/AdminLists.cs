using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// Lists the admin dashboard's newer pages read (the audit trail, rewards, earn rules, VIP tiers), paged by
/// <c>starting_after</c> and newest first like the API's lists (<see cref="DashboardReads.Trim"/>).
/// </summary>
public static class AdminLists
{
    /// <summary>
    /// The audit trail, newest first. <paramref name="subject"/> is a subject id (<c>cus_...</c>) or a subject
    /// type (<c>customer</c>), as <see cref="AuditActions.SubjectTypes"/> names them.
    /// </summary>
    public static async Task<CursorPage<AuditEvent>> AuditAsync(
        Sql sql, string programId, string? action, string? subject, string? startingAfter, int limit)
    {
        var where = "program_id = @p";
        var args = new List<(string, object?)> { ("p", programId), ("n", limit + 1) };
        if (action is not null)
        {
            where += " AND action = @action";
            args.Add(("action", action));
        }
        if (subject is not null)
        {
            where += AuditActions.SubjectTypes.Contains(subject) ? " AND subject_type = @subject" : " AND subject_id = @subject";
            args.Add(("subject", subject));
        }
        if (startingAfter is not null)
        {
            where += " AND id < @after";
            args.Add(("after", startingAfter));
        }
        var rows = await sql.ListAsync($"SELECT {AuditTrail.Columns} FROM audit_events WHERE {where} ORDER BY id DESC LIMIT @n",
            AuditTrail.Map, [.. args]);
        return DashboardReads.Trim(rows, limit, startingAfter);
    }
}
