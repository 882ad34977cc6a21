using System.Text.Json;
using Patron.Api;
using Patron.Domain;
using Patron.Operations.Members;
using Patron.Operations.Points;
using Patron.Operations.RewardsAndRedemptions;
using Patron.Operations.Stamps;
using Patron.Storage;

namespace Patron.Members;

/// <summary>
/// The customer-scoped API (docs/WIDGET.md): everything is about the one customer the credential
/// proves. No route takes a customer reference, so no request can name another customer.
/// </summary>
public static class MeEndpoints
{
    public const string BasePath = "/api/v1/me";

    public sealed record TierView(string Id, string Name);

    public sealed record NextTierView(string Id, string Name, string Measure, decimal Required, decimal Current, decimal Remaining, decimal Progress);

    public sealed record ReferralView(string Code, string? Url);

    public sealed record StampsView(long Current, int Required);

    public sealed record WalletView(string? ApplePassUrl, string? GooglePassUrl);

    public sealed record ProgramView(string Id, string Name, string Currency);

    public sealed record MeDto(
        string Id, string? ExternalId, string? FirstName, string? LastName, string? Email, ProgramView Program,
        long PointsBalance, long PendingPoints, long LifetimePoints, TierView? Tier, NextTierView? NextTier,
        ReferralView Referral, StampsView Stamps, string QrCode, string QrCodeUrl, WalletView Wallet)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "member";
    }

    public sealed record MemberRewardDto(
        string Id, string Name, string? Description, string Type, decimal? Value, long? PointsCost, VariablePricing? Variable,
        string? MinTier, bool Affordable)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "reward";
    }

    public static void MapMeApi(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup(BasePath).WithTags("Members");
        me.MapGet("", Get).WithSummary("The signed-in customer: balance, pending points, tier and progress, referral link, stamps, QR code, wallet passes")
            .Produces<MeDto>();
        me.MapGet("/points_transactions", History).WithSummary("The customer's points history, newest first")
            .Produces<ListEnvelope<PointsTransactionDto>>();
        me.MapGet("/rewards", RewardsList).WithSummary("The program's enabled rewards, each marked affordable or not; ?affordable=true keeps those")
            .Produces<ListEnvelope<MemberRewardDto>>()
            .WithQuery(QueryParameter.Boolean("affordable", "true keeps the rewards the customer's balance affords."));
        me.MapPost("/redemptions", Redeem).WithSummary("Redeem a reward with the customer's points (the same rules and limits as the API)")
            .Accepts<RedemptionsEndpoints.RedemptionInput>("application/json").Produces<RedemptionDto>(201);
        me.MapGet("/redemptions", RedemptionsList).WithSummary("The customer's redemptions and their codes")
            .Produces<ListEnvelope<RedemptionDto>>();
        me.MapGet("/qr.svg", (Delegate)Qr).WithSummary("The customer's QR code as an SVG image").Produces(200, contentType: "image/svg+xml");
        me.MapMethods("/{**rest}", [HttpMethods.Options], Preflight).ExcludeFromDescription();
        me.MapMethods("", [HttpMethods.Options], Preflight).ExcludeFromDescription();
    }

    private static async Task<IResult> Get(HttpContext http, Database db, TimeProvider clock, Operations.Wallet.ApplePasses passes)
    {
        var member = await MemberRequest.AuthenticateAsync(http);
        var c = member.Customer;
        var google = await WalletEndpoints.GoogleLinkAsync(http, member.ProgramId, c);
        var view = await db.ReadAsync(async sql =>
        {
            var name = await MemberStore.ProgramNameAsync(sql, member.ProgramId) ?? "";
            var currency = (string)(await sql.ScalarAsync("SELECT currency FROM programs WHERE id = @p", ("p", member.ProgramId)))!;
            var state = await Customers.StateAsync(sql, member.ProgramId, c.Id);
            var tiers = await Tiers.ListAsync(sql, member.ProgramId);
            var tier = tiers.FirstOrDefault(t => t.Id == state.TierId);
            var next = await NextTierAsync(sql, member.ProgramId, c, tiers, tier, clock.GetUtcNow().ToUnixTimeMilliseconds());
            var (required, _) = await StampOperations.CardAsync(sql, member.ProgramId);
            return new MeDto(c.Id, c.ExternalId, c.FirstName, c.LastName, c.Email, new ProgramView(member.ProgramId, name, currency),
                c.PointsBalance, c.PendingPoints, c.LifetimePoints, tier is null ? null : new TierView(tier.Id, tier.Name), next,
                new ReferralView(c.ReferralCode, member.Settings.ReferralUrl?.Replace("{code}", Uri.EscapeDataString(c.ReferralCode), StringComparison.Ordinal)),
                new StampsView(c.CurrentStamps, required), c.QrCode, BasePath + "/qr.svg", new WalletView(passes.IsConfigured ? BasePath + "/wallet/apple" : null, google));
        });
        return TypedResults.Ok(view);
    }

    /// <summary>
    /// The next tier up: the cheapest points tier the customer's lifetime points do not reach yet,
    /// or, in a program of spend tiers, the cheapest spend tier their spend in its window does not reach.
    /// </summary>
    private static async Task<NextTierView?> NextTierAsync(
        Sql sql, string programId, CustomerDto c, List<TierThreshold> tiers, TierThreshold? current, long nowMs)
    {
        var pointsTiers = tiers.Where(t => t.PointsRequired is not null && t.Id != current?.Id
            && t.PointsRequired > (current?.PointsRequired ?? -1) && t.PointsRequired > c.LifetimePoints)
            .OrderBy(t => t.PointsRequired).ToList();
        if (pointsTiers.Count > 0)
        {
            var t = pointsTiers[0];
            var required = (decimal)t.PointsRequired!.Value;
            return new NextTierView(t.Id, t.Name, "lifetime_points", required, c.LifetimePoints,
                required - c.LifetimePoints, required == 0 ? 1 : Math.Round(c.LifetimePoints / required, 4));
        }
        foreach (var t in tiers.Where(t => t.SpendRequiredE4 is not null && t.Id != current?.Id
            && t.SpendRequiredE4 > (current?.SpendRequiredE4 ?? -1)).OrderBy(t => t.SpendRequiredE4))
        {
            var spend = await Tiers.SpendAsync(sql, programId, c.Id, t.SpendWindowDays ?? 36_500, nowMs);
            if (spend < t.SpendRequiredE4)
            {
                var required = Money.FromE4(t.SpendRequiredE4!.Value);
                var have = Money.FromE4(spend);
                return new NextTierView(t.Id, t.Name, "spend", required, have, required - have,
                    required == 0 ? 1 : Math.Round(have / required, 4));
            }
        }
        return null;
    }

    private static async Task<IResult> History(HttpContext http, Database db)
    {
        var member = await MemberRequest.AuthenticateAsync(http);
        var paging = Paging.From(http.Request, MemberRequest.CredentialParameters);
        return TypedResults.Ok(await LedgerQueries.ListForCustomerIdAsync(db, member.ProgramId, member.Customer.Id, paging));
    }

    private static async Task<IResult> RewardsList(HttpContext http, Database db)
    {
        var member = await MemberRequest.AuthenticateAsync(http);
        var paging = Paging.From(http.Request, [.. MemberRequest.CredentialParameters, "affordable"]);
        var onlyAffordable = http.Request.Query["affordable"].ToString() switch
        {
            "" or "false" => false,
            "true" => true,
            _ => throw ApiException.Invalid("affordable", "'affordable' must be 'true' or 'false'."),
        };
        var balance = member.Customer.PointsBalance;
        var rows = await db.ReadAsync(sql => sql.ListAsync(
            $"SELECT {Rewards.Columns} FROM rewards WHERE program_id = @p AND enabled = @on ORDER BY COALESCE(points_cost, min_points), id LIMIT 200",
            Rewards.Map, ("p", member.ProgramId), ("on", true)));
        var data = rows
            .Select(r => new MemberRewardDto(r.Id, r.Name, r.Description, r.Type, r.Value, r.PointsCost, r.Variable, r.MinTier,
                (r.PointsCost ?? r.Variable?.MinPoints ?? 0) <= balance))
            .Where(r => !onlyAffordable || r.Affordable)
            .ToList();
        // The rewards are few (at most 200 are read), so a page is cut from the whole list, cheapest first.
        var start = paging.StartingAfter is { } after ? data.FindIndex(r => r.Id == after) + 1 : paging.Offset;
        if (paging.StartingAfter is not null && start == 0)
        {
            throw ApiException.Invalid("starting_after", "'starting_after' names no reward of this list.");
        }
        var page = data.Skip(start).Take(paging.Limit).ToList();
        return TypedResults.Ok(new ListEnvelope<MemberRewardDto>(page, paging.StartingAfter is null ? paging.Page : null, paging.Limit,
            data.Count, start + page.Count < data.Count));
    }

    private static async Task<IResult> Redeem(HttpContext http, IWritePath path, Security.StoredAnswers answers)
    {
        var member = await MemberRequest.AuthenticateAsync(http);
        var input = await http.ReadJsonAsync<RedemptionsEndpoints.RedemptionInput>();
        var request = new RedemptionRequest(input.RewardId, input.PointsToRedeem);
        var rewardId = CheckRedemption(request);
        var key = IdempotencyKey(http, member.Customer.Id);
        var hash = IdempotentWrite.RequestHash("me.redeem", JsonSerializer.Serialize(new object?[] { member.Customer.Id, rewardId, input.PointsToRedeem }));
        // The customer's Patron id, never a reference from the request: the core's own redemption,
        // with its customer lock, limits and single deduction; a retry with the same key spends once.
        var (answer, replayed) = await IdempotentWrite.RunAsync(path, answers, member.ProgramId, key, hash, async context =>
            JsonSerializer.SerializeToUtf8Bytes(
                await RedemptionOperations.RedeemAsync(context, MemberActor, member.ProgramId, member.Customer.Id, request),
                PatronJson.Options));
        return new JsonReply(201, answer, replayed);
    }

    /// <summary>The author of a member's own redemption in the ledger.</summary>
    private static readonly Actor MemberActor = new("member", "member");

    /// <summary>The core's check of a redemption (the reward id it names), in the member API's words for <c>points_to_redeem</c>.</summary>
    private static string CheckRedemption(RedemptionRequest request)
    {
        try
        {
            return RedemptionOperations.Validate(request);
        }
        catch (OperationException e) when (e is { Kind: ErrorKind.Invalid, Param: "points_to_redeem" })
        {
            throw ApiException.Invalid("points_to_redeem", $"'points_to_redeem' must be a positive number of points, at most {Limits.MaxRewardCost}.");
        }
    }

    /// <summary>
    /// The request's Idempotency-Key, kept apart per customer: the program's key space is shared with
    /// the API, and one customer's key must never replay another's answer. The key is stored hashed.
    /// </summary>
    private static string? IdempotencyKey(HttpContext http, string customerId)
    {
        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length == 0)
        {
            return null;
        }
        if (key.Length > IdempotentWrite.MaxKeyLength)
        {
            throw ApiException.Invalid("Idempotency-Key", $"Idempotency-Key is limited to {IdempotentWrite.MaxKeyLength} characters.");
        }
        return $"me:{customerId}:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))}";
    }

    private static async Task<IResult> RedemptionsList(HttpContext http, Database db, TimeProvider clock)
    {
        var member = await MemberRequest.AuthenticateAsync(http);
        var paging = Paging.From(http.Request, MemberRequest.CredentialParameters);
        return TypedResults.Ok(await RedemptionOperations.ListForCustomerIdAsync(db, member.ProgramId, member.Customer.Id, paging,
            clock.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    private static async Task<IResult> Qr(HttpContext http)
    {
        var member = await MemberRequest.AuthenticateAsync(http);
        using var data = QrCodesEndpoints.Encode(member.Customer.QrCode);
        var svg = new QRCoder.SvgQRCode(data).GetGraphic(10, "#000000", "#ffffff", drawQuietZones: true,
            sizingMode: QRCoder.SvgQRCode.SizingMode.ViewBoxAttribute);
        return Results.Text(svg, "image/svg+xml; charset=utf-8");
    }

    /// <summary>
    /// A CORS preflight carries no credential: the origin must be a shop origin of the program named
    /// by <c>?program=</c>, or of some program when the URL names none. The request that follows is
    /// checked again against its own program.
    /// </summary>
    private static async Task<IResult> Preflight(HttpContext http, Database db)
    {
        var origin = http.Request.Headers.Origin.ToString();
        var normalized = MemberCredential.NormalizeOrigin(origin);
        var program = http.Request.Query["program"].ToString();
        if (normalized is null || !await db.ReadAsync(sql => MemberStore.AnyProgramAllowsAsync(sql, normalized, program.Length == 0 ? null : program)))
        {
            throw ApiException.Forbidden("origin_not_allowed", "This origin is not one of a program's shop origins.");
        }
        var headers = http.Response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.AccessControlAllowMethods = "GET, POST, OPTIONS";
        headers.AccessControlAllowHeaders = MemberRequest.AllowedHeaders;
        headers.AccessControlMaxAge = "600";
        headers.Vary = "Origin";
        return Results.NoContent();
    }
}
