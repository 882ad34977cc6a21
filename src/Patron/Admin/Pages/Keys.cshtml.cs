using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Patron.Api;
using Patron.Domain;
using Patron.Operations.Keys;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

/// <summary>The program's API keys: create (the secret is shown in this answer only) and revoke. Owners only.</summary>
[Authorize(Policy = AdminAuth.OwnerPolicy)]
public sealed class KeysModel(Database database, IWritePath writes, ApiKeyService keys, TimeProvider clock) : AdminPage
{
    public List<ApiKeyDto> Keys { get; private set; } = [];

    public string? CreatedSecret { get; private set; }

    public string? CreatedName { get; private set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostCreateAsync(string? name, string? scope)
    {
        if (!ApiKeyScopes.IsValid(scope))
        {
            await LoadAsync();
            return Refuse("The scope must be read, write or admin.");
        }
        name = name?.Trim();
        if (string.IsNullOrEmpty(name) || ApiKeyOperations.Refusal(name, null, null, clock.GetUtcNow()) is not null)
        {
            await LoadAsync();
            return Refuse($"Give the key a name of up to {Limits.NameLength} characters.");
        }
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        string? secret = null;
        var created = await TryAsync(async () =>
            secret = (await writes.RunAsync(context => ApiKeyOperations.CreateAsync(context, staff, programId, new ApiKeyRequest(name, scope!)))).Secret);
        if (created)
        {
            CreatedSecret = secret;
            CreatedName = name;
            // The secret is in this page only: never cached, never stored in a redirect.
            Response.Headers.CacheControl = "no-store";
        }
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? id)
    {
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        var revoked = id is not null && await TryAsync(() => writes.RunAsync(context => ApiKeyOperations.RevokeAsync(context, staff, programId, id)));
        if (!revoked)
        {
            await LoadAsync();
            Error ??= "No such key.";
            Response.StatusCode = 404;
            return Page();
        }
        keys.Forget(id!);
        Notice = "The key is revoked.";
        return Redirect("/admin/keys");
    }

    private async Task LoadAsync()
    {
        // The 200 newest, as GET /api_keys lists them.
        Keys = (await ApiKeyQueries.ListAsync(database, Actor.ProgramId, new Paging(200, 1, null))).Data;
    }
}
