using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Patron.Domain;
using Patron.Jobs;
using Patron.Storage;

namespace Patron.Operations.Wallet;

/// <summary>Signing a member's "Save to Google Wallet" link and recording its object for the update queue.</summary>
public static class GoogleWalletLinks
{
    /// <summary>The member's save link; the first one records the object, holding the version the link carries.</summary>
    public static async Task<string> SaveLinkAsync(Database db, IWritePath path, GooglePasses google, string programId, CustomerDto customer, DateTimeOffset now)
    {
        google.EnsureAvailable();
        var objectId = google.ObjectIdFor(customer.Id);
        if (!await db.ReadAsync(sql => GoogleWalletStore.ExistsAsync(sql, objectId)))
        {
            await path.RunAsync(context => GoogleWalletStore.IssueAsync(context, objectId, programId, customer.Id, customer.UpdatedAt.ToUnixTimeMilliseconds()));
        }
        return google.SaveLink(GooglePasses.ContentOf(customer), now);
    }
}

/// <summary>
/// The Google Wallet update queue (docs/WALLET.md): each pass claims the objects whose member changed
/// since Google last heard, PATCHes their points to the Wallet API with an access token bought by a
/// signed assertion, and records the outcome; a failure is retried with doubling waits, a bounded number of times.
/// Everything it needs is in the database, so a restart loses nothing: a claim only delays the next
/// process by its lease.
/// </summary>
public sealed partial class GoogleWalletSync(
    GooglePasses google, IWritePath writes, TimeProvider clock, ILogger<GoogleWalletSync> logger) : IJob, IDisposable
{
    private const int BatchSize = 50;
    private static readonly TimeSpan MaxWait = TimeSpan.FromHours(1);

    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = TimeSpan.FromSeconds(15),
    };
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private (string Token, DateTimeOffset ExpiresAt)? _token;

    public string Name => "google-wallet-updates";

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        if (!google.IsConfigured)
        {
            return 0;
        }
        var claimed = await writes.RunAsync(context => GoogleWalletStore.ClaimAsync(context, BatchSize));
        foreach (var update in claimed)
        {
            var version = update.Customer.UpdatedAt.ToUnixTimeMilliseconds();
            string? error;
            var notSaved = false;
            try
            {
                (error, notSaved) = await SendAsync(update, ct);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or WalletUnavailableException or JsonException)
            {
                if (ct.IsCancellationRequested)
                {
                    throw;
                }
                error = e.Message;
            }
            if (error is null)
            {
                await writes.RunAsync(context => GoogleWalletStore.SucceededAsync(context, update.ObjectId, version, notSaved ? "not saved to Google Wallet yet" : null));
                continue;
            }
            var attempt = update.Attempts + 1;
            DateTimeOffset? retryAt = attempt >= Math.Max(1, google.Options.MaxAttempts) ? null : clock.GetUtcNow().Add(Backoff(attempt));
            LogFailure(logger, update.ObjectId, attempt, error);
            await writes.RunAsync(context => GoogleWalletStore.FailedAsync(context, update.ObjectId, version, Truncate(error), retryAt));
        }
        return claimed.Count;
    }

    /// <summary>The wait before retry <paramref name="attempt"/>: the base, doubled for each failure before it, at most an hour.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var seconds = Math.Max(1, google.Options.RetryBaseSeconds) * Math.Pow(2, Math.Min(attempt - 1, 20));
        return TimeSpan.FromSeconds(Math.Min(seconds, MaxWait.TotalSeconds));
    }

    /// <returns>null when Google took the update (or has no such object: the member has not saved the pass), else why not.</returns>
    private async Task<(string? Error, bool NotSaved)> SendAsync(GoogleWalletUpdate update, CancellationToken ct)
    {
        var token = await AccessTokenAsync(ct);
        var url = $"{google.Options.ApiBaseUrl.TrimEnd('/')}/loyaltyObject/{Uri.EscapeDataString(update.ObjectId)}";
        using var request = new HttpRequestMessage(HttpMethod.Patch, url)
        {
            Content = new StringContent(GooglePasses.PointsPatch(GooglePasses.ContentOf(update.Customer)).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request, ct);
        if (response.IsSuccessStatusCode)
        {
            return (null, false);
        }
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return (null, true);
        }
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            _token = null;
        }
        return ($"Google Wallet answered {(int)response.StatusCode}", false);
    }

    private async Task<string> AccessTokenAsync(CancellationToken ct)
    {
        await _tokenGate.WaitAsync(ct);
        try
        {
            var now = clock.GetUtcNow();
            if (_token is { } cached && cached.ExpiresAt > now)
            {
                return cached.Token;
            }
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer",
                ["assertion"] = google.TokenAssertion(now),
            });
            using var response = await _http.PostAsync(google.TokenUrl, form, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"The token URL answered {(int)response.StatusCode}");
            }
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var token = body.RootElement.GetProperty("access_token").GetString()
                ?? throw new HttpRequestException("The token URL answered no access_token");
            var lifetime = body.RootElement.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var s) ? s : 3600;
            // Renewed a minute before it runs out.
            _token = (token, now.AddSeconds(Math.Max(0, lifetime - 60)));
            return token;
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
        {
            throw new HttpRequestException("The token URL answered no access_token");
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    private static string Truncate(string error) => error.Length <= 300 ? error : error[..300];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Google Wallet update of {ObjectId} failed (attempt {Attempt}): {Error}")]
    private static partial void LogFailure(ILogger logger, string objectId, int attempt, string error);

    public void Dispose()
    {
        _http.Dispose();
        _tokenGate.Dispose();
    }
}
