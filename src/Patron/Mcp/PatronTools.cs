using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Patron.Api;
using Patron.Domain;
using Patron.Operations.Orders;
using Patron.Operations.Points;
using Patron.Operations.RewardsAndRedemptions;
using Patron.Security;
using Patron.Storage;

namespace Patron.Mcp;

/// <summary>
/// The tools an AI assistant may call (docs/MCP.md). Each one translates its arguments into the core's
/// operations, in the calling key's program: reads through <see cref="Database.ReadAsync{T}"/>, writes through
/// the one write path with the same rules, bounds and idempotency as the native API. Answers are JSON in the
/// API's shapes (snake_case); a failure is a tool error whose text starts with the API's error code.
/// A read key sees every tool but may call only the read ones: a write tool answers <c>insufficient_scope</c>.
/// </summary>
[McpServerToolType]
public sealed class PatronTools(IMcpCaller callers, Database database, IWritePath writes, StoredAnswers answers, TimeProvider clock)
{
    public const int MaxHistory = 100;
    public const int MaxReasonLength = 500;

    /// <summary>Tool answers: the native API's JSON conventions.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    public static void Configure(McpServerOptions o)
    {
        o.ServerInfo = new Implementation { Name = "patron", Title = "Patron loyalty", Version = typeof(PatronTools).Assembly.GetName().Version?.ToString(3) ?? "1.0.0" };
        o.ServerInstructions =
            "Patron is a loyalty program. Find a customer first (find_customer accepts an id, email, phone, external id, " +
            "referral code or QR value), then read their balance and history or change their points. Points are whole numbers. " +
            "Pass an idempotency_key on writes when you may retry: a repeated call with the same key changes nothing again.";
    }

    [McpServerTool(Name = "find_customer", Title = "Find a customer", ReadOnly = true, Destructive = false, OpenWorld = false)]
    [Description("Finds one customer of the program by any identifier and returns their record (id, contact details, status, points balance, tier).")]
    public Task<string> FindCustomer(
        [Description("Any identifier of the customer: Patron id (cus_...), email, phone, the shop's external id, referral code or QR code value.")]
        string identifier) =>
        Run(async caller => await database.ReadAsync(sql => RequireCustomerAsync(sql, caller.ProgramId, identifier)));

    [McpServerTool(Name = "get_balance_and_history", Title = "Balance and history", ReadOnly = true, Destructive = false, OpenWorld = false)]
    [Description("Shows a customer's points (available, pending, lifetime, spent, expired), VIP tier and most recent points ledger entries, newest first.")]
    public Task<string> GetBalanceAndHistory(
        [Description("Any identifier of the customer, as for find_customer.")] string customer,
        [Description("How many recent ledger entries to show, 1 to 100 (default 10).")] int limit = 10) =>
        Run(async caller =>
        {
            if (limit is < 1 or > MaxHistory)
            {
                throw OperationException.Invalid("limit", $"'limit' must be from 1 to {MaxHistory}.");
            }
            return await database.ReadAsync(async sql =>
            {
                var found = await RequireCustomerAsync(sql, caller.ProgramId, customer);
                var history = await Customers.RecentEntriesAsync(sql, caller.ProgramId, found.Id, limit);
                return new BalanceAndHistory(found.Id, Name(found), found.Status, found.PointsBalance, found.PendingPoints,
                    found.LifetimePoints, found.PointsSpent, found.PointsExpired, found.VipTier, history);
            });
        });

    [McpServerTool(Name = "award_points", Title = "Award points", ReadOnly = false, Destructive = false, Idempotent = false, OpenWorld = false)]
    [Description("Credits points to a customer, with the reason shown in their history (a ledger entry of type 'earned'). Needs a write key. A blocked customer earns nothing.")]
    public Task<string> AwardPoints(
        [Description("Any identifier of the customer, as for find_customer.")] string customer,
        [Description("How many points to credit: a whole number from 1 to 1000000000000.")] long points,
        [Description("Why the points are credited, shown in the customer's history (1 to 500 characters).")] string reason,
        [Description("Optional. Any unique string (e.g. a UUID) for this award: repeating the call with the same key credits once and returns the first answer.")]
        string? idempotencyKey = null) =>
        PostPointsAsync("award_points", customer, points, reason, idempotencyKey, PointsTypes.Earned);

    [McpServerTool(Name = "deduct_points", Title = "Deduct points", ReadOnly = false, Destructive = true, Idempotent = false, OpenWorld = false)]
    [Description("Takes points from a customer's available balance, with the reason shown in their history (a ledger entry of type 'adjusted'). Needs a write key. Refused with insufficient_points if the balance is lower.")]
    public Task<string> DeductPoints(
        [Description("Any identifier of the customer, as for find_customer.")] string customer,
        [Description("How many points to take away: a whole, positive number up to 1000000000000.")] long points,
        [Description("Why the points are taken, shown in the customer's history (1 to 500 characters).")] string reason,
        [Description("Optional. Any unique string (e.g. a UUID) for this deduction: repeating the call with the same key deducts once and returns the first answer.")]
        string? idempotencyKey = null) =>
        PostPointsAsync("deduct_points", customer, points, reason, idempotencyKey, PointsTypes.Adjusted);

    [McpServerTool(Name = "list_rewards", Title = "List rewards", ReadOnly = true, Destructive = false, OpenWorld = false)]
    [Description("Lists the program's enabled rewards with their id, name, type, value and points cost, cheapest first: the rewards issue_reward can give.")]
    public Task<string> ListRewards() =>
        Run(async caller => await database.ReadAsync(sql => sql.ListAsync(
            $"SELECT {Rewards.Columns} FROM rewards WHERE program_id = @p AND deleted_at IS NULL AND enabled = @on ORDER BY COALESCE(points_cost, min_points), id",
            Rewards.Map, ("p", caller.ProgramId), ("on", true))));

    [McpServerTool(Name = "issue_reward", Title = "Issue a reward", ReadOnly = false, Destructive = false, Idempotent = false, OpenWorld = false)]
    [Description("Redeems a reward for a customer: deducts its points and issues its discount code in one step, as POST /customers/{reference}/redemptions does. Needs a write key.")]
    public Task<string> IssueReward(
        [Description("Any identifier of the customer, as for find_customer.")] string customer,
        [Description("The reward's id (rew_...), from list_rewards.")] string rewardId,
        [Description("Only for a reward priced per point (variable): how many points to spend, within its minimum and maximum.")]
        long? pointsToRedeem = null,
        [Description("Optional. Any unique string (e.g. a UUID) for this redemption: repeating the call with the same key redeems once and returns the first answer.")]
        string? idempotencyKey = null) =>
        Run(async caller =>
        {
            RequireWrite(caller, "issue_reward");
            var request = new RedemptionRequest(rewardId, pointsToRedeem);
            var reward = CheckRedemption(request);
            var hash = IdempotentWrite.RequestHash("mcp issue_reward", JsonSerializer.Serialize(new object?[] { customer, reward, pointsToRedeem }));
            return await WriteAsync(caller, idempotencyKey, hash, async context =>
            {
                var id = (await RequireCustomerAsync(context.Sql, caller.ProgramId, customer)).Id;
                return await RedemptionOperations.RedeemAsync(context, Actor.ApiKey(caller.KeyId), caller.ProgramId, id, request);
            });
        });

    [McpServerTool(Name = "get_order", Title = "Look up an order", ReadOnly = true, Destructive = false, OpenWorld = false)]
    [Description("Looks up one order by the id the shop gave it: its customer, status, total, items and the points it earned, credited or holds pending.")]
    public Task<string> GetOrder([Description("The order's id, as the shop sent it to Patron.")] string orderId) =>
        Run(async caller =>
        {
            var id = string.IsNullOrWhiteSpace(orderId) ? throw OperationException.Missing("order_id") : orderId.Trim();
            return await database.ReadAsync(sql => OrderOperations.GetAsync(sql, caller.ProgramId, id));
        });

    [McpServerTool(Name = "program_summary", Title = "Program summary", ReadOnly = true, Destructive = false, OpenWorld = false)]
    [Description("Summarises the program: members (active and blocked), points outstanding and pending with their money value, and over the last N days the new members, points earned and redemptions (count, points and value).")]
    public Task<string> ProgramSummaryTool(
        [Description("The period in UTC calendar days, today included: 1 to 365 (default 30).")] int days = AnalyticsWindow.DefaultDays) =>
        Run(async caller =>
        {
            if (days is < 1 or > AnalyticsWindow.MaxDays)
            {
                throw OperationException.Invalid("days", $"'days' must be a whole number from 1 to {AnalyticsWindow.MaxDays}.");
            }
            var window = AnalyticsWindow.Of(days, clock.GetUtcNow());
            return await database.ReadAsync(sql => ProgramSummary.ReadAsync(sql, caller.ProgramId, window));
        });

    private Task<string> PostPointsAsync(string tool, string customer, long points, string reason, string? idempotencyKey, string type) =>
        Run(async caller =>
        {
            RequireWrite(caller, tool);
            if (points is < 1 or > LedgerRules.MaxPointsPerEntry)
            {
                throw OperationException.Invalid("points", $"'points' must be a whole number from 1 to {LedgerRules.MaxPointsPerEntry}.");
            }
            var why = string.IsNullOrWhiteSpace(reason) ? throw OperationException.Missing("reason") : reason.Trim();
            if (why.Length > MaxReasonLength)
            {
                throw OperationException.Invalid("reason", $"'reason' is limited to {MaxReasonLength} characters.");
            }
            var delta = type == PointsTypes.Earned ? points : -points;
            var hash = IdempotentWrite.RequestHash("mcp " + tool, JsonSerializer.Serialize(new object[] { customer, points, why }));
            return await WriteAsync(caller, idempotencyKey, hash, async context =>
            {
                var found = await RequireCustomerAsync(context.Sql, caller.ProgramId, customer);
                // The native ledger's operation: a blocked customer earns nothing, an adjustment is audited.
                var posted = await PointsOperations.PostAsync(context, caller.Actor, caller.ProgramId, Customers.TargetOf(found), new PointsPost(delta, type, why));
                return posted.Transaction;
            });
        });

    private async Task<string> WriteAsync<T>(Caller caller, string? idempotencyKey, string requestHash, Func<WriteContext, Task<T>> operation)
    {
        var (answer, _) = await IdempotentWrite.RunAsync(writes, answers, caller.ProgramId, idempotencyKey, requestHash,
            async context => JsonSerializer.SerializeToUtf8Bytes(await operation(context), JsonOptions));
        return System.Text.Encoding.UTF8.GetString(answer);
    }

    /// <summary>Runs a tool as the calling key; the core's refusals become tool errors that name their code.</summary>
    private async Task<string> Run<T>(Func<Caller, Task<T>> tool)
    {
        try
        {
            var result = await tool(callers.Current);
            return result as string ?? JsonSerializer.Serialize(result, JsonOptions);
        }
        catch (OperationException e)
        {
            throw new McpException(e.Param is { } param ? $"{e.Code} ({param}): {e.Message}" : $"{e.Code}: {e.Message}");
        }
    }

    /// <summary>The core's check of a redemption (the reward id it names), in this tool's words for <c>points_to_redeem</c>.</summary>
    private static string CheckRedemption(RedemptionRequest request)
    {
        try
        {
            return RedemptionOperations.Validate(request);
        }
        catch (OperationException e) when (e is { Kind: ErrorKind.Invalid, Param: "points_to_redeem" })
        {
            throw OperationException.Invalid("points_to_redeem",
                $"'points_to_redeem' must be a positive number of points, at most {Limits.MaxRewardCost}.");
        }
    }

    private static void RequireWrite(Caller caller, string tool)
    {
        if (caller.Scope < Scope.Write)
        {
            throw OperationException.Forbidden("insufficient_scope", $"This API key is read-only: {tool} needs a key with the write scope.");
        }
    }

    /// <summary>
    /// A live customer of the program by any identifier: what the native API accepts as a reference (id, external id,
    /// email, phone, QR value), then the referral code. Another program's customer is not found.
    /// </summary>
    public static async Task<CustomerDto> RequireCustomerAsync(Sql sql, string programId, string identifier)
    {
        var reference = string.IsNullOrWhiteSpace(identifier) ? throw OperationException.Missing("customer") : identifier.Trim();
        if (reference.Length > Limits.IdLength)
        {
            throw OperationException.NotFound("customer", reference[..Limits.IdLength] + "...");
        }
        return await Customers.FindAsync(sql, programId, reference)
            ?? await Customers.ByColumnAsync(sql, programId, "referral_code", reference.ToUpperInvariant())
            ?? throw OperationException.NotFound("customer", reference);
    }

    private static string? Name(CustomerDto c) =>
        string.Join(' ', new[] { c.FirstName, c.LastName }.Where(s => !string.IsNullOrEmpty(s))) is { Length: > 0 } name ? name : null;

    private sealed record BalanceAndHistory(
        string CustomerId, string? Name, string Status, long PointsBalance, long PendingPoints, long LifetimePoints,
        long PointsSpent, long PointsExpired, string? VipTier, List<PointsTransactionDto> History);
}
