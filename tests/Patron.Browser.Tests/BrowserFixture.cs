using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Patron.Browser.Tests.BrowserFixture))]

namespace Patron.Browser.Tests;

/// <summary>
/// One headless Chromium for the whole test assembly: Debian's <c>chromium</c> package (installed by
/// <c>.ci/run</c>), never a downloaded browser. <c>CHROMIUM_PATH</c> names another binary. Without
/// one, every <see cref="BrowserFactAttribute"/> test shows as skipped with the command that installs it.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static bool IsInstalled => File.Exists(ExecutablePath);

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>
    /// A new browser context whose waits suit a loaded 2-core machine: the suite runs beside the API
    /// tests, and a page can take seconds to load there. A test that fails still fails, only later.
    /// </summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null)
    {
        var context = await Browser.NewContextAsync(options);
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(90_000);
        return context;
    }

    public async ValueTask InitializeAsync()
    {
        if (!IsInstalled)
        {
            return;
        }
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ExecutablePath, Headless = true });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }
}
