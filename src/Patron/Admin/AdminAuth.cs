using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Patron.Operations.StaffAccounts;
using Patron.Storage;

namespace Patron.Dashboard;

/// <summary>
/// Cookie sessions of staff users. The cookie carries the user's id, program, role and security stamp;
/// each request checks the stamp against the database, so a password change (which changes the stamp)
/// or a disabled account ends every session at once.
/// </summary>
public static class AdminAuth
{
    public const string BasePath = "/admin";
    public const string Scheme = "PatronAdmin";
    public const string StaffPolicy = "admin-staff";
    public const string OwnerPolicy = "admin-owner";
    public const string ProgramClaim = "patron:program";
    public const string StampClaim = "patron:stamp";

    public static void ConfigureCookie(CookieAuthenticationOptions o)
    {
        o.Cookie.Name = "patron_admin";
        o.Cookie.Path = BasePath;
        o.Cookie.HttpOnly = true;
        o.Cookie.SameSite = SameSiteMode.Strict;
        o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.LoginPath = BasePath + "/login";
        o.LogoutPath = BasePath + "/logout";
        o.ExpireTimeSpan = TimeSpan.FromHours(8);
        o.SlidingExpiration = true;
        o.Events.OnValidatePrincipal = ValidateAsync;
        o.Events.OnRedirectToAccessDenied = async context =>
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not allowed · Patron admin</title>" +
                "<link rel=\"stylesheet\" href=\"/admin/admin.css\"></head><body><main><h1>Not allowed</h1>" +
                "<p>This page is for owners of the program.</p><p><a href=\"/admin\">Back to the overview</a></p></main></body></html>");
        };
    }

    public static ClaimsPrincipal Principal(StaffUser user) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id),
            new Claim(ClaimTypes.Name, user.Email),
            new Claim(ClaimTypes.Role, user.Role),
            new Claim(ProgramClaim, user.ProgramId),
            new Claim(StampClaim, user.SecurityStamp),
        ], Scheme, ClaimTypes.Name, ClaimTypes.Role));

    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        var stamp = context.Principal?.FindFirstValue(StampClaim);
        var database = context.HttpContext.RequestServices.GetRequiredService<Database>();
        var user = id is null ? null : await StaffAccountQueries.ByIdAsync(database, id);
        if (user is null || user.DisabledAt is not null || user.SecurityStamp != stamp || user.Role != context.Principal!.FindFirstValue(ClaimTypes.Role))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
        }
    }

    /// <summary>The signed-in staff user behind a request of the dashboard.</summary>
    public static StaffActor Actor(ClaimsPrincipal user) => new(
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("Not signed in."),
        user.FindFirstValue(ClaimTypes.Name) ?? "",
        user.FindFirstValue(ProgramClaim) ?? throw new InvalidOperationException("Not signed in."),
        user.IsInRole(StaffRoles.Owner));

    public static string Client(HttpContext http) => (http.Connection.RemoteIpAddress ?? IPAddress.None).ToString();
}

/// <summary>
/// Who does something in the dashboard: the staff user is the actor of every change it makes (its id is
/// the <c>created_by</c> of ledger entries and redemptions). The audit trail takes its actor from here.
/// </summary>
public sealed record StaffActor(string UserId, string Email, string ProgramId, bool IsOwner)
{
    /// <summary>What the core records as the author of a write.</summary>
    public string CreatedBy => UserId;

    /// <summary>The signed-in user as the core's audit actor: every dashboard write is recorded as staff.</summary>
    public Patron.Domain.Actor Audit => Patron.Domain.Actor.Staff(UserId);
}
