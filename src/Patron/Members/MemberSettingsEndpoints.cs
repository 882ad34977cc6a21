using Patron.Api;
using Patron.Domain;
using Patron.Operations.Members;
using Patron.Storage;

namespace Patron.Members;

/// <summary>
/// The merchant's side of members (docs/WIDGET.md), with an admin API key: member secrets (created,
/// listed, retired) and member settings (shop origins, credential lifetime, referral link).
/// </summary>
public static class MemberSettingsEndpoints
{
    public sealed record MemberSecretDto(string Id, string? Secret, string Hint, bool Active, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "member_secret";

        public static MemberSecretDto From(MemberSecretRow r, string? secret = null) => new(
            r.Id, secret, "…" + r.Hint, r.Active, Time.FromMs(r.CreatedAt), r.RetiredAt is { } t ? Time.FromMs(t) : null);
    }

    public sealed record MemberSettingsDto(IReadOnlyList<string> AllowedOrigins, int CredentialMaxAgeSeconds, string? ReferralUrl)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "member_settings";

        public static MemberSettingsDto From(MemberSettings s) => new(s.AllowedOrigins, s.CredentialMaxAgeSeconds, s.ReferralUrl);
    }

    public sealed class MemberSettingsInput
    {
        public List<string>? AllowedOrigins { get; set; }
        public int? CredentialMaxAgeSeconds { get; set; }

        /// <summary>The shop's referral link with <c>{code}</c> where the customer's code goes; "" clears it.</summary>
        public string? ReferralUrl { get; set; }
    }

    private const int MaxOrigins = 20;

    public static void MapMemberSettingsApi(this IEndpointRouteBuilder app)
    {
        var program = app.MapGroup("/api/v1/program").WithTags("Members");
        program.MapPost("/member_secrets", Create).WithSummary("Create a member secret (admin); the secret is shown in this answer only")
            .Produces<MemberSecretDto>(201);
        program.MapGet("/member_secrets", List).WithSummary("The program's member secrets, without their values (admin)")
            .Produces<ListEnvelope<MemberSecretDto>>();
        program.MapDelete("/member_secrets/{id}", Retire).WithSummary("Retire a member secret: credentials it signed are refused (admin)")
            .Produces<MemberSecretDto>();
        program.MapGet("/member_settings", GetSettings).WithSummary("Shop origins, credential lifetime and referral link (admin)")
            .Produces<MemberSettingsDto>();
        program.MapPatch("/member_settings", UpdateSettings).WithSummary("Change the member settings (admin)")
            .Accepts<MemberSettingsInput>("application/json").Produces<MemberSettingsDto>();
    }

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes, MemberSecretProtector protector)
    {
        caller.RequireAdmin();
        await http.ReadNoFieldsAsync();
        return await writes.RunAsync(http, caller, async context =>
        {
            var (row, secret) = await MemberAccess.CreateSecretAsync(context, protector, caller.ProgramId);
            return Reply.Created(MemberSecretDto.From(row, secret));
        });
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        caller.RequireAdmin();
        // At most two secrets are active, so the list is one page; its query is checked like every list's.
        var paging = Paging.From(request);
        var rows = await db.ReadAsync(sql => MemberStore.SecretsAsync(sql, caller.ProgramId));
        var data = rows.Select(r => MemberSecretDto.From(r)).ToList();
        return TypedResults.Ok(new ListEnvelope<MemberSecretDto>(data, null, paging.Limit, data.Count, false));
    }

    private static async Task<IResult> Retire(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(MemberSecretDto.From(await MemberStore.RetireSecretAsync(context, caller.ProgramId, id))));
    }

    private static async Task<IResult> GetSettings(Caller caller, Database db)
    {
        caller.RequireAdmin();
        return TypedResults.Ok(MemberSettingsDto.From(await db.ReadAsync(sql => MemberStore.SettingsAsync(sql, caller.ProgramId))));
    }

    private static async Task<IResult> UpdateSettings(HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<MemberSettingsInput>();
        List<string>? origins = null;
        if (input.AllowedOrigins is { } raw)
        {
            if (raw.Count > MaxOrigins)
            {
                throw ApiException.Invalid("allowed_origins", $"'allowed_origins' holds at most {MaxOrigins} origins.");
            }
            origins = [];
            foreach (var o in raw)
            {
                var normalized = MemberCredential.NormalizeOrigin(o)
                    ?? throw ApiException.Invalid("allowed_origins", $"'{o}' is not an origin: give scheme://host[:port], e.g. https://shop.example.com.");
                if (!origins.Contains(normalized))
                {
                    origins.Add(normalized);
                }
            }
        }
        if (input.CredentialMaxAgeSeconds is < MemberCredential.MinMaxAgeSeconds or > MemberCredential.MaxMaxAgeSeconds)
        {
            throw ApiException.Invalid("credential_max_age_seconds",
                $"'credential_max_age_seconds' must be from {MemberCredential.MinMaxAgeSeconds} to {MemberCredential.MaxMaxAgeSeconds}.");
        }
        if (input.ReferralUrl is { Length: > 0 } url && (url.Length > 500
            || !Uri.TryCreate(url.Replace("{code}", "CODE", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https") || !url.Contains("{code}", StringComparison.Ordinal)))
        {
            throw ApiException.Invalid("referral_url", "'referral_url' must be an http(s) URL of up to 500 characters containing {code}.");
        }
        return await writes.RunAsync(http, caller, async context =>
        {
            var current = await MemberStore.SettingsAsync(context.Sql, caller.ProgramId);
            var updated = current with
            {
                AllowedOrigins = origins ?? current.AllowedOrigins,
                CredentialMaxAgeSeconds = input.CredentialMaxAgeSeconds ?? current.CredentialMaxAgeSeconds,
                ReferralUrl = input.ReferralUrl is { } r ? (r.Length == 0 ? null : r) : current.ReferralUrl,
            };
            return Reply.Ok(MemberSettingsDto.From(await MemberStore.SaveSettingsAsync(context, updated)));
        });
    }
}
