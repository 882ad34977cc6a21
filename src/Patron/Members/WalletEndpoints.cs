using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Patron.Api;
using Patron.Operations.Wallet;
using Patron.Storage;

namespace Patron.Members;

/// <summary>
/// Wallet passes (docs/WALLET.md): the member's own pass at <c>/api/v1/me/wallet/apple</c>, the pass
/// link a shop can send (<c>wallet_pass_url</c>), and Apple's PassKit web service under
/// <see cref="WalletPasses.WebServicePath"/>.
/// </summary>
public static partial class WalletEndpoints
{
    public const string LinkPath = "/wallet/v1";

    /// <summary>Apple's web service names its fields in camelCase, unlike Patron's API.</summary>
    private static readonly JsonSerializerOptions AppleJson = new(JsonSerializerDefaults.Web);

    public static void MapWallet(this IEndpointRouteBuilder app)
    {
        app.MapGet(MeEndpoints.BasePath + "/wallet/apple", MyApplePass).WithTags("Members")
            .WithSummary("The signed-in customer's Apple Wallet pass (.pkpass)").Produces(200, contentType: ApplePasses.ContentType);
        app.MapGet(MeEndpoints.BasePath + "/wallet/google", MyGoogleLink).WithTags("Members")
            .WithSummary("The signed-in customer's \"Save to Google Wallet\" link (a signed JWT holding their loyalty object)")
            .Produces<GoogleWalletLinkDto>();
        app.MapGet(LinkPath + "/{program}/apple/{serial}", LinkedApplePass).WithTags("Members")
            .WithSummary("A customer's Apple Wallet pass by the link in wallet_pass_url").Produces(200, contentType: ApplePasses.ContentType);

        var passKit = app.MapGroup(WalletPasses.WebServicePath + "/v1").WithTags("Wallet").ExcludeFromDescription(); // Apple's protocol, called by Wallet (docs/WALLET.md)
        passKit.MapPost("/devices/{device}/registrations/{passType}/{serial}", Register).WithSummary("PassKit: register a device for a pass's updates");
        passKit.MapDelete("/devices/{device}/registrations/{passType}/{serial}", Unregister).WithSummary("PassKit: unregister a device");
        passKit.MapGet("/devices/{device}/registrations/{passType}", UpdatedSince).WithSummary("PassKit: the device's passes updated since a tag");
        passKit.MapGet("/passes/{passType}/{serial}", Latest).WithSummary("PassKit: the latest version of a pass");
        passKit.MapPost("/log", Log).WithSummary("PassKit: messages Wallet logs about Patron's web service");
    }

    /// <summary>The absolute link to a customer's pass, or null when Apple passes are not configured.</summary>
    public static string? ApplePassLink(HttpContext http, ApplePasses passes, string programId, string customerId) =>
        passes.IsConfigured
            ? $"{BaseUrl(http)}{LinkPath}/{Uri.EscapeDataString(programId)}/apple/{Uri.EscapeDataString(customerId)}?token={passes.TokenFor(customerId)}"
            : null;

    /// <summary>A member's "Save to Google Wallet" link.</summary>
    public sealed record GoogleWalletLinkDto(string ObjectId, string Url)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "google_wallet_link";
    }

    /// <summary>
    /// The customer's "Save to Google Wallet" link, or null when Google Wallet is not configured or its
    /// key cannot be read (<c>/api/v1/me/wallet/google</c> says which).
    /// </summary>
    public static async Task<string?> GoogleLinkAsync(HttpContext http, string programId, Domain.CustomerDto customer)
    {
        var services = http.RequestServices;
        var google = services.GetRequiredService<GooglePasses>();
        if (!google.IsConfigured)
        {
            return null;
        }
        try
        {
            return await GoogleWalletLinks.SaveLinkAsync(services.GetRequiredService<Database>(), services.GetRequiredService<IWritePath>(), google,
                programId, customer, services.GetRequiredService<TimeProvider>().GetUtcNow());
        }
        catch (WalletUnavailableException)
        {
            return null;
        }
    }

    private static async Task<IResult> MyGoogleLink(HttpContext http, Database db, IWritePath path, GooglePasses google, TimeProvider clock)
    {
        var member = await MemberRequest.AuthenticateAsync(http);
        var url = await Available(() => GoogleWalletLinks.SaveLinkAsync(db, path, google, member.ProgramId, member.Customer, clock.GetUtcNow()));
        return TypedResults.Ok(new GoogleWalletLinkDto(google.ObjectIdFor(member.Customer.Id), url));
    }

    public static string BaseUrl(HttpContext http)
    {
        var configured = http.RequestServices.GetRequiredService<IOptions<PatronOptions>>().Value.Wallet.PublicUrl;
        return string.IsNullOrWhiteSpace(configured) ? $"{http.Request.Scheme}://{http.Request.Host}" : configured.TrimEnd('/');
    }

    private static async Task<IResult> MyApplePass(HttpContext http, IWritePath path, ApplePasses passes)
    {
        var member = await MemberRequest.AuthenticateAsync(http);
        var (pass, updatedAt) = await Available(() =>
            WalletPasses.IssueAppleAsync(path, passes, member.ProgramId, member.Customer.Id, BaseUrl(http)));
        return PassResult(http, pass, updatedAt);
    }

    private static async Task<IResult> LinkedApplePass(HttpContext http, IWritePath path, ApplePasses passes, string program, string serial)
    {
        var throttle = Throttle(http);
        if (!passes.TokenMatches(serial, http.Request.Query["token"].ToString()))
        {
            throttle.Failed(http.Connection.RemoteIpAddress);
            throw ApiException.Unauthorized("invalid_pass_token", "This pass link is not valid.");
        }
        var (pass, updatedAt) = await Available(() => WalletPasses.IssueAppleAsync(path, passes, program, serial, BaseUrl(http)));
        return PassResult(http, pass, updatedAt);
    }

    private static async Task<IResult> Register(HttpContext http, IWritePath path, ApplePasses passes, string device, string passType, string serial)
    {
        Authorize(http, passes, passType, serial);
        CheckDevice(device);
        using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted)
            .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : throw ApiException.Malformed("The body must be JSON with pushToken."),
                TaskScheduler.Default);
        var pushToken = body.RootElement.ValueKind == JsonValueKind.Object
            && body.RootElement.TryGetProperty("pushToken", out var p) && p.ValueKind == JsonValueKind.String
            && !RequestBody.HasUnstorableText(p) ? p.GetString() : null;
        if (string.IsNullOrWhiteSpace(pushToken) || pushToken.Length > 200)
        {
            throw ApiException.Malformed("The body must be JSON with pushToken.");
        }
        var db = http.RequestServices.GetRequiredService<Database>();
        if (await db.ReadAsync(sql => WalletStore.PassAsync(sql, passType, serial)) is null)
        {
            throw ApiException.NotFound("pass", serial);
        }
        var created = await path.RunAsync(context => WalletStore.RegisterAsync(context, device, passType, serial, pushToken));
        return created ? Results.StatusCode(201) : Results.Ok();
    }

    private static async Task<IResult> Unregister(HttpContext http, IWritePath path, ApplePasses passes, string device, string passType, string serial)
    {
        Authorize(http, passes, passType, serial);
        CheckDevice(device);
        await path.RunAsync(context => WalletStore.UnregisterAsync(context, device, passType, serial));
        return Results.Ok();
    }

    private static async Task<IResult> UpdatedSince(HttpContext http, Database db, ApplePasses passes, string device, string passType)
    {
        await Available(() => { passes.EnsureAvailable(); return Task.FromResult(0); });
        CheckDevice(device);
        var tag = http.Request.Query["passesUpdatedSince"].ToString();
        long? since = null;
        if (tag.Length > 0)
        {
            since = long.TryParse(tag, NumberStyles.None, CultureInfo.InvariantCulture, out var t)
                ? t
                : throw ApiException.Malformed("passesUpdatedSince must be a tag this service returned as lastUpdated.", "invalid_tag");
        }
        var rows = await db.ReadAsync(sql => WalletStore.UpdatedSinceAsync(sql, device, passType, since));
        if (rows.Count == 0)
        {
            return Results.NoContent();
        }
        return Results.Json(new
        {
            serialNumbers = rows.Select(r => r.Serial).ToArray(),
            lastUpdated = rows.Max(r => r.UpdatedAt).ToString(CultureInfo.InvariantCulture),
        }, AppleJson);
    }

    private static async Task<IResult> Latest(HttpContext http, Database db, ApplePasses passes, string passType, string serial)
    {
        Authorize(http, passes, passType, serial);
        var ifModifiedSince = http.Request.GetTypedHeaders().IfModifiedSince;
        var latest = await Available(() => WalletPasses.LatestAppleAsync(db, passes, serial, BaseUrl(http), ifModifiedSince))
            ?? throw ApiException.NotFound("pass", serial);
        if (latest.Pass.Length == 0)
        {
            http.Response.GetTypedHeaders().LastModified = WalletPasses.HttpDate(latest.UpdatedAt);
            return Results.StatusCode(304);
        }
        return PassResult(http, latest.Pass, latest.UpdatedAt);
    }

    private static async Task<IResult> Log(HttpContext http, ILogger<ApplePasses> logger)
    {
        RequestBody.LimitBody(http);
        try
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("logs", out var logs)
                && logs.ValueKind == JsonValueKind.Array)
            {
                foreach (var line in logs.EnumerateArray().Take(20).Where(l => l.ValueKind == JsonValueKind.String))
                {
                    LogFromWallet(logger, line.GetString()![..Math.Min(500, line.GetString()!.Length)]);
                }
                return Results.Ok();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or a line that is not Unicode text (an unpaired surrogate).
        }
        throw ApiException.Malformed("The body must be JSON with logs, an array of strings.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Apple Wallet: {Line}")]
    private static partial void LogFromWallet(ILogger logger, string line);

    private static AuthFailureThrottle Throttle(HttpContext http)
    {
        var throttle = http.RequestServices.GetRequiredService<AuthFailureThrottle>();
        RequestBody.LimitBody(http);
        throttle.ThrowIfThrottled(http.Connection.RemoteIpAddress);
        return throttle;
    }

    /// <summary>Apple's <c>Authorization: ApplePass &lt;token&gt;</c> for this pass; 401 otherwise.</summary>
    private static void Authorize(HttpContext http, ApplePasses passes, string passType, string serial)
    {
        var throttle = Throttle(http);
        if (!passes.IsConfigured)
        {
            throw NotConfigured(new WalletUnavailableException("wallet_not_configured", "Apple Wallet passes are not configured on this server (docs/WALLET.md)."));
        }
        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "ApplePass ";
        var token = header.StartsWith(scheme, StringComparison.Ordinal) ? header[scheme.Length..].Trim() : null;
        if (!string.Equals(passType, passes.PassTypeIdentifier, StringComparison.Ordinal) || !passes.TokenMatches(serial, token))
        {
            throttle.Failed(http.Connection.RemoteIpAddress);
            throw ApiException.Unauthorized("invalid_pass_token", "Send Authorization: ApplePass with the pass's authentication token.");
        }
    }

    private static void CheckDevice(string device)
    {
        if (device.Length is 0 or > 200 || !device.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.'))
        {
            throw ApiException.Malformed("The device library identifier is not valid.", "invalid_device");
        }
    }

    private static IResult PassResult(HttpContext http, byte[] pass, DateTimeOffset updatedAt)
    {
        http.Response.GetTypedHeaders().LastModified = WalletPasses.HttpDate(updatedAt);
        http.Response.Headers.CacheControl = "private, no-cache";
        return Results.File(pass, ApplePasses.ContentType, "pass.pkpass");
    }

    private static async Task<T> Available<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (WalletUnavailableException e)
        {
            throw NotConfigured(e);
        }
    }

    private static ApiException NotConfigured(WalletUnavailableException e) => new(503, "api_error", e.Code, e.Message);
}
