namespace Patron.Client;

/// <summary>How a <see cref="PatronClient"/> reaches Patron.</summary>
public sealed class PatronClientOptions
{
    /// <summary>The API key (<c>sk_...</c>), sent as <c>Authorization: Bearer</c>.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>Patron's address, e.g. <c>http://127.0.0.1:5080</c> (the client adds <c>/api/v1</c>).</summary>
    public Uri BaseUrl { get; set; } = new("http://127.0.0.1:5080");

    /// <summary>
    /// The HTTP client to send with (e.g. from <c>IHttpClientFactory</c>); its <c>BaseAddress</c> and
    /// default headers are not used. Without it the client makes and owns one.
    /// </summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>How many times a call is retried after a network error, a 429 or a 5xx (default 2, so 3 attempts).</summary>
    public int MaxNetworkRetries { get; set; } = 2;

    /// <summary>The first backoff delay; each further retry doubles it (with jitter), up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest backoff between two attempts when the answer gives no <c>Retry-After</c>.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>
    /// The longest <c>Retry-After</c> the client waits for. A longer one is not waited out: the call
    /// fails with the 429 or 503 as a <see cref="PatronException"/>.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>How long one attempt may take before it counts as a network error (default 60 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);
}
