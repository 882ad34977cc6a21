using Patron.Storage;

namespace Patron.Operations.RewardsAndRedemptions;

/// <summary>Reads of the program's rewards for the dashboard's screens (the till, settings, the reward editor).</summary>
public static class RewardQueries
{
    /// <summary>The enabled rewards, cheapest first (at most 100).</summary>
    public static Task<List<RewardDto>> EnabledAsync(Database db, string programId) =>
        db.ReadAsync(sql => sql.ListAsync(
            $"SELECT {Rewards.Columns} FROM rewards WHERE program_id = @p AND deleted_at IS NULL AND enabled = @on ORDER BY COALESCE(points_cost, min_points), id LIMIT 100",
            Rewards.Map, ("p", programId), ("on", true)));

    /// <summary>The fewest points that redeem an enabled reward (a fixed cost or a variable minimum), or null when none is enabled.</summary>
    public static Task<long?> FirstThresholdAsync(Database db, string programId) =>
        db.ReadAsync(async sql => await Rewards.CheapestEnabledAsync(sql, programId) is { } cheapest
            ? cheapest.PointsCost ?? cheapest.Variable?.MinPoints
            : null);

    /// <summary>A reward of the program (deleted ones are not found), or null.</summary>
    public static Task<RewardDto?> FindAsync(Database db, string programId, string id) =>
        db.ReadAsync(sql => Rewards.FindAsync(sql, programId, id));

    /// <summary>A reward of the program; not found otherwise.</summary>
    public static Task<RewardDto> GetAsync(Database db, string programId, string id) =>
        db.ReadAsync(sql => Rewards.GetAsync(sql, programId, id));
}
