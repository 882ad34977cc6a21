namespace Patron.Client;

/// <summary>Per-call settings that override the client's.</summary>
public sealed class RequestOptions
{
    /// <summary>
    /// The <c>Idempotency-Key</c> of this write. Without it the client makes one (a new GUID per call,
    /// kept across that call's retries). Use your own to make a call safe to repeat across processes,
    /// for example the id of the job that makes it.
    /// </summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>Another API key for this call.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Retries for this call (0 disables them).</summary>
    public int? MaxNetworkRetries { get; set; }
}
