using Patron.Cli;
using Patron.Storage;

namespace Patron.Dashboard;

/// <summary>The admin dashboard at <c>/admin</c> (docs/ADMIN.md): its services, its pipeline and its first-start hint.</summary>
public static class AdminSetup
{
    /// <summary>While no staff user exists, says how to create the first owner.</summary>
    public static async Task PrintFirstOwnerHintAsync(WebApplication app)
    {
        if (!await StaffUsers.AnyAsync(app.Services.GetRequiredService<Database>()))
        {
            Console.WriteLine("The admin dashboard is at /admin. No staff user exists yet; create the first owner with:");
            Console.WriteLine($"  {UsersCommand.FirstOwnerCommand}");
        }
    }
}
