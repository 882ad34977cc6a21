using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Patron.Api;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

/// <summary>The program's API keys: create (the secret is shown in this answer only) and revoke. Owners only.</summary>
[Authorize(Policy = AdminAuth.OwnerPolicy)]
public sealed class KeysModel(Database database, IWritePath writes, ApiKeyService keys, TimeProvider clock) : AdminPage
{
    public List<ApiKeyRow> Keys { get; private set; } = [];

    public string? CreatedSecret { get; private set; }

    public string? CreatedName { get; private set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostCreateAsync(string? name, string? scope)
    {
        if (Caller.ParseScope(scope) is not { } s)
        {
            await LoadAsync();
            return Refuse("The scope must be read, write or admin.");
        }
        name = name?.Trim();
        if (string.IsNullOrEmpty(name) || ApiKeyService.Refusal(name, null, null, clock.GetUtcNow()) is { } refusal)
        {
            await LoadAsync();
            return Refuse("Give the key a name of up to 200 characters.");
        }
        var created = await Admin.CreateKeyAsync(writes, Actor.ProgramId, s, name);
        CreatedSecret = created?.Secret;
        CreatedName = name;
        // The secret is in this page only: never cached, never stored in a redirect.
        Response.Headers.CacheControl = "no-store";
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? id)
    {
        var programId = Actor.ProgramId;
        var key = id is null ? null : await database.ReadAsync(async sql =>
            await sql.ScalarAsync("SELECT id FROM api_keys WHERE id = @id AND program_id = @p", ("id", id), ("p", programId)));
        if (key is null)
        {
            await LoadAsync();
            Error = "No such key.";
            Response.StatusCode = 404;
            return Page();
        }
        if (await Admin.RevokeKeyAsync(writes, id!))
        {
            keys.Forget(id!);
        }
        Notice = "The key is revoked.";
        return Redirect("/admin/keys");
    }

    private async Task LoadAsync()
    {
        await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = Actor.ProgramId };
        Keys = await db.ApiKeys.OrderByDescending(k => k.CreatedAt).Take(200).ToListAsync();
    }
}
