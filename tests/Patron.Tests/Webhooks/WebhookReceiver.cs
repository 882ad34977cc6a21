using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Patron.Tests.Webhooks;

/// <summary>
/// A real HTTP receiver for webhook tests: Kestrel on 127.0.0.1 with a free port. It records every
/// request exactly as received (path, headers, raw body) and answers with whatever
/// <see cref="Respond"/> decides (200 by default).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _requests = new();
    private int _inFlight;
    private int _maxInFlight;

    private WebhookReceiver(WebApplication app) => _app = app;

    public sealed record Received(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, int Number)
    {
        public string Text => Encoding.UTF8.GetString(Body);
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
        public string Header(string name) => Headers.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"No header {name}");
        public string EventId => Header("webhook-id");
        public string EventType => Json.GetProperty("type").GetString()!;
    }

    /// <summary>Decides the answer to a request: write the response on the context (the status defaults to 200).</summary>
    public Func<Received, HttpContext, Task> Respond { get; set; } = (_, _) => Task.CompletedTask;

    public Uri BaseAddress { get; private set; } = null!;

    public string Url(string path = "/hook") => new Uri(BaseAddress, path).ToString();

    public IReadOnlyList<Received> Requests => [.. _requests];

    /// <summary>The most requests this receiver had in progress at the same time.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        var number = 0;
        app.Run(async http =>
        {
            var now = Interlocked.Increment(ref receiver._inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref receiver._maxInFlight)) && Interlocked.CompareExchange(ref receiver._maxInFlight, now, seen) != seen)
            {
            }
            try
            {
                using var buffer = new MemoryStream();
                await http.Request.Body.CopyToAsync(buffer);
                var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
                var received = new Received(http.Request.Method, http.Request.Path.Value ?? "", headers, buffer.ToArray(), Interlocked.Increment(ref number));
                receiver._requests.Enqueue(received);
                await receiver.Respond(received, http);
            }
            finally
            {
                Interlocked.Decrement(ref receiver._inFlight);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseAddress = new Uri(address);
        return receiver;
    }

    /// <summary>Waits until the recorded requests satisfy <paramref name="condition"/>, or fails after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<Received>> WaitForAsync(Func<IReadOnlyList<Received>, bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var requests = Requests;
            if (condition(requests))
            {
                return requests;
            }
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds} s for {what}; the receiver has {requests.Count} requests.");
            }
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
