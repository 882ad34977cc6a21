using Microsoft.Playwright;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>What the dashboard's browser tests share: page addresses, signing in and the guide's screenshots.</summary>
internal static class AdminScreens
{
    public static string Url(PatronServer server, string path) => new Uri(server.BaseAddress, path).ToString();

    /// <summary>Signs in on this page through the login form, as a person does, and waits for the overview.</summary>
    public static async Task SignInAsync(IPage page, PatronServer server, string email, string password)
    {
        await page.GotoAsync(Url(server, "/admin/login"));
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
    }

    /// <summary>
    /// Saves a page as docs/ADMIN.md shows it. The guide's images are replaced only when
    /// PATRON_UPDATE_SCREENSHOTS=1, so that a test run leaves the working tree as it was.
    /// </summary>
    public static async Task Screenshot(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("PATRON_UPDATE_SCREENSHOTS") == "1"
            ? Repository.File("docs", "admin")
            : Directory.CreateTempSubdirectory("patron-screenshots-").FullName;
        var path = Path.Combine(folder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        new FileInfo(path).Length.ShouldBeGreaterThan(0, name);
    }
}
