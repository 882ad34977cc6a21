using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace Patron.Dashboard.Pages;

public sealed class LogoutModel : AdminPage
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(AdminAuth.Scheme);
        return Redirect(AdminAuth.BasePath + "/login");
    }
}
