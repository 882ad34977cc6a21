using System.Text;
using System.Text.Json;
using Patron.Domain;
using Patron.Operations.RewardsAndRedemptions;
using Patron.Storage;

namespace Patron.Api;

/// <summary>Rewards (docs/API.md, Rewards): CRUD (admin), and the voucher code pool of a reward.</summary>
public static class RewardsEndpoints
{
    public sealed class VariableInput
    {
        public long? PointsPerUnit { get; set; }
        public long? MinPoints { get; set; }
        public long? MaxPoints { get; set; }
    }

    /// <summary>
    /// Create, or PATCH where absent (or null) leaves a field as it is. On PATCH an empty string clears
    /// description, product_id, min_tier and code_prefix; 0 clears limit_per_customer and expires_in_days.
    /// Giving <c>points_cost</c> makes a reward fixed-price, giving <c>variable</c> makes it pay-what-you-want.
    /// </summary>
    public sealed class RewardInput
    {
        public string? Name { get; set; }
        public string? Description { get; set; }
        public string? Type { get; set; }
        public decimal? Value { get; set; }

        /// <summary>Loyalino's name for <see cref="Value"/>; either may be sent, not both with different values.</summary>
        public decimal? DiscountValue { get; set; }

        public string? ProductId { get; set; }
        public long? PointsCost { get; set; }
        public VariableInput? Variable { get; set; }
        public string? MinTier { get; set; }
        public int? LimitPerCustomer { get; set; }
        public int? ExpiresInDays { get; set; }
        public string? CodeSource { get; set; }
        public string? CodePrefix { get; set; }
        public bool? Enabled { get; set; }
    }

    public static RouteGroupBuilder MapRewardsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/rewards").WithTags("Rewards");
        group.MapGet("/", List).WithSummary("List rewards; ?enabled=true|false filters").Produces<ListEnvelope<RewardDto>>()
            .WithQuery(QueryParameter.Boolean("enabled", "Only enabled (`true`) or disabled (`false`) rewards."));
        group.MapPost("/", Create).WithSummary("Create a reward (admin)").Accepts<RewardInput>("application/json").Produces<RewardDto>(201);
        group.MapGet("/{id}", Get).WithSummary("One reward").Produces<RewardDto>();
        group.MapPatch("/{id}", Update).WithSummary("Change a reward (admin)").Accepts<RewardInput>("application/json").Produces<RewardDto>();
        group.MapDelete("/{id}", Delete).WithSummary("Delete a reward; its redemptions stay (admin)").Produces<DeletedObject>();
        group.MapPost("/{id}/voucher_codes", ImportCodes)
            .WithSummary("Add codes to a pool reward: a JSON array of strings, or text/csv or text/plain with one code per line (admin)")
            .Accepts<List<string>>("application/json", "text/csv", "text/plain").Produces<Vouchers.ImportResult>(201);
        group.MapGet("/{id}/voucher_codes/stats", Stats).WithSummary("How many codes the reward has, available, issued and used (admin)")
            .Produces<Vouchers.PoolStats>();
        return group;
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request, "enabled");
        bool? enabled = request.Query["enabled"].ToString() switch
        {
            "" => null,
            "true" => true,
            "false" => false,
            _ => throw ApiException.Invalid("enabled", "'enabled' must be 'true' or 'false'."),
        };
        return TypedResults.Ok(await db.ReadAsync(sql => RewardOperations.ListAsync(sql, caller.ProgramId, paging, enabled)));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(sql => Rewards.GetAsync(sql, caller.ProgramId, id)));

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var draft = RewardOperations.Draft(Settings(await http.ReadJsonAsync<RewardInput>()));
        return await writes.RunAsync(http, caller, async context =>
            Reply.Created(await RewardOperations.CreateAsync(context, caller.Actor, caller.ProgramId, draft)));
    }

    private static async Task<IResult> Update(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var input = Settings(await http.ReadJsonAsync<RewardInput>());
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await RewardOperations.UpdateAsync(context, caller.Actor, caller.ProgramId, id, input)));
    }

    private static async Task<IResult> Delete(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        return await writes.RunAsync(http, caller, async context =>
        {
            await RewardOperations.DeleteAsync(context, caller.Actor, caller.ProgramId, id);
            return Reply.Ok(new DeletedObject(id, "reward"));
        });
    }

    private static RewardSettings Settings(RewardInput i) => new(
        i.Name, i.Description, i.Type, i.Value, i.DiscountValue, i.ProductId, i.PointsCost,
        i.Variable is { } v ? new VariableSettings(v.PointsPerUnit, v.MinPoints, v.MaxPoints) : null,
        i.MinTier, i.LimitPerCustomer, i.ExpiresInDays, i.CodeSource, i.CodePrefix, i.Enabled);

    private static async Task<IResult> ImportCodes(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var codes = await ReadCodesAsync(http);
        return await writes.RunAsync(http, caller, async context =>
            Reply.Created(await VoucherOperations.ImportAsync(context, caller.Actor, caller.ProgramId, id, codes)));
    }

    /// <summary>A JSON array of strings (or <c>{"codes": [...]}</c>), or CSV / plain text with one code per line.</summary>
    private static async Task<List<string>> ReadCodesAsync(HttpContext http)
    {
        var bytes = await RequestBody.ReadBytesAsync(http);
        var contentType = http.Request.ContentType ?? "application/json";
        if (contentType.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
        {
            string text;
            try
            {
                text = new UTF8Encoding(false, true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw ApiException.Malformed("The request body is not valid UTF-8.", "invalid_body");
            }
            return Vouchers.Clean(Vouchers.FromCsv(text.TrimStart('\uFEFF')), "body");
        }
        if (!contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(415, "invalid_request_error", "unsupported_media_type",
                "Send voucher codes as a JSON array (application/json) or as text/csv or text/plain, one code per line.");
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            throw ApiException.Malformed("The request body is not valid JSON.");
        }
        using (doc)
        {
            RequestBody.RejectUnstorableText(bytes, "codes");
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("codes", out var inner))
            {
                root = inner;
            }
            if (root.ValueKind != JsonValueKind.Array || root.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                throw ApiException.Invalid("codes", "Voucher codes must be a JSON array of strings.");
            }
            return Vouchers.Clean(root.EnumerateArray().Select(e => e.GetString()), "codes");
        }
    }

    private static async Task<IResult> Stats(string id, Caller caller, Database db)
    {
        caller.RequireAdmin();
        return TypedResults.Ok(await db.ReadAsync(sql => VoucherOperations.StatsAsync(sql, caller.ProgramId, id)));
    }
}
