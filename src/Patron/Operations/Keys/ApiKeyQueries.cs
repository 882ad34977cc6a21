using Microsoft.EntityFrameworkCore;
using Patron.Storage;

namespace Patron.Operations.Keys;

/// <summary>The API keys of a program as <c>GET /api_keys</c> and the dashboard's Keys page list them.</summary>
public static class ApiKeyQueries
{
    /// <summary>A window of the program's keys, newest first (ids order by creation), never their secrets.</summary>
    public static async Task<ListEnvelope<ApiKeyDto>> ListAsync(Database database, string programId, Paging paging)
    {
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = programId };
        var query = db.ApiKeys.AsQueryable();
        if (paging.StartingAfter is { } after)
        {
            query = query.Where(k => string.Compare(k.Id, after) < 0);
        }
        var rows = await query.OrderByDescending(k => k.Id).Skip(paging.Offset).Take(paging.Limit + 1).ToListAsync();
        long? total = paging.StartingAfter is null ? await db.ApiKeys.LongCountAsync() : null;
        return paging.Envelope(rows.Select(k => ApiKeyDto.From(k)).ToList(), total);
    }
}
