namespace Patron.Tests.Infrastructure;

/// <summary>The checkout the tests run from, for tests that read or write the repository's own files (guides, screenshots, the Dockerfile).</summary>
public static class Repository
{
    /// <summary>The folder holding Patron.slnx, found above the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path inside the repository, e.g. <c>Repository.File("docs", "migrate", "loyaltylion.md")</c>.</summary>
    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Patron.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("The repository root (Patron.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
