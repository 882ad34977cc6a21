using Patron.Domain;

namespace Patron.Storage;

/// <summary>VIP tiers as the earning code needs them (SPEC section 3, VIP tiers).</summary>
public static class Tiers
{
    /// <summary>The earning multiplier of a tier; 1 without a tier.</summary>
    public static async Task<decimal> MultiplierAsync(Sql sql, string? tierId)
    {
        if (tierId is null)
        {
            return 1m;
        }
        var e4 = await sql.ScalarAsync("SELECT multiplier_e4 FROM vip_tiers WHERE id = @id", ("id", tierId));
        return e4 is null ? 1m : Money.FromE4(Convert.ToInt64(e4));
    }
}
