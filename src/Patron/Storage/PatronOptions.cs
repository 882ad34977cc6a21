namespace Patron.Storage;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>The <c>Patron</c> configuration section (docs/CONFIGURATION.md).</summary>
public sealed class PatronOptions
{
    public string DataDir { get; set; } = "patron-data";
    public DatabaseOptions Database { get; set; } = new();
    public BootstrapOptions Bootstrap { get; set; } = new();
    public RateLimitOptions RateLimit { get; set; } = new();
    public AuthThrottleOptions AuthThrottle { get; set; } = new();
    public WebhookOptions Webhooks { get; set; } = new();
    public ServerLimitOptions Server { get; set; } = new();
    public Jobs.JobOptions Jobs { get; set; } = new();
    public WalletOptions Wallet { get; set; } = new();
    public DashboardOptions Dashboard { get; set; } = new();
}

/// <summary>The admin dashboard's overview figures (docs/ADMIN.md, "The overview's figures").</summary>
public sealed class DashboardOptions
{
    /// <summary>
    /// The overview counts members, points and redemptions on every load while the last count took less
    /// than this many milliseconds; otherwise it shows the last count with its time, refreshed in the background.
    /// </summary>
    public int LiveOverviewMs { get; set; } = 100;

    /// <summary>Below this many members the overview counts on every load, however long the last count took.</summary>
    public long LiveOverviewMembers { get; set; } = 20_000;
}

public sealed class DatabaseOptions
{
    public string Provider { get; set; } = "sqlite";

    /// <summary>
    /// Gather concurrent writes into one transaction (one commit for many writes), on SQLite and
    /// PostgreSQL. Off, each write commits alone; kept as a switch to measure what grouping buys.
    /// </summary>
    public bool GroupCommit { get; set; } = true;

    /// <summary>
    /// PostgreSQL with group commit: how many writers (each holding one connection) run batches at
    /// once. Each statement of a batch waits for its round trip, so more writers keep PostgreSQL busy
    /// while fewer make bigger batches (docs/SCALING.md).
    /// </summary>
    public int Writers { get; set; } = 8;
}

public sealed class BootstrapOptions
{
    public string? AdminKey { get; set; }
}

public sealed class RateLimitOptions
{
    /// <summary>Requests per minute for keys that set none; 0 means no limit.</summary>
    public int PerMinute { get; set; } = 1200;
}

/// <summary>The <c>Patron:AuthThrottle</c> section: client addresses that keep failing authentication (docs/SECURITY.md).</summary>
public sealed class AuthThrottleOptions
{
    /// <summary>401s an address may get in one window; after that its API requests get 429 until the window ends. 0: off.</summary>
    public int MaxFailures { get; set; } = 20;

    /// <summary>The window, from an address's first failure.</summary>
    public int WindowSeconds { get; set; } = 60;

    /// <summary>Addresses tracked at once, so that memory stays bounded; failures from further addresses are not counted.</summary>
    public int MaxTrackedAddresses { get; set; } = 50_000;
}

/// <summary>The <c>Patron:Webhooks</c> section (docs/CONFIGURATION.md and docs/WEBHOOKS.md and docs/SECURITY.md; docs/WEBHOOKS.md).</summary>
public sealed class WebhookOptions
{
    /// <summary>Lets webhooks reach loopback and private addresses (development and tests); never link-local or metadata ones.</summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>Base64 of 32 bytes that encrypts endpoint secrets at rest; unset: a key file in the data directory.</summary>
    public string? EncryptionKey { get; set; }

    /// <summary>Whether this process sends deliveries; false leaves that to other processes (or to tests).</summary>
    public bool Dispatcher { get; set; } = true;

    /// <summary>How often an idle dispatcher looks for due deliveries written by other processes or due retries.</summary>
    public int PollIntervalMs { get; set; } = 1000;

    /// <summary>Deliveries in flight at once in this process, over all endpoints.</summary>
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>Deliveries in flight at once to one endpoint, so that a slow receiver cannot take every slot.</summary>
    public int MaxConcurrencyPerEndpoint { get; set; } = 16;

    /// <summary>An attempt that has no answer within this time fails (docs/WEBHOOKS.md: 10 s).</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>How long a claimed delivery belongs to its process; after that another process takes it over.</summary>
    public int LeaseSeconds { get; set; } = 60;
}

/// <summary>
/// The <c>Patron:Server</c> section: the HTTP server's own limits, applied before a request reaches
/// Patron's code (docs/CONFIGURATION.md). Request bodies are limited to 1 MiB by the API (docs/API.md),
/// not here.
/// </summary>
public sealed class ServerLimitOptions
{
    /// <summary>Open connections at once; more are closed unanswered until one ends. 0: no limit.</summary>
    public long MaxConcurrentConnections { get; set; } = 4096;

    /// <summary>Connections upgraded to another protocol (WebSockets); Patron serves none, so 0.</summary>
    public long MaxConcurrentUpgradedConnections { get; set; }

    /// <summary>Time a client has to send its request line and headers (slow clients get 408).</summary>
    public int RequestHeadersTimeoutSeconds { get; set; } = 15;

    /// <summary>An idle kept-alive connection is closed after this time.</summary>
    public int KeepAliveTimeoutSeconds { get; set; } = 120;

    /// <summary>A request body slower than this, after the grace period, is cut off with 408. 0: no minimum.</summary>
    public int MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>How long a request body may be slower than the minimum rate before it is cut off (more than 1).</summary>
    public int MinRequestBodyGraceSeconds { get; set; } = 5;

    /// <summary>Request headers per request; more get 431.</summary>
    public int MaxRequestHeaderCount { get; set; } = 64;

    /// <summary>Bytes of all request headers together; more get 431.</summary>
    public int MaxRequestHeadersTotalBytes { get; set; } = 16 * 1024;

    /// <summary>Bytes of the request line (method, path and query, version); more get 414.</summary>
    public int MaxRequestLineBytes { get; set; } = 8 * 1024;
}
