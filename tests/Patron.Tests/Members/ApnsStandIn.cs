using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Patron.Tests.Members;

/// <summary>
/// A stand-in for APNs: Kestrel on 127.0.0.1 speaking HTTP/2 only, over TLS with a self-signed
/// certificate made here, and requiring a client certificate. It records every request with the
/// protocol and the client certificate it came with, and answers what <see cref="Respond"/> decides
/// (200 by default; an error's status with APNs's <c>{"reason": ...}</c> body).
/// </summary>
internal sealed class ApnsStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Push> _pushes = new();
    private readonly string _dir;

    private ApnsStandIn(WebApplication app, string dir)
    {
        _app = app;
        _dir = dir;
    }

    public sealed record Push(string Method, string Path, string Protocol, IReadOnlyDictionary<string, string> Headers, string Body, string? ClientThumbprint)
    {
        public string Header(string name) => Headers.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"No header {name}");

        /// <summary>The push token from <c>/3/device/{token}</c>.</summary>
        public string Token => Path.StartsWith("/3/device/", StringComparison.Ordinal) ? Uri.UnescapeDataString(Path["/3/device/".Length..]) : "";
    }

    /// <summary>The answer to a push: its status and, for an error, APNs's reason.</summary>
    public Func<Push, (int Status, string? Reason)> Respond { get; set; } = _ => (200, null);

    public string Url { get; private set; } = "";

    /// <summary>The stand-in's own certificate (DER), for Patron to trust as the push server's root.</summary>
    public string CertificatePath => Path.Combine(_dir, "apns-stand-in.cer");

    public IReadOnlyList<Push> Pushes => [.. _pushes];

    /// <summary>The settings that point Patron's pushes here, besides the pass certificate's.</summary>
    public Dictionary<string, string> Settings(int retryBaseSeconds = 30, int maxAttempts = 8)
    {
        var settings = WalletTestChain.Instance.Settings();
        settings["Patron:Wallet:Apple:PushUrl"] = Url;
        settings["Patron:Wallet:Apple:PushTrustedCertificatePath"] = CertificatePath;
        settings["Patron:Wallet:Apple:PushRetryBaseSeconds"] = retryBaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Patron:Wallet:Apple:PushMaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    public static async Task<ApnsStandIn> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "patron-tests", "apns-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var certificate = SelfSigned();
        await File.WriteAllBytesAsync(Path.Combine(dir, "apns-stand-in.cer"), certificate.Export(X509ContentType.Cert));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = certificate,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                // Any client certificate completes the handshake; the tests check which one came.
                ClientCertificateValidation = (_, _, _) => true,
            });
        }));
        var app = builder.Build();
        var standIn = new ApnsStandIn(app, dir);
        app.Run(async http =>
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var push = new Push(http.Request.Method, http.Request.Path.Value ?? "", http.Request.Protocol, headers, body,
                http.Connection.ClientCertificate?.Thumbprint);
            standIn._pushes.Enqueue(push);
            var (status, reason) = standIn.Respond(push);
            http.Response.StatusCode = status;
            http.Response.Headers["apns-id"] = Guid.NewGuid().ToString("D");
            if (reason is not null)
            {
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync($$"""{"reason":"{{reason}}"}""");
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        standIn.Url = address.TrimEnd('/');
        return standIn;
    }

    /// <summary>Waits until the recorded pushes satisfy <paramref name="condition"/>, or fails after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<Push>> WaitForAsync(Func<IReadOnlyList<Push>, bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var pushes = Pushes;
            if (condition(pushes))
            {
                return pushes;
            }
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds} s for {what}; the stand-in has {pushes.Count} pushes.");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>A server certificate for 127.0.0.1, signed by its own key.</summary>
    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
