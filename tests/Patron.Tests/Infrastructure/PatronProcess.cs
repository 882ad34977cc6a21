using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Patron.Tests.Infrastructure;

/// <summary>
/// The built Patron as a separate OS process (<c>dotnet Patron.dll serve</c>), for tests that must kill
/// the server the hard way. It listens on 127.0.0.1 only, on a free port; the first admin key is fixed
/// through <c>Patron__Bootstrap__AdminKey</c>, so a second process on the same database answers to the
/// same key. Standard output and error are kept for the failure message.
/// </summary>
public sealed class PatronProcess : IAsyncDisposable
{
    private const int PortAttempts = 3;
    // A separate process JIT-compiles the whole server as it starts: on a 2-core machine busy with the rest
    // of the suite that has taken over a minute.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<HttpClient> _clients = [];

    private PatronProcess(Process process, Uri baseAddress, string adminKey)
    {
        _process = process;
        BaseAddress = baseAddress;
        AdminKey = adminKey;
        Client = ClientWithKey(adminKey);
    }

    public Uri BaseAddress { get; }
    public string AdminKey { get; }

    /// <summary>An HTTP client authenticated with the admin key.</summary>
    public HttpClient Client { get; }

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
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var process = Launch(port, databaseArgs, adminKey, settings);
            try
            {
                await process.WaitUntilHealthyAsync();
                return process;
            }
            catch (PortTakenException) when (attempt < PortAttempts)
            {
                // Another process took the port between our probe and Kestrel's bind: try another.
                await process.DisposeAsync();
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }

    private static PatronProcess Launch(int port, IReadOnlyList<string> databaseArgs, string adminKey, IReadOnlyDictionary<string, string>? settings)
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
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var arg in databaseArgs)
        {
            start.ArgumentList.Add(arg);
        }
        start.ArgumentList.Add("--Patron:RateLimit:PerMinute=0");
        start.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
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
        var patron = new PatronProcess(process, new Uri($"http://127.0.0.1:{port}/"), adminKey);
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

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
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                // Let the output readers drain before reporting.
                await _process.WaitForExitAsync();
                var output = Output;
                if (output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
                {
                    throw new PortTakenException();
                }
                throw new InvalidOperationException(
                    $"Patron exited with code {_process.ExitCode} before it was healthy.\n{output}");
            }
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
        throw new TimeoutException($"Patron did not answer /healthz at {BaseAddress} within {StartTimeout.TotalSeconds} s.\n{Output}");
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

    private sealed class PortTakenException : Exception
    {
        public PortTakenException() : base("The port was taken before Patron could bind it.")
        {
        }
    }
}
