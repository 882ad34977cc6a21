using System.Diagnostics;

namespace Patron.Tests.Infrastructure;

/// <summary>What one run of the Patron command line answered.</summary>
public sealed record CliRun(int Exit, string Stdout, string Stderr)
{
    /// <summary>Standard output then standard error, for failure messages.</summary>
    public string Output => $"[stdout]\n{Stdout}\n[stderr]\n{Stderr}";

    /// <summary>The last non-empty line of standard output (where <c>programs create</c> and <c>keys create</c> print their result).</summary>
    public string LastLine => Lines(Stdout) is [.., var last] ? last : "";

    public static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// The built Patron command line as a child process (<c>dotnet Patron.dll VERB ...</c>), run to its end.
/// Pass a server's <see cref="PatronServer.DatabaseArgs"/> among the arguments so that it works on that
/// server's database, beside it.
/// </summary>
public static class PatronCliProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static async Task<CliRun> RunAsync(string workingDirectory, IEnumerable<string> args, string? stdin = null)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(PatronProcess.PatronDll);
        start.Environment["DOTNET_TieredPGO"] = "0"; // a short-lived command: see TieredPGO in tests/Directory.Build.props
        // Pass file names relative to the working directory: the configuration reader (PatronCli.Configuration)
        // takes the argument after an absolute path ('/tmp/...') as that path's value, which would swallow the
        // database arguments.
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        // Settings inherited from the test run's environment must not point the command elsewhere.
        start.Environment.Remove("ConnectionStrings__Patron");
        start.Environment.Remove("Patron__Database__Provider");
        start.Environment.Remove("Patron__DataDir");
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException(
                $"patron {string.Join(' ', start.ArgumentList.Skip(1))} did not finish within {Timeout.TotalSeconds} s.\n{await stdout}\n{await stderr}");
        }
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }
}
