using System.Runtime.CompilerServices;

namespace Patron.Browser.Tests;

/// <summary>A browser test run once per data row (such as each database); skipped like <see cref="BrowserFactAttribute"/> without Chromium.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserTheoryAttribute : TheoryAttribute
{
    public BrowserTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!BrowserFixture.IsInstalled)
        {
            Skip = $"Chromium is not installed at {BrowserFixture.ExecutablePath}: apt-get install chromium fonts-liberation fonts-dejavu-core, or set CHROMIUM_PATH";
        }
    }
}
