using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Patron.Cli;
using Patron.Operations.StaffAccounts;
using Patron.Storage;

namespace Patron.Dashboard;

/// <summary>
/// The admin dashboard at <c>/admin</c> (docs/ADMIN.md): Razor Pages rendered on the server, over the same
/// core operations as the API. Staff sign in with a cookie session; every form carries an antiforgery token.
/// </summary>
public static class AdminSetup
{
    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.AddRazorPages(o =>
            {
                o.RootDirectory = "/Admin/Pages";
                o.Conventions.AuthorizeFolder("/", AdminAuth.StaffPolicy);
                o.Conventions.AllowAnonymousToPage("/Login");
            })
            .ConfigureApplicationPartManager(parts =>
            {
                // Under a test host the entry assembly is not Patron's: name its pages explicitly, once.
                var assembly = typeof(AdminSetup).Assembly;
                if (!parts.ApplicationParts.Any(p => p is AssemblyPart a && a.Assembly == assembly))
                {
                    foreach (var part in ApplicationPartFactory.GetApplicationPartFactory(assembly).GetApplicationParts(assembly))
                    {
                        parts.ApplicationParts.Add(part);
                    }
                }
            });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "patron_admin_csrf";
            o.Cookie.Path = AdminAuth.BasePath;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.FormFieldName = "__csrf";
        });
        // With one scheme registered, ASP.NET Core would make it the default and read it on every request
        // (the API's included); this documented switch turns that off, so only the dashboard pays for it.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication()
            .AddCookie(AdminAuth.Scheme, AdminAuth.ConfigureCookie);
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminAuth.StaffPolicy, p => p.AddAuthenticationSchemes(AdminAuth.Scheme).RequireAuthenticatedUser())
            .AddPolicy(AdminAuth.OwnerPolicy, p => p.AddAuthenticationSchemes(AdminAuth.Scheme).RequireRole(StaffRoles.Owner));
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<AdminImports>();
        services.AddSingleton<Operations.Analytics.OverviewFigures>();
        // Cookies and antiforgery tokens are sealed with a key derived from Patron's own encryption key
        // (docs/SECURITY.md): nothing is written under ~/.aspnet, and every process on one database agrees.
        services.AddSingleton<IDataProtectionProvider>(sp => new AdminDataProtection(sp.GetRequiredService<Webhooks.WebhookSecrets>()));
        var keyRingPrefetch = services.Where(d => d.ImplementationType?.Name == "DataProtectionHostedService").ToList();
        foreach (var d in keyRingPrefetch)
        {
            services.Remove(d);
        }
        return services;
    }

    public static WebApplication MapAdmin(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet(AdminAuth.BasePath + "/admin.css", () => Results.Text(AdminStyles.Css, "text/css; charset=utf-8"))
            .ExcludeFromDescription().AllowAnonymous();
        app.MapAdminStatic();
        app.MapRazorPages();
        return app;
    }

    /// <summary>While no staff user exists, says how to create the first owner.</summary>
    public static async Task PrintFirstOwnerHintAsync(WebApplication app)
    {
        if (!await StaffAccountQueries.AnyAsync(app.Services.GetRequiredService<Database>()))
        {
            Console.WriteLine("The admin dashboard is at /admin. No staff user exists yet; create the first owner with:");
            Console.WriteLine($"  {UsersCommand.FirstOwnerCommand}");
            Console.WriteLine($"  (from a source checkout: dotnet run --project src/Patron -- {UsersCommand.FirstOwnerCommand["patron ".Length..]})");
        }
    }
}
