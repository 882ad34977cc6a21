using System.Text;
using System.Text.Json;
using Patron.Domain;
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

    private const long MaxPoints = Limits.MaxRewardCost;

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
        var where = "program_id = @p AND deleted_at IS NULL";
        var args = new List<(string, object?)> { ("p", caller.ProgramId) };
        switch (request.Query["enabled"].ToString())
        {
            case "":
                break;
            case ("true" or "false") and var e:
                where += " AND enabled = @enabled";
                args.Add(("enabled", e == "true"));
                break;
            default:
                throw ApiException.Invalid("enabled", "'enabled' must be 'true' or 'false'.");
        }
        var result = await db.ReadAsync(async sql =>
        {
            var listArgs = new List<(string, object?)>(args);
            var rows = await sql.ListAsync(paging.Apply($"SELECT {Rewards.Columns} FROM rewards WHERE {where}", listArgs),
                Rewards.Map, [.. listArgs]);
            long? total = paging.StartingAfter is null
                ? Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM rewards WHERE {where}", [.. args]))
                : null;
            return paging.Envelope(rows, total);
        });
        return TypedResults.Ok(result);
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(sql => Rewards.GetAsync(sql, caller.ProgramId, id)));

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<RewardInput>();
        var draft = Merge(null, input, "");
        Validate(draft);
        return await writes.RunAsync(http, caller, async context =>
        {
            var reward = draft with { Id = Ids.New("rwd_"), CreatedAt = context.Now, UpdatedAt = context.Now };
            await RequireTierAsync(context.Sql, caller.ProgramId, reward.MinTier);
            await Rewards.InsertAsync(context, caller.ProgramId, reward);
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.RewardCreated, reward.Id, null, reward);
            return Reply.Created(reward);
        });
    }

    private static async Task<IResult> Update(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<RewardInput>();
        return await writes.RunAsync(http, caller, async context =>
        {
            var existing = await Rewards.GetAsync(context.Sql, caller.ProgramId, id);
            var reward = Merge(existing, input, id) with { UpdatedAt = context.Now };
            Validate(reward);
            if (reward.MinTier != existing.MinTier)
            {
                await RequireTierAsync(context.Sql, caller.ProgramId, reward.MinTier);
            }
            await Rewards.UpdateAsync(context, caller.ProgramId, reward);
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.RewardUpdated, id, existing, reward);
            return Reply.Ok(reward);
        });
    }

    private static async Task<IResult> Delete(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        return await writes.RunAsync(http, caller, async context =>
        {
            var before = await Rewards.GetAsync(context.Sql, caller.ProgramId, id);
            var changed = await context.Sql.ExecuteAsync(
                "UPDATE rewards SET deleted_at = @now, enabled = @off, updated_at = @now WHERE program_id = @p AND id = @id AND deleted_at IS NULL",
                ("now", context.NowMs), ("off", false), ("p", caller.ProgramId), ("id", id));
            if (changed == 0)
            {
                throw ApiException.NotFound("reward", id);
            }
            await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.RewardDeleted, id, before, null);
            return Reply.Ok(new DeletedObject(id, "reward"));
        });
    }

    private static async Task<IResult> ImportCodes(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var codes = await ReadCodesAsync(http);
        return await writes.RunAsync(http, caller, async context =>
            Reply.Created(await Vouchers.ImportAsync(context, caller.ProgramId, id, codes)));
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
        return TypedResults.Ok(await db.ReadAsync(sql => Vouchers.StatsAsync(sql, caller.ProgramId, id)));
    }

    private static async Task RequireTierAsync(Sql sql, string programId, string? tierId)
    {
        if (tierId is not null && await sql.ScalarAsync(
                "SELECT 1 FROM vip_tiers WHERE program_id = @p AND id = @id AND deleted_at IS NULL", ("p", programId), ("id", tierId)) is null)
        {
            throw ApiException.Invalid("min_tier", $"No such VIP tier: '{tierId}'.");
        }
    }

    private static string? Clearable(string? input, string? current) =>
        input is null ? current : input.Trim().Length == 0 ? null : input.Trim();

    private static RewardDto Merge(RewardDto? e, RewardInput i, string id)
    {
        if (i.Value is { } v1 && i.DiscountValue is { } v2 && v1 != v2)
        {
            throw ApiException.Invalid("discount_value", "'discount_value' and 'value' are the same field; send one of them.");
        }
        var value = i.DiscountValue ?? i.Value;
        VariablePricing? variable = e?.Variable;
        long? cost = e?.PointsCost;
        if (i.Variable is { } v)
        {
            variable = new VariablePricing(v.PointsPerUnit ?? variable?.PointsPerUnit ?? 0, v.MinPoints ?? variable?.MinPoints ?? 1,
                v.MaxPoints ?? variable?.MaxPoints ?? 0);
            cost = null;
        }
        else if (i.PointsCost is { } c)
        {
            cost = c;
            variable = null;
        }
        return new RewardDto(
            Id: id,
            Name: i.Name?.Trim() ?? e?.Name ?? "",
            Description: Clearable(i.Description, e?.Description),
            Type: i.Type ?? e?.Type ?? "",
            Value: value ?? e?.Value,
            ProductId: Clearable(i.ProductId, e?.ProductId),
            PointsCost: cost,
            Variable: variable,
            MinTier: Clearable(i.MinTier, e?.MinTier),
            LimitPerCustomer: i.LimitPerCustomer is { } l ? (l == 0 && e is not null ? null : l) : e?.LimitPerCustomer,
            ExpiresInDays: i.ExpiresInDays is { } d ? (d == 0 && e is not null ? null : d) : e?.ExpiresInDays,
            CodeSource: i.CodeSource ?? e?.CodeSource ?? RewardTypes.Generated,
            CodePrefix: Clearable(i.CodePrefix, e?.CodePrefix),
            Enabled: i.Enabled ?? e?.Enabled ?? true,
            CreatedAt: e?.CreatedAt ?? default,
            UpdatedAt: e?.UpdatedAt ?? default);
    }

    private static void Validate(RewardDto r)
    {
        if (r.Name.Length == 0)
        {
            throw ApiException.Missing("name");
        }
        if (r.Name.Length > 200)
        {
            throw ApiException.Invalid("name", "'name' is limited to 200 characters.");
        }
        if (r.Description is { Length: > 2000 })
        {
            throw ApiException.Invalid("description", "'description' is limited to 2000 characters.");
        }
        if (r.Type.Length == 0)
        {
            throw ApiException.Missing("type");
        }
        if (!RewardTypes.All.Contains(r.Type))
        {
            throw ApiException.Invalid("type", $"'type' must be one of: {string.Join(", ", RewardTypes.All)}.");
        }
        if (r.PointsCost is null && r.Variable is null)
        {
            throw ApiException.Missing("points_cost");
        }
        if (r.PointsCost is < 0 or > MaxPoints)
        {
            throw ApiException.Invalid("points_cost", $"'points_cost' must be from 0 to {MaxPoints}.");
        }
        if (r.Variable is { } v)
        {
            if (r.Type is not (RewardTypes.AmountDiscount or RewardTypes.StoreCredit or RewardTypes.Custom))
            {
                throw ApiException.Invalid("variable", "Only amount_discount, store_credit and custom rewards can be variable.");
            }
            if (v.PointsPerUnit is < 1 or > MaxPoints)
            {
                throw ApiException.Invalid("variable.points_per_unit", "'variable.points_per_unit' (points per 1.00 of value) must be at least 1.");
            }
            if (v.MinPoints < 1 || v.MaxPoints < v.MinPoints || v.MaxPoints > MaxPoints)
            {
                throw ApiException.Invalid("variable.max_points",
                    "'variable.min_points' must be at least 1 and 'variable.max_points' at least 'min_points'.");
            }
        }
        else if (r.Type is RewardTypes.AmountDiscount or RewardTypes.StoreCredit && r.Value is not > 0)
        {
            throw r.Value is null ? ApiException.Missing("value") : ApiException.Invalid("value", "'value' must be more than 0.");
        }
        if (r.Type == RewardTypes.PercentageDiscount && r.Value is not (> 0 and <= 100))
        {
            throw r.Value is null ? ApiException.Missing("value") : ApiException.Invalid("value", "'value' is a percentage: more than 0, at most 100.");
        }
        if (r.Value is < 0 or > 1_000_000_000)
        {
            throw ApiException.Invalid("value", "'value' must be from 0 to 1000000000.");
        }
        if (r.ProductId is { Length: > 200 })
        {
            throw ApiException.Invalid("product_id", "'product_id' is limited to 200 characters.");
        }
        if (r.LimitPerCustomer is < 1 or > 1_000_000)
        {
            throw ApiException.Invalid("limit_per_customer", "'limit_per_customer' must be from 1 to 1000000.");
        }
        if (r.ExpiresInDays is < 1 or > 3650)
        {
            throw ApiException.Invalid("expires_in_days", "'expires_in_days' must be from 1 to 3650.");
        }
        if (r.CodeSource is not (RewardTypes.Generated or RewardTypes.Pool))
        {
            throw ApiException.Invalid("code_source", "'code_source' must be 'generated' or 'pool'.");
        }
        if (r.CodePrefix is { } prefix && (prefix.Length > 20 || !prefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw ApiException.Invalid("code_prefix", "'code_prefix' must be up to 20 letters, digits, '-' or '_'.");
        }
    }
}
