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
        db.ReadAsync(sql => new ListFilter(programId)
            .When(action is not null, "action = @action", ("action", action))
            .When(subject is not null, AuditActions.SubjectTypes.Contains(subject ?? "") ? "subject_type = @subject" : "subject_id = @subject",
                ("subject", subject))
            .CursorPageAsync(sql, AuditTrail.Columns, "audit_events", AuditTrail.Map, startingAfter, limit));
}
