using System.Text.Json;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Stamps;

public sealed record StampsDto(
    string Id, string CustomerId, int StampsAdded, long CurrentStamps, int StampsRequired, bool RewardEarned,
    List<RedemptionDto> Rewards, string? Reference, DateTimeOffset CreatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "stamps";
}

/// <summary>
/// Stamp cards (docs/API.md, Stamps): stamps add up on the customer; every <c>stamps_required</c>
/// of them become one redemption of the program's <c>stamp_reward_id</c> (no points spent), and the
/// remainder stays on the card. A request's <c>reference</c> is unique per customer.
/// </summary>
public static class StampOperations
{
    public const int MaxPerRequest = Limits.MaxStampsPerRequest;
    private const int MaxRewardsPerRequest = 100;

    public sealed record Result(object Body, bool Created);

    /// <summary>The longest <c>reference</c> of a stamp request, in characters.</summary>
    public const int MaxReferenceLength = 255;

    /// <summary>What a stamp request is refused for before the write: the count of stamps and the reference.</summary>
    public static int Validate(int? stamps, string? reference)
    {
        var count = stamps ?? throw OperationException.Missing("stamps");
        if (count is < 1 or > MaxPerRequest)
        {
            throw OperationException.Invalid("stamps", $"'stamps' must be from 1 to {MaxPerRequest}.");
        }
        if (reference is { } r && (r.Length == 0 || r.Length > MaxReferenceLength))
        {
            throw OperationException.Invalid("reference", $"'reference' must be 1 to {MaxReferenceLength} characters.");
        }
        return count;
    }

    /// <summary>The program's stamp card: stamps for one reward, and the reward a full card issues (if any).</summary>
    public static async Task<(int Required, string? RewardId)> CardAsync(Sql sql, string programId) =>
        (await sql.ListAsync("SELECT stamps_required, stamp_reward_id FROM programs WHERE id = @p",
            r => ((int)r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1)), ("p", programId)))[0];

    /// <summary>Every stamp each customer has ever collected (the card's resets do not take any away).</summary>
    public static async Task<Dictionary<string, long>> LifetimeAsync(Sql sql, string programId, IReadOnlyCollection<string> customerIds)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        if (customerIds.Count == 0)
        {
            return result;
        }
        var args = new List<(string, object?)> { ("p", programId) };
        var names = customerIds.Select((id, i) => { args.Add(($"c{i}", id)); return $"@c{i}"; });
        var rows = await sql.ListAsync(
            $"SELECT customer_id, SUM(stamps) FROM stamp_events WHERE program_id = @p AND customer_id IN ({string.Join(", ", names)}) GROUP BY customer_id",
            r => (r.GetString(0), Convert.ToInt64(r.GetValue(1))), [.. args]);
        foreach (var (id, total) in rows)
        {
            result[id] = total;
        }
        return result;
    }

    public static async Task<Result> AddAsync(
        WriteContext context, string programId, string customerReference, int stamps, string? reference, string createdBy)
    {
        var sql = context.Sql;
        var customer = await Customers.GetTargetAsync(sql, programId, customerReference);
        CustomerStatus.EnsureNotBlocked(customer.Status, "collect stamps");
        await Ledger.LockCustomerAsync(context, customer.Id);
        if (reference is not null)
        {
            var stored = await sql.ScalarAsync("SELECT response FROM stamp_events WHERE customer_id = @c AND reference = @r",
                ("c", customer.Id), ("r", reference));
            if (stored is string json)
            {
                using var doc = JsonDocument.Parse(json);
                return new Result(doc.RootElement.Clone(), false);
            }
        }

        var program = await CardAsync(sql, programId);
        var total = Convert.ToInt64(await sql.ScalarAsync(
            "UPDATE customers SET current_stamps = current_stamps + @s, updated_at = @now WHERE id = @c RETURNING current_stamps",
            ("s", stamps), ("now", context.NowMs), ("c", customer.Id)));

        // Without an enabled stamp reward the card keeps counting; rewards are issued once one is set.
        var reward = program.RewardId is { } rid ? await Storage.Rewards.FindAsync(sql, programId, rid) : null;
        var earned = reward is { Enabled: true } ? (int)Math.Min(total / program.Required, MaxRewardsPerRequest) : 0;
        var issued = new List<RedemptionDto>(earned);
        if (earned > 0)
        {
            total -= (long)earned * program.Required;
            await sql.ExecuteAsync("UPDATE customers SET current_stamps = @s WHERE id = @c", ("s", total), ("c", customer.Id));
            for (var i = 0; i < earned; i++)
            {
                var redemption = await Redemptions.IssueAsync(context, programId, customer.Id, reward!, Ids.New("red_"),
                    RedemptionSources.Stamps, 0, reward!.Value is { } v ? Money.ToE4(v) : null, customer.PointsBalance, null, createdBy);
                await Events.AddAsync(context, programId, Events.RewardEarned, redemption);
                issued.Add(redemption);
            }
        }

        var result = new StampsDto(Ids.New("stp_"), customer.Id, stamps, total, program.Required, earned > 0, issued, reference, context.Now);
        await sql.ExecuteAsync(
            """
            INSERT INTO stamp_events (id, program_id, customer_id, stamps, stamps_after, rewards_issued, reference, response, created_by, created_at)
            VALUES (@id, @p, @c, @s, @after, @n, @r, @resp, @by, @now)
            """,
            ("id", result.Id), ("p", programId), ("c", customer.Id), ("s", stamps), ("after", total), ("n", earned),
            ("r", Sql.Text(reference)), ("resp", JsonSerializer.Serialize(result, JsonFormat.Options)), ("by", createdBy), ("now", context.NowMs));
        await Events.AddAsync(context, programId, Events.StampAdded, result);
        return new Result(result, true);
    }
}
