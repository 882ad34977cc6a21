using Microsoft.EntityFrameworkCore;
using Patron.Storage;

namespace Patron.Api;

/// <summary>The caller's program (SPEC section 3, Program).</summary>
public static class ProgramEndpoints
{
    public sealed record ProgramDto(string Id, string Name, string Currency, bool Live, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "program";

        public static ProgramDto From(ProgramRow p) =>
            new(p.Id, p.Name, p.Currency, p.Live, PatronJson.FromMs(p.CreatedAt), PatronJson.FromMs(p.UpdatedAt));
    }

    public static RouteGroupBuilder MapProgramApi(this RouteGroupBuilder api)
    {
        api.MapGet("/program", Get).WithTags("Program").WithSummary("The program this API key belongs to").Produces<ProgramDto>();
        return api;
    }

    private static async Task<IResult> Get(Caller caller, Database database)
    {
        await using var db = new PatronDb(PatronDb.Options(database));
        var program = await db.Programs.FirstOrDefaultAsync(p => p.Id == caller.ProgramId)
            ?? throw ApiException.NotFound("program", caller.ProgramId);
        return TypedResults.Ok(ProgramDto.From(program));
    }
}
