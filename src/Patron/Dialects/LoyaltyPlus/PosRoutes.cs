using Patron.Api;
using Patron.Domain;
using Patron.Operations.Orders;
using Patron.Storage;

namespace Patron.Dialects.LoyaltyPlus;

/// <summary>
/// Loyalty+'s till routes: check-in (a paid order, priced by the program's earn mode), look-up, balance
/// and redeem (a core redemption of the reward that costs the points asked, or a plain deduction when
/// the program has no enabled reward). docs/migrate/loyaltyplus.md describes each choice.
/// </summary>
public static class PosRoutes
{
    /// <summary>A store id is recorded in the check-in's order id, so it is kept short and plain.</summary>
    private const int MaxStoreIdLength = 100;

    public static void Map(RouteGroupBuilder pos)
    {
        pos.MapPost("/checkin", CheckinAsync).WithSummary("Award points to a customer for a visit (amount in spend mode, units in unit mode)")
            .Accepts<CheckinRequest>("application/json").Produces<CheckinResponse>();
        pos.MapGet("/customer/{identifier}", CustomerAsync).WithSummary("Look up a customer by phone or id")
            .Produces<PosCustomerResponse>();
        pos.MapGet("/balance/{identifier}", BalanceAsync).WithSummary("Quick balance check by phone or id")
            .Produces<BalanceResponse>();
        pos.MapPost("/redeem", RedeemAsync).WithSummary("Redeem points for the reward that costs them")
            .Accepts<RedeemRequest>("application/json").Produces<RedeemResponse>();
    }

    private static async Task<IResult> CheckinAsync(HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<CheckinRequest>();
        RequireIdentity(input.Phone, input.CustomerId);
        // The order's own checks of its total (Loyalty+'s amount) and units, before the customer is looked up.
        CoreChecks.Run(() => OrderOperations.Validate(null, new OrderInput { Total = input.Amount, Units = input.Units }, creating: false),
            ("total", "amount"));
        var storeId = input.StoreId?.Trim();
        if (storeId is not null && (storeId.Length is 0 or > MaxStoreIdLength || !storeId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
        {
            throw ApiException.Invalid("storeId", $"'storeId' must be 1 to {MaxStoreIdLength} letters, digits, '_' or '-'.");
        }
        // The visit is an order of the merchant's: it earns as the program's earn mode says, and shows in
        // GET /api/v1/orders and in the ledger (described "Order lp-checkin-..., store <storeId>").
        var orderId = Ids.New("lp-checkin-") + (storeId is null ? "" : "-store-" + storeId);

        return await writes.RunAsync(http, caller, async context =>
        {
            var sql = context.Sql;
            var customer = await FindAsync(sql, caller.ProgramId, input.Phone, input.CustomerId);
            Customers.EnsureNotBlocked(customer);
            var settings = await OrderSettings.ReadAsync(sql, caller.ProgramId);
            switch (settings.EarnMode)
            {
                case EarnModes.Spend when input.Amount is null:
                    throw ApiException.Missing("amount");
                case EarnModes.Units when input.Units is null:
                    throw ApiException.Missing("units");
                case EarnModes.Stamps:
                    throw ApiException.Unprocessable("earn_mode_not_supported",
                        "This program earns stamps, not points; use the native stamps API (POST /api/v1/customers/{id}/stamps).");
            }
            var (order, _) = await OrderOperations.UpsertAsync(context, caller.ProgramId, caller.KeyId, orderId, new OrderInput
            {
                CustomerId = customer.Id,
                Total = input.Amount ?? 0m,
                Units = input.Units ?? 0,
                Status = OrderStatus.Paid,
            });
            var after = await Customers.ByIdAsync(sql, caller.ProgramId, customer.Id)
                ?? throw OperationException.NotFound("customer", customer.Id);
            var threshold = await ThresholdAsync(sql, caller.ProgramId);
            return Reply.Ok(new CheckinResponse(true, customer.Id, order.PointsEarned, after.PointsBalance, threshold,
                RewardAvailable(after.PointsBalance, threshold)));
        });
    }

    private static async Task<IResult> CustomerAsync(string identifier, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var customer = await Customers.GetAsync(sql, caller.ProgramId, identifier);
            var threshold = await ThresholdAsync(sql, caller.ProgramId);
            return new PosCustomerResponse(customer.Id, LoyaltyPlusNames.Of(customer), customer.Phone,
                LoyaltyPlusNames.Status(customer.Status), customer.PointsBalance, RewardAvailable(customer.PointsBalance, threshold));
        }));

    private static async Task<IResult> BalanceAsync(string identifier, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var customer = await Customers.GetAsync(sql, caller.ProgramId, identifier);
            return new BalanceResponse(customer.Id, customer.PointsBalance);
        }));

    private static async Task<IResult> RedeemAsync(HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<RedeemRequest>();
        RequireIdentity(input.Phone, input.CustomerId);
        var points = input.Points ?? throw ApiException.Missing("points");
        if (points is < 1 or > LedgerRules.MaxPointsPerEntry)
        {
            throw ApiException.Invalid("points", $"'points' must be a whole number from 1 to {LedgerRules.MaxPointsPerEntry}.");
        }

        return await writes.RunAsync(http, caller, async context =>
        {
            var sql = context.Sql;
            var customer = await FindAsync(sql, caller.ProgramId, input.Phone, input.CustomerId);
            Customers.EnsureNotBlocked(customer);
            if (await Rewards.EnabledForPointsAsync(sql, caller.ProgramId, points) is { } reward)
            {
                var redemption = await Redemptions.RedeemAsync(context, caller.ProgramId, customer.Id, reward.Id,
                    reward.Variable is null ? null : points, caller.KeyId);
                return Reply.Ok(new RedeemResponse(true, redemption.Id, redemption.PointsSpent, reward.Name, redemption.RemainingBalance));
            }
            if (await Rewards.CheapestEnabledAsync(sql, caller.ProgramId) is { } cheapest)
            {
                throw ApiException.Unprocessable("no_reward_for_points",
                    $"No enabled reward costs {points} points; the cheapest, '{cheapest.Name}', costs {Cost(cheapest)}.", "points");
            }
            // No enabled reward at all: the till's redemption is a plain deduction, recorded as 'redeemed'.
            var posted = await Ledger.PostAsync(context, new Ledger.Entry(caller.ProgramId, customer.Id, -points,
                PointsTypes.Redeemed, "Redeemed at the till (Loyalty+)", null, caller.KeyId));
            return Reply.Ok(new RedeemResponse(true, posted.Transaction.Id, points, null, posted.Transaction.BalanceAfter));
        });
    }

    private static void RequireIdentity(string? phone, string? customerId)
    {
        if (string.IsNullOrWhiteSpace(phone) && string.IsNullOrWhiteSpace(customerId))
        {
            throw ApiException.Missing("phone or customerId");
        }
    }

    /// <summary>The customer named by <c>customerId</c> (any reference the native API takes), else by <c>phone</c>.</summary>
    private static async Task<CustomerDto> FindAsync(Sql sql, string programId, string? phone, string? customerId)
    {
        if (!string.IsNullOrWhiteSpace(customerId))
        {
            return await Customers.GetAsync(sql, programId, customerId.Trim());
        }
        var normalized = Contact.NormalizePhone(phone)
            ?? throw ApiException.Invalid("phone", "'phone' must be an international number such as +353123456789.");
        return await Customers.ByColumnAsync(sql, programId, "phone", normalized)
            ?? throw OperationException.NotFound("customer", phone!);
    }

    /// <summary>The points of the cheapest enabled reward; null when the program has none.</summary>
    private static async Task<long?> ThresholdAsync(Sql sql, string programId) =>
        await Rewards.CheapestEnabledAsync(sql, programId) is { } reward ? Cost(reward) : null;

    private static long Cost(RewardDto reward) => reward.PointsCost ?? reward.Variable?.MinPoints ?? 0;

    private static bool RewardAvailable(long balance, long? threshold) => threshold is { } t && balance >= t;
}
