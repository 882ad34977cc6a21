using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Audit;

/// <summary>The audit trail (docs/AUDIT.md) as the dashboard pages it, by <c>starting_after</c>, newest first.</summary>
public static class AuditQueries
{
    /// <summary>
    /// The audit trail, newest first. <paramref name="subject"/> is a subject id (<c>cus_...</c>) or a subject
    /// type (<c>customer</c>), as <see cref="AuditActions.SubjectTypes"/> names them.
    /// </summary>
    public static Task<CursorPage<AuditEvent>> PageAsync(
        Database db, string programId, string? action, string? subject, string? startingAfter, int limit) =>
        db.ReadAsync(async sql =>
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
            return CursorPage.Of(rows, limit, startingAfter);
        });
}
