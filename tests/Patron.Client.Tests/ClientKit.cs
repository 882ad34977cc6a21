using System.Collections.Concurrent;
using System.Net;
using Patron.Tests.Infrastructure;

namespace Patron.Client.Tests;

/// <summary>Clients of a test server, and HTTP handlers that see (or spoil) what goes over the wire.</summary>
public static class ClientKit
{
    /// <summary>A client of the server with its admin key (or <paramref name="apiKey"/>), sending through <paramref name="handler"/> when given.</summary>
    public static PatronClient Client(this PatronServer server, string? apiKey = null, DelegatingHandler? handler = null, int retries = 2)
    {
        HttpClient? http = null;
        if (handler is not null)
        {
            handler.InnerHandler ??= new SocketsHttpHandler();
            http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        }
        return new PatronClient(new PatronClientOptions
        {
            ApiKey = apiKey ?? server.AdminKey,
            BaseUrl = server.BaseAddress,
            HttpClient = http,
            MaxNetworkRetries = retries,
            InitialRetryDelay = TimeSpan.FromMilliseconds(50),
        });
    }

    public static string UniqueEmail() => $"c{Guid.NewGuid():N}@example.com";
}

/// <summary>Passes every request on and records it: method, path and query, Idempotency-Key, status, and when it was sent.</summary>
public class RecordingHandler : DelegatingHandler
{
    public sealed record Sent(HttpMethod Method, string PathAndQuery, string? IdempotencyKey, int? Status, DateTimeOffset At, string? RetryAfter);

    private readonly ConcurrentQueue<Sent> _sent = new();

    public IReadOnlyList<Sent> Requests => [.. _sent];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var at = DateTimeOffset.UtcNow;
        var key = request.Headers.TryGetValues("Idempotency-Key", out var keys) ? keys.Single() : null;
        HttpResponseMessage? response = null;
        try
        {
            response = await Forward(request, cancellationToken);
            return response;
        }
        finally
        {
            _sent.Enqueue(new Sent(request.Method, request.RequestUri!.PathAndQuery, key, (int?)response?.StatusCode, at,
                response?.Headers.RetryAfter?.ToString()));
        }
    }

    /// <summary>What happens to a request; by default it goes to the server.</summary>
    protected virtual Task<HttpResponseMessage> Forward(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);
}

/// <summary>
/// Lets the first write reach the server and be processed, then loses its answer as a dropped
/// connection would: the caller sees a network error although the server did the work.
/// </summary>
public sealed class LoseFirstWriteAnswer : RecordingHandler
{
    private int _lost;

    protected override async Task<HttpResponseMessage> Forward(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.Forward(request, cancellationToken);
        if (request.Method != HttpMethod.Get && Interlocked.Exchange(ref _lost, 1) == 0)
        {
            await response.Content.ReadAsByteArrayAsync(cancellationToken);
            response.Dispose();
            throw new HttpRequestException("The connection was reset after the request was sent.", null, HttpStatusCode.OK);
        }
        return response;
    }
}

/// <summary>Answers the first request with a 503 of its own, without sending it; the rest go to the server.</summary>
public sealed class FirstAnswerUnavailable : RecordingHandler
{
    private int _done;

    protected override Task<HttpResponseMessage> Forward(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
            {
                Content = new StringContent("""{"error":{"type":"api_error","code":"database_unavailable","message":"busy"}}"""),
            });
        }
        return base.Forward(request, cancellationToken);
    }
}
