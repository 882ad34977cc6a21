using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Patron.Operations.StaffAccounts;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

/// <summary>The signed-in user's own password. A change signs out every other session (new security stamp).</summary>
public sealed class AccountModel(Database database, IWritePath writes) : AdminPage
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(string? current, string? next)
    {
        var actor = Actor;
        if (string.IsNullOrEmpty(current) || await StaffAccountOperations.VerifyAsync(database, actor.Email, current) is null)
        {
            return Refuse("The current password is wrong.");
        }
        if (StaffAccountOperations.PasswordRefusal(next) is { } refusal)
        {
            return Refuse(refusal);
        }
        var user = await StaffAccountOperations.ChangePasswordAsync(writes, actor.UserId, next!);
        await HttpContext.SignInAsync(AdminAuth.Scheme, AdminAuth.Principal(user!));
        Notice = "Password changed. Other sessions are signed out.";
        return Redirect("/admin/account");
    }
}
