using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Patron.Operations.StaffAccounts;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

public sealed class LoginModel(Database database, LoginThrottle throttle, TimeProvider clock) : AdminPage
{
    public string? Email { get; private set; }

    public string? ReturnUrl { get; private set; }

    public void OnGet(string? returnUrl) => ReturnUrl = SafeReturn(returnUrl);

    public async Task<IActionResult> OnPostAsync(string? email, string? password, string? returnUrl)
    {
        Email = email;
        ReturnUrl = SafeReturn(returnUrl);
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password) || email.Length > 254 || password.Length > StaffAccountOperations.MaxPasswordLength)
        {
            return Refuse("Enter your email and password.");
        }
        var client = AdminAuth.Client(HttpContext);
        if (throttle.ThrottledUntil(email, client) is { } until)
        {
            var minutes = Math.Max(1, (int)Math.Ceiling((until - clock.GetUtcNow()).TotalMinutes));
            Response.Headers.RetryAfter = ((int)Math.Ceiling((until - clock.GetUtcNow()).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Error = $"Too many wrong passwords. Try again in {minutes} minute{(minutes == 1 ? "" : "s")}.";
            Response.StatusCode = 429;
            return Page();
        }
        var user = await StaffAccountOperations.VerifyAsync(database, email, password);
        if (user is null)
        {
            throttle.Failed(email, client);
            Error = "Wrong email or password.";
            Response.StatusCode = 401;
            return Page();
        }
        throttle.Succeeded(email);
        await HttpContext.SignInAsync(AdminAuth.Scheme, AdminAuth.Principal(user));
        return LocalRedirect(ReturnUrl ?? AdminAuth.BasePath);
    }

    /// <summary>Only a path of the dashboard itself: never another site.</summary>
    private static string? SafeReturn(string? url) =>
        url is { Length: > 0 and < 500 } && url.StartsWith(AdminAuth.BasePath, StringComparison.Ordinal) && !url.StartsWith("//", StringComparison.Ordinal)
            && !url.Contains('\\', StringComparison.Ordinal) ? url : null;
}
