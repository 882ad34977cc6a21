using Microsoft.EntityFrameworkCore;
using Patron.Domain;
using Patron.Operations.Programs;
using Patron.Storage;
using static Patron.Operations.Programs.ProgramSettings;

namespace Patron.Api;

/// <summary>The caller's program and its settings (docs/API.md, Program).</summary>
public static class ProgramEndpoints
{
    public static RouteGroupBuilder MapProgramApi(this RouteGroupBuilder api)
    {
        api.MapGet("/program", Get).WithTags("Program").WithSummary("The program this API key belongs to").Produces<ProgramDto>();
        api.MapPatch("/program", Update).WithTags("Program").WithSummary("Change the program's settings (admin)")
            .Accepts<ProgramInput>("application/json").Produces<ProgramDto>();
        return api;
    }

    private static async Task<IResult> Get(Caller caller, Database database)
    {
        await using var db = new PatronDb(PatronDb.Options(database));
        var program = await db.Programs.FirstOrDefaultAsync(p => p.Id == caller.ProgramId)
            ?? throw ApiException.NotFound("program", caller.ProgramId);
        return TypedResults.Ok(ProgramDto.From(program));
    }

    private static async Task<IResult> Update(HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<ProgramInput>();
        ProgramSettings.Validate(input);
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await ProgramSettings.UpdateAsync(context, caller.Actor, caller.ProgramId, input)));
    }
}
