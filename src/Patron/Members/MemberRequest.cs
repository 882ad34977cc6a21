using Microsoft.Extensions.Options;
using Patron.Api;
using Patron.Domain;
using Patron.Operations.Members;
using Patron.Storage;

namespace Patron.Members;

/// <summary>
/// The front door's half of member authentication (docs/WIDGET.md): reads the credential from the
/// <c>X-Patron-*</c> headers (or the same names as query parameters), applies the program's CORS
/// origins, and answers 401 with the error envelope for anything but a valid credential. An API key
/// is not a credential here.
/// </summary>
public static class MemberRequest
{
    public const string ProgramHeader = "X-Patron-Program";
    public const string CustomerHeader = "X-Patron-Customer";
    public const string TimestampHeader = "X-Patron-Timestamp";
    public const string SignatureHeader = "X-Patron-Signature";

    /// <summary>The query parameters that may carry the credential instead of the headers; every /me list takes them.</summary>
    public static readonly string[] CredentialParameters = ["program", "customer", "timestamp", "signature"];

    public static readonly string AllowedHeaders = string.Join(", ", "Content-Type", "Idempotency-Key", ProgramHeader, CustomerHeader, TimestampHeader, SignatureHeader);

    private const string Item = "patron.member";

    public static async Task<Member> AuthenticateAsync(HttpContext http)
    {
        if (http.Items.TryGetValue(Item, out var known) && known is Member already)
        {
            return already;
        }
        var services = http.RequestServices;
        var throttle = services.GetRequiredService<AuthFailureThrottle>();
        var address = http.Connection.RemoteIpAddress;
        RequestBody.LimitBody(http);
        throttle.ThrowIfThrottled(address);
        RequestBody.RejectNulInQuery(http.Request);

        if (http.Request.Headers.Authorization.Count > 0 && Read(http, ProgramHeader, "program") is null)
        {
            await throttle.FailedAsync(address);
            throw ApiException.Unauthorized("member_credential_required",
                "This endpoint takes a customer's signed credential (X-Patron-Program, X-Patron-Customer, X-Patron-Timestamp, X-Patron-Signature), not an API key.");
        }
        var programId = Read(http, ProgramHeader, "program");
        var customerId = Read(http, CustomerHeader, "customer");
        var timestamp = Read(http, TimestampHeader, "timestamp");
        var signature = Read(http, SignatureHeader, "signature");
        if (programId is null || customerId is null || timestamp is null || signature is null)
        {
            await throttle.FailedAsync(address);
            throw ApiException.Unauthorized("member_credential_required",
                "Send the customer's signed credential: X-Patron-Program, X-Patron-Customer, X-Patron-Timestamp and X-Patron-Signature (docs/WIDGET.md).");
        }

        var db = services.GetRequiredService<Database>();
        var protector = services.GetRequiredService<MemberSecretProtector>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeSeconds();
        // The origin is checked against the claimed program before the signature, so that a shop's
        // page can read why its credential was refused; a refused origin gets no CORS headers at all.
        if (programId.Length <= 100)
        {
            var settings = await db.ReadAsync(sql => MemberStore.SettingsAsync(sql, programId));
            ApplyOrigin(http, settings);
        }
        var (member, failure) = await db.ReadAsync(sql =>
            MemberAccess.AuthenticateAsync(sql, protector, programId, customerId, timestamp, signature, now));
        if (member is null)
        {
            await throttle.FailedAsync(address);
            throw failure switch
            {
                MemberAuthFailure.Expired => ApiException.Unauthorized("member_credential_expired",
                    "The credential's timestamp is outside the time this program accepts; sign a new one."),
                MemberAuthFailure.UnknownCustomer => ApiException.Unauthorized("unknown_customer",
                    "No customer of this program has this external_id."),
                _ => ApiException.Unauthorized("invalid_member_credential",
                    "The customer credential is not valid for this program (see docs/WIDGET.md for the string to sign)."),
            };
        }
        var options = services.GetRequiredService<IOptions<PatronOptions>>().Value;
        await services.GetRequiredService<RateLimits>().HitAsync(http, "member:" + member.Customer.Id, options.RateLimit.PerMinute);
        http.Response.Headers.CacheControl = "private, no-store";
        http.Items[Item] = member;
        return member;
    }

    /// <summary>
    /// A request from another origin must come from one of the program's shop origins: then the
    /// answer names it in Access-Control-Allow-Origin; otherwise 403 and no CORS header. Requests
    /// without an Origin (servers) and from Patron's own origin (the hosted page) pass.
    /// </summary>
    public static void ApplyOrigin(HttpContext http, MemberSettings settings)
    {
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length == 0 || IsOwnOrigin(http, origin))
        {
            return;
        }
        var normalized = MemberCredential.NormalizeOrigin(origin);
        if (normalized is null || !settings.Allows(normalized))
        {
            throw ApiException.Forbidden("origin_not_allowed",
                "This origin is not one of the program's shop origins (PATCH /api/v1/program/member_settings allowed_origins).");
        }
        var headers = http.Response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.Vary = "Origin";
    }

    public static bool IsOwnOrigin(HttpContext http, string origin) =>
        string.Equals(origin, $"{http.Request.Scheme}://{http.Request.Host}", StringComparison.OrdinalIgnoreCase);

    private static string? Read(HttpContext http, string header, string query)
    {
        var value = http.Request.Headers[header].ToString();
        if (value.Length == 0)
        {
            value = http.Request.Query[query].ToString();
        }
        return value.Length == 0 ? null : value.Trim();
    }
}
