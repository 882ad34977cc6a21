using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Patron.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL 15 cluster of one test's own, made as .ci/postgres.sh makes one (initdb, then
/// pg_ctl on 127.0.0.1 and a free port; as the <c>postgres</c> user when the tests run as root), so the
/// test may stop and start it without touching the shared <c>PATRON_TEST_POSTGRES</c> cluster.
/// Disposing of it stops the cluster and deletes its folder.
/// </summary>
public sealed class PrivatePostgresCluster : IAsyncDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";

    private PrivatePostgresCluster(string directory, int port)
    {
        Directory = directory;
        Port = port;
    }

    public string Directory { get; }
    public int Port { get; }

    /// <summary>Why a private cluster cannot be made here, or null when it can.</summary>
    public static string? Unavailable =>
        File.Exists(Path.Combine(BinDirectory, "initdb")) && File.Exists(Path.Combine(BinDirectory, "pg_ctl"))
            ? null
            : $"PostgreSQL 15 binaries are not in {BinDirectory} (apt-get install postgresql-15, as .ci/run does)";

    /// <summary>A connection string to the cluster's <c>postgres</c> database.</summary>
    public string ConnectionString(int poolSize, int timeoutSeconds) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size={poolSize};Timeout={timeoutSeconds}";

    public static async Task<PrivatePostgresCluster> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "patron-private-pg-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        if (IsRoot)
        {
            await RunAsync("chown", ["postgres", directory]);
        }
        var cluster = new PrivatePostgresCluster(directory, FreePort());
        try
        {
            await cluster.AsPostgresAsync($"'{BinDirectory}/initdb' -D '{directory}' -U postgres --auth=trust -E UTF8 >/dev/null");
            await cluster.StartServerAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the stopped cluster and waits until it accepts connections.</summary>
    public Task StartServerAsync() => AsPostgresAsync(
        $"'{BinDirectory}/pg_ctl' -D '{Directory}' -l '{Directory}/server.log' -w -o \"-c listen_addresses=127.0.0.1 -p {Port} -c unix_socket_directories='{Directory}' -c max_connections=100\" start >/dev/null");

    /// <summary>Stops the cluster the way an operator's restart does (<c>-m fast</c>: sessions are cut, nothing committed is lost).</summary>
    public Task StopServerAsync() => AsPostgresAsync($"'{BinDirectory}/pg_ctl' -D '{Directory}' -m fast -w stop >/dev/null");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await AsPostgresAsync($"'{BinDirectory}/pg_ctl' -D '{Directory}' -m immediate -w stop >/dev/null 2>&1 || true");
        }
        finally
        {
            PatronServer.DeleteQuietly(Directory);
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task AsPostgresAsync(string command) =>
        IsRoot ? RunAsync("su", ["postgres", "-s", "/bin/bash", "-c", command]) : RunAsync("/bin/bash", ["-c", command]);

    private static async Task RunAsync(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
