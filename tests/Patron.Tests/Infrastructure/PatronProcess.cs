using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Patron.Tests.Infrastructure;

/// <summary>
/// The built Patron as a separate OS process (<c>dotnet Patron.dll serve</c>), for tests that must kill
/// the server the hard way. It listens on 127.0.0.1 only, on a free port; the first admin key is fixed
/// through <c>Patron__Bootstrap__AdminKey</c>, so a second process on the same database answers to the
/// same key. Standard output and error are kept for the failure message.
/// </summary>
public sealed partial class PatronProcess : IAsyncDisposable
{
    // A separate process JIT-compiles the whole server as it starts: on a 2-core machine busy with the rest
    // of the suite that has taken over a minute.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<HttpClient> _clients = [];
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PatronProcess(Process process, string adminKey)
    {
        _process = process;
        AdminKey = adminKey;
    }

    /// <summary>The address Kestrel reported binding; set once the process is healthy.</summary>
    public Uri BaseAddress { get; private set; } = null!;
    public string AdminKey { get; }

    /// <summary>An HTTP client authenticated with the admin key.</summary>
    public HttpClient Client { get; private set; } = null!;

    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote to standard output and standard error so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The Patron.dll the test project copies beside its own assembly.</summary>
    public static string PatronDll
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "Patron.dll");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"Patron.dll is not beside the test assembly in {AppContext.BaseDirectory}; build the solution first.", path);
        }
    }

    /// <param name="databaseArgs">From <see cref="TestDatabase.Args"/>; reuse them to restart on the same database.</param>
    /// <param name="adminKey">The bootstrap admin key (ignored by Patron once the database has a key, so keep it across restarts).</param>
    /// <param name="settings">Extra configuration, e.g. <c>["Patron:RateLimit:PerMinute"] = "5"</c>.</param>
    public static async Task<PatronProcess> StartAsync(
        IReadOnlyList<string> databaseArgs, string adminKey, IReadOnlyDictionary<string, string>? settings = null)
    {
        var process = Launch(databaseArgs, adminKey, settings);
        try
        {
            await process.WaitUntilHealthyAsync();
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private static PatronProcess Launch(IReadOnlyList<string> databaseArgs, string adminKey, IReadOnlyDictionary<string, string>? settings)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            // Content root: a folder with no appsettings.json of its own, so only these arguments configure the server.
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(PatronDll);
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add("--urls");
        // Port 0: Kestrel binds a free port itself and logs it. A port probed free here and passed down could
        // be taken by another server of the suite before this process binds it, and that server would then
        // answer the health probe in this one's place.
        start.ArgumentList.Add("http://127.0.0.1:0");
        foreach (var arg in databaseArgs)
        {
            start.ArgumentList.Add(arg);
        }
        start.ArgumentList.Add("--Patron:RateLimit:PerMinute=0");
        start.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        start.ArgumentList.Add("--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.ArgumentList.Add($"--{key}={value}");
        }
        start.Environment["Patron__Bootstrap__AdminKey"] = adminKey;
        start.Environment["DOTNET_TieredPGO"] = "0"; // a short-lived test server: see TieredPGO in tests/Directory.Build.props
        // Settings inherited from the test run's environment must not redirect this server elsewhere.
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        start.Environment.Remove("ConnectionStrings__Patron");
        start.Environment.Remove("Patron__Database__Provider");
        start.Environment.Remove("Patron__DataDir");

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var patron = new PatronProcess(process, adminKey);
        process.OutputDataReceived += (_, e) => patron.Append("out", e.Data);
        process.ErrorDataReceived += (_, e) => patron.Append("err", e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {start.FileName} {PatronDll}.");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return patron;
    }

    /// <summary>The <c>dotnet</c> host running this test (the CLI passes it down), else the one on PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private void Append(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Append('[').Append(stream).Append("] ").AppendLine(line);
        }
        // Microsoft.Hosting.Lifetime's line, as text or inside a JSON log line.
        if (ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value.TrimEnd('/') + "/"));
        }
    }

    private async Task WaitUntilHealthyAsync()
    {
        var deadline = Stopwatch.StartNew();
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(_listening.Task, exited, Task.Delay(StartTimeout)) != _listening.Task)
        {
            throw Failure("did not report the address it listens on");
        }
        BaseAddress = await _listening.Task;
        Client = ClientWithKey(AdminKey);

        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        while (deadline.Elapsed < StartTimeout && !_process.HasExited)
        {
            try
            {
                using var response = await probe.GetAsync("/healthz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(50);
        }
        throw Failure($"did not answer /healthz at {BaseAddress}");
    }

    private Exception Failure(string what)
    {
        if (_process.HasExited)
        {
            // Let the output readers drain before reporting.
            _process.WaitForExit();
            return new InvalidOperationException($"Patron exited with code {_process.ExitCode} before it was healthy.\n{Output}");
        }
        return new TimeoutException($"Patron {what} within {StartTimeout.TotalSeconds} s.\n{Output}");
    }

    public HttpClient ClientWithKey(string? secret)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (secret is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        }
        _clients.Add(client);
        return client;
    }

    /// <summary>SIGKILL on Linux: no shutdown hooks, no flushing, requests in flight are cut off.</summary>
    /// <remarks>
    /// The server is the <c>dotnet</c> process itself (the host loads the runtime in-process, no children),
    /// so a plain <see cref="Process.Kill()"/> is the SIGKILL, sent at once; the process-tree walk of
    /// <c>Kill(entireProcessTree: true)</c> reads all of /proc first, long enough for every request in
    /// flight to finish before the signal.
    /// </remarks>
    public async Task KillAsync()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        await KillAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://[^\s""]+)")]
    private static partial Regex ListeningLine();
}
