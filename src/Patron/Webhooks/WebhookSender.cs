using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Patron.Domain;

namespace Patron.Webhooks;

/// <summary>What one attempt came to: a status code or an error (null for a 2xx), and whether retrying is pointless.</summary>
public sealed record WebhookAttempt(DateTimeOffset AttemptedAt, int? StatusCode, string? Error, bool Permanent, int ResponseMs)
{
    public bool Success => Error is null;
}

/// <summary>
/// Sends one delivery (docs/WEBHOOKS.md, "What a delivery looks like"): the event as
/// <c>GET /events/{id}</c> shows it, signed both ways, POSTed through a handler that connects only to
/// addresses <see cref="WebhookTargets"/> allows, with no redirects, proxy or cookies, within the timeout.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    public const int MaxErrorLength = 500;
    private const string UserAgent = "Patron-Webhooks/1";

    /// <summary>Signing keys kept decrypted, one per endpoint; cleared when it grows past this (endpoints come and go).</summary>
    private const int MaxCachedKeys = 4096;

    private readonly HttpClient _http;
    private readonly WebhookSecrets _secrets;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, (string Stored, WebhookSignature.SigningKey Key)> _keys = new(StringComparer.Ordinal);
    private long _attempts;

    public WebhookSender(WebhookSecrets secrets, TimeProvider clock, bool allowPrivateTargets, TimeSpan timeout, ILogger logger)
    {
        _secrets = secrets;
        _clock = clock;
        _logger = logger;
        Timeout = timeout;
        _http = new HttpClient(WebhookTargets.CreateHandler(allowPrivateTargets, timeout), disposeHandler: true)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
    }

    public TimeSpan Timeout { get; }

    /// <summary>Requests sent, or refused before sending.</summary>
    public long AttemptsMade => Interlocked.Read(ref _attempts);

    /// <summary>The body of a delivery: the event as <c>GET /events/{id}</c> shows it.</summary>
    public static byte[] Body(string id, string type, DateTimeOffset createdAt, string data)
    {
        var buffer = new ArrayBufferWriter<byte>(data.Length + 160);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JsonFormat.Options.Encoder }))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("object", "event");
            json.WriteString("type", type);
            json.WriteString("created_at", JsonFormat.Timestamp(createdAt));
            json.WritePropertyName("data");
            json.WriteRawValue(StoredJson.Readable(data), skipInputValidation: true);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Attempts one delivery. Returns null when <paramref name="abort"/> (shutting down) stopped it:
    /// its lease runs out and the delivery is attempted again later.
    /// </summary>
    public async Task<WebhookAttempt?> SendAsync(WebhookTarget target, WebhookClaim claim, CancellationToken abort)
    {
        var attemptedAt = _clock.GetUtcNow();
        var watch = Stopwatch.StartNew();
        int? status = null;
        string? error;
        var permanent = false;
        try
        {
            if (claim.Event is not { } evt)
            {
                error = "The event no longer exists.";
                permanent = true;
            }
            else
            {
                status = await PostAsync(target, evt, attemptedAt, abort);
                error = status switch
                {
                    >= 200 and <= 299 => null,
                    >= 300 and <= 399 => $"HTTP {status}: redirects are not followed; register the final URL.",
                    _ => $"HTTP {status}",
                };
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e)
        {
            error = Describe(e, claim.DeliveryId);
        }
        return new WebhookAttempt(attemptedAt, status, error is { Length: > MaxErrorLength } ? error[..MaxErrorLength] : error,
            permanent, (int)Math.Min(watch.ElapsedMilliseconds, int.MaxValue));
    }

    private async Task<int> PostAsync(WebhookTarget target, WebhookEvent evt, DateTimeOffset attemptedAt, CancellationToken abort)
    {
        var key = SigningKey(target);
        var body = Body(evt.Id, evt.Type, Time.FromMs(evt.CreatedAtMs), evt.Data);
        using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        foreach (var (name, value) in WebhookSignature.Headers(key, evt.Id, attemptedAt, body))
        {
            request.Headers.TryAddWithoutValidation(name, value);
            // Loyalino's header is the same scheme as Patron-Signature: t=<seconds>,v1=<hex HMAC of "t.body">.
            if (name == WebhookSignature.PatronSignatureHeader && target.SignatureScheme == WebhookSignatureSchemes.Loyalino)
            {
                request.Headers.TryAddWithoutValidation(WebhookSignature.LoyalinoSignatureHeader, value);
            }
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(abort);
        timeout.CancelAfter(Timeout);
        Interlocked.Increment(ref _attempts);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        return (int)response.StatusCode;
    }

    private WebhookSignature.SigningKey SigningKey(WebhookTarget target)
    {
        if (_keys.TryGetValue(target.EndpointId, out var cached) && cached.Stored == target.Secret)
        {
            return cached.Key;
        }
        var key = new WebhookSignature.SigningKey(_secrets.Unprotect(target.EndpointId, target.Secret));
        if (_keys.Count >= MaxCachedKeys)
        {
            _keys.Clear();
        }
        _keys[target.EndpointId] = (target.Secret, key);
        return key;
    }

    /// <summary>The <c>last_error</c> of an attempt that ended in an exception.</summary>
    private string Describe(Exception e, string deliveryId)
    {
        switch (e)
        {
            case OperationCanceledException:
                return $"No answer within {Timeout.TotalSeconds:0} s.";
            case HttpRequestException http:
                return Describe(http);
            case CryptographicException:
                return "Cannot read the endpoint's secret: " + e.Message;
            default:
                _logger.LogError(e, "Webhook delivery {Delivery} failed unexpectedly", deliveryId);
                return "Patron could not send this delivery: " + e.GetType().Name;
        }
    }

    private static string Describe(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is WebhookTargetRefusedException refused)
            {
                return "Refused: " + refused.Message;
            }
        }
        var root = e.GetBaseException();
        var reason = e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "The host name did not resolve",
            HttpRequestError.ConnectionError => "Could not connect",
            HttpRequestError.SecureConnectionError => "The TLS handshake failed",
            HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded => "The response was not valid HTTP",
            _ => "The request failed",
        };
        return root == e ? $"{reason}: {e.Message}" : $"{reason}: {root.Message}";
    }

    public void Dispose() => _http.Dispose();
}
