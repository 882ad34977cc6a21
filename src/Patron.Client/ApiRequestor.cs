using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Patron.Client;

/// <summary>
/// Sends one API call: authentication, JSON, an <c>Idempotency-Key</c> on every write (the same on
/// each retry of that call), retries with backoff on network errors, 429 and 5xx (waiting what
/// <c>Retry-After</c> asks), and the error envelope as <see cref="PatronException"/>.
/// </summary>
internal sealed class ApiRequestor(PatronClientOptions options, HttpClient http)
{
    private const string ApiPrefix = "api/v1/";
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly Uri _base = new(options.BaseUrl.ToString().TrimEnd('/') + "/" + ApiPrefix);

    public Task<T> GetAsync<T>(string path, IEnumerable<KeyValuePair<string, string>>? query, RequestOptions? requestOptions, CancellationToken ct) =>
        SendAsync<T>(HttpMethod.Get, path + QueryString(query), null, requestOptions, ct);

    public Task<T> PostAsync<T>(string path, object? body, RequestOptions? requestOptions, CancellationToken ct) =>
        SendAsync<T>(HttpMethod.Post, path, body ?? new Dictionary<string, object>(), requestOptions, ct);

    public Task<T> PatchAsync<T>(string path, object body, RequestOptions? requestOptions, CancellationToken ct) =>
        SendAsync<T>(HttpMethod.Patch, path, body, requestOptions, ct);

    public Task<T> DeleteAsync<T>(string path, RequestOptions? requestOptions, CancellationToken ct) =>
        SendAsync<T>(HttpMethod.Delete, path, null, requestOptions, ct);

    /// <summary>A path segment from a caller's value (an email, a phone with '+', an order id), escaped.</summary>
    public static string Segment(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        return Uri.EscapeDataString(value);
    }

    private static string QueryString(IEnumerable<KeyValuePair<string, string>>? query)
    {
        if (query is null)
        {
            return "";
        }
        var builder = new StringBuilder();
        foreach (var (name, value) in query)
        {
            builder.Append(builder.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }
        return builder.ToString();
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string pathAndQuery, object? body, RequestOptions? requestOptions, CancellationToken ct)
    {
        var apiKey = requestOptions?.ApiKey ?? options.ApiKey;
        if (string.IsNullOrEmpty(apiKey))
        {
            throw new InvalidOperationException("No API key: set PatronClientOptions.ApiKey or RequestOptions.ApiKey.");
        }
        var retries = Math.Max(0, requestOptions?.MaxNetworkRetries ?? options.MaxNetworkRetries);
        var content = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), PatronJson.Options);
        // One key per call, kept by every retry of it, so that Patron runs the write once.
        var idempotencyKey = method == HttpMethod.Get ? null : requestOptions?.IdempotencyKey ?? Guid.NewGuid().ToString();
        var uri = new Uri(_base, pathAndQuery);

        for (var attempt = 0; ; attempt++)
        {
            using var request = NewRequest(method, uri, apiKey, idempotencyKey, content);
            var reply = await TrySendAsync(request, uri, attempt, retries, ct).ConfigureAwait(false);
            if (reply is null)
            {
                continue;
            }
            var (status, headers, answer) = reply.Value;

            var code = (int)status;
            if (code is >= 200 and < 300)
            {
                return JsonSerializer.Deserialize<T>(answer, PatronJson.Options)
                    ?? throw new PatronException(status, null, null, "Patron answered with an empty body.", null, RequestId(headers), null);
            }

            var error = Error(status, headers, answer);
            if (attempt < retries && Retryable(code))
            {
                var wait = RetryAfter(headers, error);
                if (wait is { } w && w > options.MaxRetryAfter)
                {
                    throw error;
                }
                await Task.Delay(wait ?? Backoff(attempt), ct).ConfigureAwait(false);
                continue;
            }
            throw error;
        }
    }

    /// <summary>The status, headers and body of one answer.</summary>
    private readonly record struct Reply(HttpStatusCode Status, HttpResponseHeaders Headers, byte[] Body);

    /// <summary>One attempt's request: the key, JSON accepted, the idempotency key of the call, and the body if any.</summary>
    private static HttpRequestMessage NewRequest(HttpMethod method, Uri uri, string apiKey, string? idempotencyKey, byte[]? content)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }
        if (content is not null)
        {
            request.Content = new ByteArrayContent(content);
            request.Content.Headers.ContentType = Json;
        }
        return request;
    }

    /// <summary>
    /// One attempt within the timeout: the answer, or null after waiting out a network failure that may be
    /// retried; the last one allowed throws.
    /// </summary>
    private async Task<Reply?> TrySendAsync(HttpRequestMessage request, Uri uri, int attempt, int retries, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            var status = response.StatusCode;
            var headers = response.Headers;
            var answer = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            return new Reply(status, headers, answer);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or IOException)
        {
            var what = e is OperationCanceledException ? $"no answer within {options.Timeout.TotalSeconds:0.#} s" : e.Message;
            if (attempt >= retries)
            {
                throw new PatronException($"Could not reach Patron at {uri.GetLeftPart(UriPartial.Authority)} ({what}).", e);
            }
            await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>429, and the 5xx that may pass (not 501 Not Implemented or 505 HTTP Version Not Supported).</summary>
    private static bool Retryable(int status) => status == 429 || (status >= 500 && status is not (501 or 505));

    private TimeSpan Backoff(int attempt)
    {
        var delay = options.InitialRetryDelay.TotalMilliseconds * Math.Pow(2, attempt);
        delay = Math.Min(delay, options.MaxRetryDelay.TotalMilliseconds);
        // Full jitter in the upper half, so that many clients do not retry in step.
        return TimeSpan.FromMilliseconds(delay / 2 + Random.Shared.NextDouble() * delay / 2);
    }

    /// <summary>The header's delay (seconds, or an HTTP date), else the envelope's <c>retry_after</c>.</summary>
    private static TimeSpan? RetryAfter(HttpResponseHeaders headers, PatronException error)
    {
        if (headers.RetryAfter is { } header)
        {
            if (header.Delta is { } delta)
            {
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }
            if (header.Date is { } date)
            {
                var until = date - DateTimeOffset.UtcNow;
                return until < TimeSpan.Zero ? TimeSpan.Zero : until;
            }
        }
        return error.RetryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
    }

    private static string? RequestId(HttpResponseHeaders headers) =>
        headers.TryGetValues("Request-Id", out var values) ? values.FirstOrDefault() : null;

    private static PatronException Error(HttpStatusCode status, HttpResponseHeaders headers, byte[] body)
    {
        var requestId = RequestId(headers);
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                return new PatronException(
                    status,
                    Text(error, "type"),
                    Text(error, "code"),
                    Text(error, "message") ?? $"Patron answered {(int)status}.",
                    Text(error, "param"),
                    requestId ?? Text(error, "request_id"),
                    error.TryGetProperty("retry_after", out var retry) && retry.TryGetInt32(out var seconds) ? seconds : null);
            }
        }
        catch (JsonException)
        {
        }
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200));
        return new PatronException(status, null, null, $"Patron answered {(int)status} {status}{(text.Length > 0 ? ": " + text : "")}", null, requestId, null);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
