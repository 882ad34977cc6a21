using System.Data.Common;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>Reward types, code sources and apply modes (docs/API.md, Rewards).</summary>
public static class RewardTypes
{
    public const string AmountDiscount = "amount_discount";
    public const string PercentageDiscount = "percentage_discount";
    public const string FreeShipping = "free_shipping";
    public const string FreeProduct = "free_product";
    public const string StoreCredit = "store_credit";
    public const string Custom = "custom";

    public static readonly string[] All = [AmountDiscount, PercentageDiscount, FreeShipping, FreeProduct, StoreCredit, Custom];

    public const string Generated = "generated";
    public const string Pool = "pool";

    /// <summary>How the merchant applies what was redeemed: a discount code at checkout, or credit on the account.</summary>
    public static string ApplyMode(string type) => type == StoreCredit ? "store_credit" : "code";
}

/// <summary>Pay-what-you-want pricing: <c>points_per_unit</c> points buy 1.00 of value, between the bounds.</summary>
public sealed record VariablePricing(long PointsPerUnit, long MinPoints, long MaxPoints);

public sealed record RewardDto(
    string Id, string Name, string? Description, string Type, decimal? Value, string? ProductId, long? PointsCost,
    VariablePricing? Variable, string? MinTier, int? LimitPerCustomer, int? ExpiresInDays, string CodeSource,
    string? CodePrefix, bool Enabled, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "reward";

    /// <summary><see cref="Value"/> under Loyalino's name: the money off, the percentage, or the credit.</summary>
    public decimal? DiscountValue => Value;
}

/// <summary>Reward rows. Every query names the program: another program's reward is simply not found.</summary>
public static class Rewards
{
    public const string Columns =
        "id, name, description, type, value_e4, product_id, points_cost, points_per_unit, min_points, max_points, " +
        "min_tier, limit_per_customer, expires_in_days, code_source, code_prefix, enabled, created_at, updated_at";

    public static RewardDto Map(DbDataReader r) => new(
        Id: r.GetString(0),
        Name: r.GetString(1),
        Description: r.StringOrNull(2),
        Type: r.GetString(3),
        Value: r.Int64OrNull(4) is { } v ? Money.FromE4(v) : null,
        ProductId: r.StringOrNull(5),
        PointsCost: r.Int64OrNull(6),
        Variable: r.Int64OrNull(7) is { } ppu ? new VariablePricing(ppu, r.GetInt64(8), r.GetInt64(9)) : null,
        MinTier: r.StringOrNull(10),
        LimitPerCustomer: r.Int64OrNull(11) is { } l ? (int)l : null,
        ExpiresInDays: r.Int64OrNull(12) is { } d ? (int)d : null,
        CodeSource: r.GetString(13),
        CodePrefix: r.StringOrNull(14),
        Enabled: r.GetBoolean(15),
        CreatedAt: Time.FromMs(r.GetInt64(16)),
        UpdatedAt: Time.FromMs(r.GetInt64(17)));

    public static Task<RewardDto?> FindAsync(Sql sql, string programId, string id) =>
        sql.SingleAsync($"SELECT {Columns} FROM rewards WHERE program_id = @p AND id = @id AND deleted_at IS NULL",
            Map, ("p", programId), ("id", id));

    public static async Task<RewardDto> GetAsync(Sql sql, string programId, string id) =>
        await FindAsync(sql, programId, id) ?? throw OperationException.NotFound("reward", id);

    public static Task InsertAsync(WriteContext context, string programId, RewardDto r) =>
        context.Sql.ExecuteAsync(
            $"""
            INSERT INTO rewards (program_id, {Columns})
            VALUES (@p, @id, @name, @d, @type, @v, @prod, @cost, @ppu, @minp, @maxp, @tier, @lim, @exp, @src, @prefix, @en, @at, @at)
            """,
            [("p", programId), .. Args(r), ("at", context.NowMs)]);

    public static Task UpdateAsync(WriteContext context, string programId, RewardDto r) =>
        context.Sql.ExecuteAsync(
            """
            UPDATE rewards SET name = @name, description = @d, type = @type, value_e4 = @v, product_id = @prod,
                points_cost = @cost, points_per_unit = @ppu, min_points = @minp, max_points = @maxp, min_tier = @tier,
                limit_per_customer = @lim, expires_in_days = @exp, code_source = @src, code_prefix = @prefix,
                enabled = @en, updated_at = @at
            WHERE program_id = @p AND id = @id AND deleted_at IS NULL
            """,
            [("p", programId), .. Args(r), ("at", context.NowMs)]);

    private static (string, object?)[] Args(RewardDto r) =>
    [
        ("id", r.Id), ("name", r.Name), ("d", r.Description), ("type", r.Type),
        ("v", r.Value is { } v ? Money.ToE4(v) : null), ("prod", r.ProductId), ("cost", r.PointsCost),
        ("ppu", r.Variable?.PointsPerUnit), ("minp", r.Variable?.MinPoints), ("maxp", r.Variable?.MaxPoints),
        ("tier", r.MinTier), ("lim", r.LimitPerCustomer), ("exp", r.ExpiresInDays), ("src", r.CodeSource),
        ("prefix", r.CodePrefix), ("en", r.Enabled),
    ];

    /// <summary>The fewest points an enabled reward can be redeemed for: its fixed cost, or a variable reward's minimum.</summary>
    private const string LeastPoints = "COALESCE(points_cost, min_points)";

    /// <summary>
    /// The program's cheapest enabled reward (fewest points to redeem it; the oldest among equals), or
    /// null when no reward is enabled. Tier requirements and per-customer limits are not considered here.
    /// </summary>
    public static Task<RewardDto?> CheapestEnabledAsync(Sql sql, string programId) =>
        sql.SingleAsync(
            $"SELECT {Columns} FROM rewards WHERE program_id = @p AND deleted_at IS NULL AND enabled = @on ORDER BY {LeastPoints}, id LIMIT 1",
            Map, ("p", programId), ("on", true));

    /// <summary>
    /// The enabled reward that costs exactly <paramref name="points"/>: a fixed-price reward of that cost,
    /// else a variable reward whose bounds hold it (the cheapest, then the oldest, first).
    /// </summary>
    public static Task<RewardDto?> EnabledForPointsAsync(Sql sql, string programId, long points) =>
        sql.SingleAsync(
            $"""
            SELECT {Columns} FROM rewards
            WHERE program_id = @p AND deleted_at IS NULL AND enabled = @on
              AND (points_cost = @pts OR (points_cost IS NULL AND min_points <= @pts AND max_points >= @pts))
            ORDER BY CASE WHEN points_cost = @pts THEN 0 ELSE 1 END, {LeastPoints}, id LIMIT 1
            """,
            Map, ("p", programId), ("on", true), ("pts", points));

    /// <summary>
    /// Whether a customer's tier reaches <paramref name="minTierId"/>: the same tier, or one whose
    /// thresholds (lifetime points and spend) are both at least the minimum tier's.
    /// </summary>
    public static async Task<bool> TierReachesAsync(Sql sql, string programId, string customerId, string minTierId)
    {
        var reached = await sql.ScalarAsync(
            """
            SELECT 1 FROM customers c
            JOIN vip_tiers mine ON mine.id = c.vip_tier_id AND mine.deleted_at IS NULL
            JOIN vip_tiers need ON need.id = @tier AND need.program_id = @p
            WHERE c.id = @c AND c.program_id = @p
              AND (mine.id = need.id OR (COALESCE(mine.points_required, 0) >= COALESCE(need.points_required, 0)
                   AND COALESCE(mine.spend_required_e4, 0) >= COALESCE(need.spend_required_e4, 0)))
            """,
            ("tier", minTierId), ("p", programId), ("c", customerId));
        return reached is not null;
    }
}
