using System.Runtime.CompilerServices;

namespace Patron.Browser.Tests;

/// <summary>
/// A test that drives the browser. It runs wherever Chromium is installed (CI installs it); on a
/// machine without it the test shows as skipped, naming the package to install.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!BrowserFixture.IsInstalled)
        {
            Skip = $"Chromium is not installed at {BrowserFixture.ExecutablePath}: apt-get install chromium fonts-liberation fonts-dejavu-core, or set CHROMIUM_PATH";
        }
    }
}
