using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Programs;

/// <summary>Loyalty programs (tenants): creation, audited with the actor of the front door (docs/AUDIT.md).</summary>
public static class ProgramOperations
{
    /// <summary>Creates a program in the caller's write.</summary>
    public static async Task<ProgramRow> CreateAsync(WriteContext context, Actor actor, string name, string currency = "USD")
    {
        await using var db = await PatronDb.ForAsync(context, null);
        var row = new ProgramRow
        {
            Id = Ids.New("prog_"),
            Name = name.Trim(),
            Currency = currency,
            CreatedAt = context.NowMs,
            UpdatedAt = context.NowMs,
        };
        db.Programs.Add(row);
        await db.SaveChangesAsync();
        await AuditTrail.RecordAsync(context, actor, row.Id, AuditActions.ProgramCreated, row.Id, null,
            new { name = row.Name, currency = row.Currency });
        return row;
    }
}
