namespace Patron.Storage;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>The <c>Patron</c> configuration section (SPEC section 1).</summary>
public sealed class PatronOptions
{
    public string DataDir { get; set; } = "patron-data";
    public DatabaseOptions Database { get; set; } = new();
    public BootstrapOptions Bootstrap { get; set; } = new();
    public RateLimitOptions RateLimit { get; set; } = new();
    public WebhookOptions Webhooks { get; set; } = new();
    public Jobs.JobOptions Jobs { get; set; } = new();
}

public sealed class DatabaseOptions
{
    public string Provider { get; set; } = "sqlite";

    /// <summary>
    /// SQLite only: gather concurrent writes into one transaction (one fsync for many writes).
    /// Off, each write commits alone; kept as a switch to measure what grouping buys.
    /// </summary>
    public bool GroupCommit { get; set; } = true;
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

public sealed class WebhookOptions
{
    public bool AllowPrivateTargets { get; set; }
}
