using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Patron.Jobs;
using Patron.Storage;

namespace Patron.Operations.Wallet;

/// <summary>
/// The Apple Wallet push queue (docs/WALLET.md): each pass claims the device registrations whose pass
/// changed since the device was last told, sends one empty push per push token to APNs over HTTP/2,
/// authenticated with the pass type certificate, and records the outcome: a 410 removes the token's
/// registrations, a failure is retried with doubling waits, a bounded number of times. Everything it
/// needs is in the database, so a restart loses nothing: a claim only delays the next process by its lease.
/// </summary>
public sealed partial class AppleWalletPush(
    ApplePasses passes, IWritePath writes, TimeProvider clock, ILogger<AppleWalletPush> logger) : IJob, IDisposable
{
    private const int BatchSize = 50;
    private static readonly TimeSpan MaxWait = TimeSpan.FromHours(1);

    /// <summary>What APNs answers when the token is not (or no longer) a device's token for the pass type.</summary>
    private static readonly HashSet<string> GoneReasons = new(StringComparer.Ordinal) { "Unregistered", "BadDeviceToken", "DeviceTokenNotForTopic" };

    private readonly Lock _gate = new();
    private HttpClient? _http;

    public string Name => "apple-wallet-pushes";

    private AppleWalletOptions Options => passes.Options;

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        if (!passes.IsConfigured)
        {
            return 0;
        }
        HttpClient http;
        try
        {
            http = Client();
        }
        catch (Exception e) when (e is WalletUnavailableException or CryptographicException or IOException or UnauthorizedAccessException)
        {
            LogUnavailable(logger, e.Message);
            return 0;
        }
        var passType = passes.PassTypeIdentifier;
        var claimed = await writes.RunAsync(context => ApplePushStore.ClaimAsync(context, passType, BatchSize));
        foreach (var device in claimed.GroupBy(t => t.PushToken, StringComparer.Ordinal))
        {
            var targets = device.ToList();
            var shown = Shorten(device.Key);
            PushOutcome outcome;
            try
            {
                outcome = await SendAsync(http, passType, device.Key, ct);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or UriFormatException or InvalidOperationException)
            {
                if (ct.IsCancellationRequested)
                {
                    throw;
                }
                outcome = new PushOutcome(PushResult.Failed, e.Message);
            }
            switch (outcome.Result)
            {
                case PushResult.Delivered:
                    await writes.RunAsync(async context =>
                    {
                        await ApplePushStore.SucceededAsync(context, passType, targets);
                        return 0;
                    });
                    break;
                case PushResult.Gone:
                    LogGone(logger, shown, outcome.Error ?? "");
                    await writes.RunAsync(context => ApplePushStore.UnregisteredAsync(context, passType, device.Key));
                    break;
                default:
                    var attempt = targets.Max(t => t.Attempts) + 1;
                    DateTimeOffset? retryAt = attempt >= Math.Max(1, Options.PushMaxAttempts) ? null : clock.GetUtcNow().Add(Backoff(attempt));
                    var error = Truncate(outcome.Error ?? "APNs failed");
                    LogFailure(logger, shown, attempt, error);
                    await writes.RunAsync(async context =>
                    {
                        await ApplePushStore.FailedAsync(context, passType, targets, error, retryAt);
                        return 0;
                    });
                    break;
            }
        }
        return claimed.Count;
    }

    /// <summary>The wait before retry <paramref name="attempt"/>: the base, doubled for each failure before it, at most an hour.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var seconds = Math.Max(1, Options.PushRetryBaseSeconds) * Math.Pow(2, Math.Min(attempt - 1, 20));
        return TimeSpan.FromSeconds(Math.Min(seconds, MaxWait.TotalSeconds));
    }

    private enum PushResult
    {
        Delivered,
        Gone,
        Failed,
    }

    private sealed record PushOutcome(PushResult Result, string? Error);

    /// <summary>
    /// Apple's Wallet push: <c>POST {PushUrl}/3/device/{token}</c> over HTTP/2, the pass type identifier
    /// as the topic, an empty JSON dictionary as the payload; Wallet then asks the web service what changed.
    /// </summary>
    private async Task<PushOutcome> SendAsync(HttpClient http, string passType, string pushToken, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Options.PushUrl.TrimEnd('/')}/3/device/{Uri.EscapeDataString(pushToken)}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent("{}", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("apns-topic", passType);
        request.Headers.TryAddWithoutValidation("apns-push-type", "background");
        request.Headers.TryAddWithoutValidation("apns-priority", "5");
        using var response = await http.SendAsync(request, ct);
        if (response.IsSuccessStatusCode)
        {
            return new PushOutcome(PushResult.Delivered, null);
        }
        var reason = await ReasonAsync(response, ct);
        var error = $"APNs answered {(int)response.StatusCode}{(reason is null ? "" : " " + reason)}";
        var gone = response.StatusCode == HttpStatusCode.Gone
            || (response.StatusCode == HttpStatusCode.BadRequest && reason is not null && GoneReasons.Contains(reason));
        return new PushOutcome(gone ? PushResult.Gone : PushResult.Failed, error);
    }

    /// <summary>APNs's <c>{"reason": "..."}</c>, when the answer has one.</summary>
    private static async Task<string?> ReasonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("reason", out var r)
                && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The HTTP/2 client, made at the first push: it presents the pass type certificate to APNs.</summary>
    private HttpClient Client()
    {
        lock (_gate)
        {
            if (_http is not null)
            {
                return _http;
            }
            var certificate = passes.PassCertificate;
            var trusted = string.IsNullOrWhiteSpace(Options.PushTrustedCertificatePath)
                ? null
                : X509CertificateLoader.LoadCertificateFromFile(Options.PushTrustedCertificatePath);
            var handler = new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                PooledConnectionLifetime = TimeSpan.FromMinutes(30),
                EnableMultipleHttp2Connections = true,
                SslOptions = new SslClientAuthenticationOptions
                {
                    ClientCertificates = [certificate],
                    LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
                    RemoteCertificateValidationCallback = (_, server, _, errors) => Trusted(server, errors, trusted),
                },
            };
            _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
            return _http;
        }
    }

    /// <summary>The system's verdict, or, for an untrusted chain only, whether it chains to the configured extra root.</summary>
    private static bool Trusted(X509Certificate? server, SslPolicyErrors errors, X509Certificate2? trusted)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (trusted is null || server is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var leaf = server as X509Certificate2;
        using var loaded = leaf is null ? X509CertificateLoader.LoadCertificate(server.GetRawCertData()) : null;
        return chain.Build(leaf ?? loaded!);
    }

    /// <summary>Enough of a push token to tell devices apart in the log, not the whole token.</summary>
    private static string Shorten(string pushToken) => pushToken.Length <= 8 ? pushToken : pushToken[..8] + "…";

    private static string Truncate(string error) => error.Length <= 300 ? error : error[..300];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Apple Wallet push to {PushToken} failed (attempt {Attempt}): {Error}")]
    private static partial void LogFailure(ILogger logger, string pushToken, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Apple Wallet push token {PushToken} is no longer registered ({Error}); its registrations are removed")]
    private static partial void LogGone(ILogger logger, string pushToken, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Apple Wallet pushes cannot be sent: {Error}")]
    private static partial void LogUnavailable(ILogger logger, string error);

    public void Dispose() => _http?.Dispose();
}
