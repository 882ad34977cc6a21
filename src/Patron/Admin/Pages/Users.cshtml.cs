using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Patron.Operations.StaffAccounts;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

/// <summary>The program's staff accounts. Owners only.</summary>
[Authorize(Policy = AdminAuth.OwnerPolicy)]
public sealed class UsersModel(Database database, IWritePath writes) : AdminPage
{
    public List<StaffUser> Users { get; private set; } = [];

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostCreateAsync(string? email, string? role, string? password)
    {
        var programId = Actor.ProgramId;
        var done = await TryAsync(() => StaffAccountOperations.CreateAsync(writes, programId, email ?? "", role ?? "", password ?? ""));
        if (!done)
        {
            await LoadAsync();
            return Page();
        }
        Notice = $"Created {role} {email}.";
        return Redirect("/admin/users");
    }

    private async Task LoadAsync()
    {
        var programId = Actor.ProgramId;
        Users = await StaffAccountQueries.ListAsync(database, programId);
    }
}
