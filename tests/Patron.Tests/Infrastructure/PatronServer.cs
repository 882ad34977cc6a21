using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Patron.Api;
using Patron.Storage;

namespace Patron.Tests.Infrastructure;

/// <summary>
/// A real Patron server in this test process: Kestrel on 127.0.0.1 with a free port, a fresh (already migrated)
/// database of the requested kind, and the bootstrap admin key of program <c>default</c>. Disposing of it
/// stops the server, drops its PostgreSQL database and deletes its data folder.
/// </summary>
public sealed class PatronServer : IAsyncDisposable
{
    private readonly List<HttpClient> _clients = [];

    private readonly TestDatabase _database;

    private PatronServer(WebApplication app, Uri baseAddress, string adminKey, string programId, string dataDir, TestDatabase database)
    {
        _database = database;
        App = app;
        BaseAddress = baseAddress;
        AdminKey = adminKey;
        ProgramId = programId;
        DataDir = dataDir;
        DatabaseArgs = database.Args;
        Client = ClientWithKey(adminKey);
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public string AdminKey { get; }
    public string ProgramId { get; }
    public string DataDir { get; }

    /// <summary>The configuration arguments naming this server's database, for a second process on it.</summary>
    public string[] DatabaseArgs { get; }

    /// <summary>An HTTP client authenticated with the admin key.</summary>
    public HttpClient Client { get; }

    public IWritePath WritePath => App.Services.GetRequiredService<IWritePath>();

    /// <param name="settings">Extra configuration, e.g. <c>["Patron:RateLimit:PerMinute"] = "5"</c>.</param>
    /// <param name="postgresPool">PostgreSQL only: the server's connection pool size and how long a request waits for a free connection.</param>
    public static async Task<PatronServer> StartAsync(
        string database, TimeProvider? clock = null, IReadOnlyDictionary<string, string>? settings = null,
        (int Size, int TimeoutSeconds)? postgresPool = null)
    {
        var dataDir = NewDataDir();
        var testDatabase = await TestDatabase.CreateMigratedAsync(database, dataDir, postgresPool);
        try
        {
            return await StartAsync(dataDir, testDatabase, clock, settings);
        }
        catch
        {
            await testDatabase.DisposeAsync();
            DeleteQuietly(dataDir);
            throw;
        }
    }

    /// <summary>A new, empty folder under the temporary folder, for one test's files.</summary>
    public static string NewDataDir()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "patron-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        return dataDir;
    }

    /// <summary>Deletes a test's folder; a file some process still holds open only leaves it behind.</summary>
    public static void DeleteQuietly(string dataDir)
    {
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<PatronServer> StartAsync(
        string dataDir, TestDatabase database, TimeProvider? clock, IReadOnlyDictionary<string, string>? settings)
    {
        var adminKey = "sk_test_" + Guid.NewGuid().ToString("N");
        var args = new List<string>(database.Args)
        {
            "--urls=http://127.0.0.1:0",
            $"--Patron:Bootstrap:AdminKey={adminKey}",
            "--Patron:RateLimit:PerMinute=0",
            // Tests drive background jobs themselves (RunJobsAsync), after moving their clock.
            "--Patron:Jobs:IntervalSeconds=0",
            "--Logging:LogLevel:Default=Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            args.Add($"--{key}={value}");
        }

        var (app, first) = await PatronApp.CreateAsync([.. args], clock);
        try
        {
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new PatronServer(app, new Uri(address), adminKey, first!.ProgramId, dataDir, database);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public HttpClient ClientWithKey(string? secret)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (secret is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        }
        _clients.Add(client);
        return client;
    }

    /// <summary>A second program with an admin key, for tenancy tests.</summary>
    public async Task<(string ProgramId, HttpClient Admin)> CreateProgramAsync(string name = "other")
    {
        var program = await Admin.CreateProgramAsync(WritePath, name);
        var key = await Admin.CreateKeyAsync(WritePath, program.Id, Scope.Admin);
        return (program.Id, ClientWithKey(key!.Value.Secret));
    }

    /// <summary>A key of this server's default program with the given scope.</summary>
    public async Task<HttpClient> ClientWithScopeAsync(Scope scope, DateTimeOffset? expiresAt = null, int? rateLimitPerMinute = null)
    {
        var key = await Admin.CreateKeyAsync(WritePath, ProgramId, scope, expiresAt: expiresAt, rateLimitPerMinute: rateLimitPerMinute);
        return ClientWithKey(key!.Value.Secret);
    }

    /// <summary>One pass of every background job (pending points, expiry, ...), as the runner would do.</summary>
    public async Task RunJobsAsync()
    {
        foreach (var job in App.Services.GetServices<Patron.Jobs.IJob>())
        {
            await job.RunOnceAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        try
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
        finally
        {
            await _database.DisposeAsync();
            DeleteQuietly(DataDir);
        }
    }
}
