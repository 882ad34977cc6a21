using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.RewardsAndRedemptions;

/// <summary>Pay-what-you-want pricing as a caller sends it; an absent bound keeps the current one.</summary>
public sealed record VariableSettings(long? PointsPerUnit = null, long? MinPoints = null, long? MaxPoints = null);

/// <summary>
/// A reward's settings as a caller sends them: on creation, or on a change where absent (null) leaves a
/// field as it is. On a change an empty string clears description, product_id, min_tier and code_prefix;
/// 0 clears limit_per_customer and expires_in_days. Giving <c>PointsCost</c> makes a reward fixed-price,
/// giving <c>Variable</c> makes it pay-what-you-want. <c>DiscountValue</c> is Loyalino's name for <c>Value</c>.
/// </summary>
public sealed record RewardSettings(
    string? Name = null, string? Description = null, string? Type = null, decimal? Value = null, decimal? DiscountValue = null,
    string? ProductId = null, long? PointsCost = null, VariableSettings? Variable = null, string? MinTier = null,
    int? LimitPerCustomer = null, int? ExpiresInDays = null, string? CodeSource = null, string? CodePrefix = null, bool? Enabled = null);

/// <summary>
/// The rewards of a program (docs/API.md, Rewards): list, create, change and delete, from the native API,
/// the dashboard and the dialects alike. Each change is audited here (docs/AUDIT.md) with the front
/// door's actor. Redeeming a reward is <see cref="RedemptionOperations"/>; its code pool is
/// <see cref="VoucherOperations"/>.
/// </summary>
public static class RewardOperations
{
    private const long MaxPoints = Limits.MaxRewardCost;
    private const decimal MaxValue = 1_000_000_000m;
    private const int MaxLimitPerCustomer = 1_000_000;
    private const int MaxExpiresInDays = 3650;
    private const int MaxCodePrefixLength = 20;
    private const int MaxRewardDescription = 2000;

    /// <summary>A window of the program's rewards, newest first; <paramref name="enabled"/> filters when given.</summary>
    public static Task<ListEnvelope<RewardDto>> ListAsync(Sql sql, string programId, Paging paging, bool? enabled) =>
        new ListFilter(programId).Live()
            .When(enabled is not null, "enabled = @enabled", ("enabled", enabled))
            .PageAsync(sql, Storage.Rewards.Columns, "rewards", Storage.Rewards.Map, paging);

    /// <summary>The reward as it would be created: checked before the write, so a refusal costs no write.</summary>
    public static RewardDto Draft(RewardSettings input)
    {
        var draft = Merge(null, input, "");
        Validate(draft);
        return draft;
    }

    /// <summary>Creates a checked draft (<see cref="Draft"/>) in the caller's write and audits it.</summary>
    public static async Task<RewardDto> CreateAsync(WriteContext context, Actor actor, string programId, RewardDto draft)
    {
        var reward = draft with { Id = Ids.New("rwd_"), CreatedAt = context.Now, UpdatedAt = context.Now };
        await RequireTierAsync(context.Sql, programId, reward.MinTier);
        await Storage.Rewards.InsertAsync(context, programId, reward);
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.RewardCreated, reward.Id, null, reward);
        return reward;
    }

    /// <summary>Applies a change in the caller's write and audits it; the reward as it is now.</summary>
    public static async Task<RewardDto> UpdateAsync(WriteContext context, Actor actor, string programId, string id, RewardSettings input)
    {
        var existing = await Storage.Rewards.GetAsync(context.Sql, programId, id);
        var reward = Merge(existing, input, id) with { UpdatedAt = context.Now };
        Validate(reward);
        if (reward.MinTier != existing.MinTier)
        {
            await RequireTierAsync(context.Sql, programId, reward.MinTier);
        }
        await Storage.Rewards.UpdateAsync(context, programId, reward);
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.RewardUpdated, id, existing, reward);
        return reward;
    }

    /// <summary>Deletes (disables and hides) a reward in the caller's write; its redemptions stay. Audited.</summary>
    public static async Task DeleteAsync(WriteContext context, Actor actor, string programId, string id)
    {
        var before = await Storage.Rewards.GetAsync(context.Sql, programId, id);
        var changed = await context.Sql.ExecuteAsync(
            "UPDATE rewards SET deleted_at = @now, enabled = @off, updated_at = @now WHERE program_id = @p AND id = @id AND deleted_at IS NULL",
            ("now", context.NowMs), ("off", false), ("p", programId), ("id", id));
        if (changed == 0)
        {
            throw OperationException.NotFound("reward", id);
        }
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.RewardDeleted, id, before, null);
    }

    private static async Task RequireTierAsync(Sql sql, string programId, string? tierId)
    {
        if (tierId is not null && await sql.ScalarAsync(
                "SELECT 1 FROM vip_tiers WHERE program_id = @p AND id = @id AND deleted_at IS NULL", ("p", programId), ("id", tierId)) is null)
        {
            throw OperationException.Invalid("min_tier", $"No such VIP tier: '{tierId}'.");
        }
    }

    private static string? Clearable(string? input, string? current) =>
        input is null ? current : input.Trim().Length == 0 ? null : input.Trim();

    private static RewardDto Merge(RewardDto? e, RewardSettings i, string id)
    {
        if (i.Value is { } v1 && i.DiscountValue is { } v2 && v1 != v2)
        {
            throw OperationException.Invalid("discount_value", "'discount_value' and 'value' are the same field; send one of them.");
        }
        var (cost, variable) = Pricing(e, i);
        return new RewardDto(
            Id: id,
            Name: i.Name?.Trim() ?? e?.Name ?? "",
            Description: Clearable(i.Description, e?.Description),
            Type: i.Type ?? e?.Type ?? "",
            Value: i.DiscountValue ?? i.Value ?? e?.Value,
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

    /// <summary>A fixed cost or a variable price: sending one replaces the other.</summary>
    private static (long? Cost, VariablePricing? Variable) Pricing(RewardDto? e, RewardSettings i)
    {
        if (i.Variable is { } v)
        {
            var current = e?.Variable;
            return (null, new VariablePricing(v.PointsPerUnit ?? current?.PointsPerUnit ?? 0, v.MinPoints ?? current?.MinPoints ?? 1,
                v.MaxPoints ?? current?.MaxPoints ?? 0));
        }
        return i.PointsCost is { } c ? (c, null) : (e?.PointsCost, e?.Variable);
    }

    /// <summary>Refuses a reward that breaks a rule, naming the first field at fault (in a fixed order).</summary>
    public static void Validate(RewardDto r)
    {
        ValidateNaming(r);
        ValidatePrice(r);
        ValidateValue(r);
        ValidateOptions(r);
    }

    private static void ValidateNaming(RewardDto r)
    {
        if (r.Name.Length == 0)
        {
            throw OperationException.Missing("name");
        }
        if (r.Name.Length > Limits.NameLength)
        {
            throw OperationException.Invalid("name", $"'name' is limited to {Limits.NameLength} characters.");
        }
        if (r.Description is { Length: > MaxRewardDescription })
        {
            throw OperationException.Invalid("description", $"'description' is limited to {MaxRewardDescription} characters.");
        }
        if (r.Type.Length == 0)
        {
            throw OperationException.Missing("type");
        }
        if (!RewardTypes.All.Contains(r.Type))
        {
            throw OperationException.Invalid("type", $"'type' must be one of: {string.Join(", ", RewardTypes.All)}.");
        }
    }

    private static void ValidatePrice(RewardDto r)
    {
        if (r.PointsCost is null && r.Variable is null)
        {
            throw OperationException.Missing("points_cost");
        }
        if (r.PointsCost is < 0 or > MaxPoints)
        {
            throw OperationException.Invalid("points_cost", $"'points_cost' must be from 0 to {MaxPoints}.");
        }
        if (r.Variable is not { } v)
        {
            return;
        }
        if (r.Type is not (RewardTypes.AmountDiscount or RewardTypes.StoreCredit or RewardTypes.Custom))
        {
            throw OperationException.Invalid("variable", "Only amount_discount, store_credit and custom rewards can be variable.");
        }
        if (v.PointsPerUnit is < 1 or > MaxPoints)
        {
            throw OperationException.Invalid("variable.points_per_unit", "'variable.points_per_unit' (points per 1.00 of value) must be at least 1.");
        }
        if (v.MinPoints < 1 || v.MaxPoints < v.MinPoints || v.MaxPoints > MaxPoints)
        {
            throw OperationException.Invalid("variable.max_points",
                "'variable.min_points' must be at least 1 and 'variable.max_points' at least 'min_points'.");
        }
    }

    private static void ValidateValue(RewardDto r)
    {
        if (r.Variable is null && r.Type is RewardTypes.AmountDiscount or RewardTypes.StoreCredit && r.Value is not > 0)
        {
            throw r.Value is null ? OperationException.Missing("value") : OperationException.Invalid("value", "'value' must be more than 0.");
        }
        if (r.Type == RewardTypes.PercentageDiscount && r.Value is not (> 0 and <= 100))
        {
            throw r.Value is null ? OperationException.Missing("value")
                : OperationException.Invalid("value", "'value' is a percentage: more than 0, at most 100.");
        }
        if (r.Value is < 0 or > MaxValue)
        {
            throw OperationException.Invalid("value", $"'value' must be from 0 to {MaxValue}.");
        }
        if (r.Value is { } value)
        {
            Money.ExactE4(value, "value");
        }
    }

    private static void ValidateOptions(RewardDto r)
    {
        if (r.ProductId is { Length: > Limits.IdLength })
        {
            throw OperationException.Invalid("product_id", $"'product_id' is limited to {Limits.IdLength} characters.");
        }
        if (r.LimitPerCustomer is < 1 or > MaxLimitPerCustomer)
        {
            throw OperationException.Invalid("limit_per_customer", $"'limit_per_customer' must be from 1 to {MaxLimitPerCustomer}.");
        }
        if (r.ExpiresInDays is < 1 or > MaxExpiresInDays)
        {
            throw OperationException.Invalid("expires_in_days", $"'expires_in_days' must be from 1 to {MaxExpiresInDays}.");
        }
        if (r.CodeSource is not (RewardTypes.Generated or RewardTypes.Pool))
        {
            throw OperationException.Invalid("code_source", "'code_source' must be 'generated' or 'pool'.");
        }
        if (r.CodePrefix is { } prefix && (prefix.Length > MaxCodePrefixLength || !prefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw OperationException.Invalid("code_prefix", $"'code_prefix' must be up to {MaxCodePrefixLength} letters, digits, '-' or '_'.");
        }
    }
}
