using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Orders;

/// <summary>
/// The program's settings that an order's points depend on, read once per operation, with the version of its earn
/// rules (<see cref="EarnRules.EnabledAsync(WriteContext, string, long)"/>) read in the same statement.
/// </summary>
public sealed record OrderSettings(string Currency, string EarnMode, decimal PointsPerUnit, string Rounding, long PointsDelayDays, long EarnRulesVersion)
{
    public static async Task<OrderSettings> ReadAsync(Sql sql, string programId) =>
        (await sql.ListAsync(
            "SELECT currency, earn_mode, points_per_unit_e4, rounding, points_delay_days, earn_rules_version FROM programs WHERE id = @p",
            r => new OrderSettings(r.GetString(0), r.GetString(1), Money.FromE4(r.GetInt64(2)), r.GetString(3), Convert.ToInt64(r.GetValue(4)),
                r.GetInt64(5)),
            ("p", programId)))[0];

    public static Task<OrderSettings> ReadAsync(Database db, string programId) => db.ReadAsync(sql => ReadAsync(sql, programId));
}

/// <summary>
/// An order's points: priced once at its first payment with the multipliers in force then (program
/// rate or a <c>place_order</c> rule's rate for the tier, the tier's multiplier, running campaigns),
/// and re-priced at that same rate when a paid order's total or units change. Every change then ends
/// in <see cref="ReconcileAsync"/>: the points the order should hold are compared with what the ledger
/// holds for it, and only the difference is posted. That makes a full-state update safe to send again
/// and again, and makes refunds, cancellations and edits one arithmetic instead of a set of special cases.
/// </summary>
public static class OrderPricing
{
    /// <summary>The order with its points earned set, when <see cref="OrderLifecycle.NeedsPricing"/> says so.</summary>
    public static async Task<Order> PriceAsync(
        WriteContext context, string programId, OrderSettings settings, Customers.State customer, Order? before, Order after)
    {
        if (!OrderLifecycle.NeedsPricing(before, after))
        {
            return after;
        }
        if (after.EarnMode is null || after.EarnRate is null)
        {
            after = after with { EarnMode = settings.EarnMode, EarnRate = await RateAsync(context, programId, settings, customer) };
        }
        return after with { PointsEarned = OrderLifecycle.PointsAtRate(after, after.EarnMode!, after.EarnRate!.Value, settings.Rounding) };
    }

    /// <summary>
    /// The points a spend of <paramref name="total"/> (major unit) earns <paramref name="customer"/> now: the rate
    /// <see cref="PriceAsync"/> gives a paid order (program or <c>place_order</c> rule rate, tier and campaign
    /// multipliers), rounded as the program says. For front doors that award a sale without an order.
    /// </summary>
    public static async Task<long> PointsForSpendAsync(
        WriteContext context, string programId, OrderSettings settings, Customers.State customer, decimal total) =>
        Earning.Points(total, await RateAsync(context, programId, settings, customer), settings.Rounding);

    /// <summary>
    /// The order with <see cref="Order.PointsPlaced"/> set: while it is placed, what it would earn if it
    /// were paid now (the customer's pending points show it); 0 once it is paid or cancelled, when the
    /// ledger holds its points or it has none.
    /// </summary>
    public static async Task<Order> EstimatePlacedAsync(
        WriteContext context, string programId, OrderSettings settings, Customers.State customer, Order after)
    {
        if (after.Status != OrderStatus.Placed)
        {
            return after with { PointsPlaced = 0 };
        }
        var rate = await RateAsync(context, programId, settings, customer);
        return after with { PointsPlaced = OrderLifecycle.PointsAtRate(after, settings.EarnMode, rate, settings.Rounding) };
    }

    /// <summary>Points per unit with every multiplier in force now; zero for a customer who may not earn.</summary>
    private static async Task<decimal> RateAsync(WriteContext context, string programId, OrderSettings settings, Customers.State customer)
    {
        if (!customer.MayEarn)
        {
            return 0m;
        }
        var rules = await EarnRules.EnabledAsync(context, programId, settings.EarnRulesVersion);
        // A place_order rule may set its own rate for the customer's tier; otherwise the program's applies.
        var perUnit = EarnRules.PlaceOrderPointsPerUnit(rules, customer.TierId, context.NowMs) ?? settings.PointsPerUnit;
        var tier = await Tiers.MultiplierAsync(context.Sql, customer.TierId);
        var campaigns = EarnRulePolicy.CampaignMultipliers(rules, ActivityTypes.PlaceOrder, customer.TierId, context.NowMs);
        return perUnit * Limits.CombineMultipliers([tier, .. campaigns]);
    }

    /// <summary>
    /// Brings the ledger and <c>total_spent</c> in line with the order's new state (the caller has
    /// locked the customer), then evaluates the customer's tier once. Earned points are pending until
    /// paid_at + points_delay_days; taking points back takes pending ones first, at the same due time,
    /// and the rest from the balance, which may go below zero as recorded debt. Returns the points the
    /// ledger holds for the order afterwards, by status (<see cref="OrderStore.ToDto"/> shows them).
    /// </summary>
    /// <remarks>
    /// A new order (<paramref name="before"/> null) holds nothing yet: ledger entries name an order only once it
    /// exists, all through here, and orders are never deleted. So its ledger is not read.
    /// </remarks>
    public static async Task<List<OrderStore.Held>> ReconcileAsync(
        WriteContext context, string programId, OrderSettings settings, Order? before, Order after, string actor)
    {
        var sql = context.Sql;
        var spentDelta = after.SpentE4 - (before?.SpentE4 ?? 0);
        if (spentDelta != 0)
        {
            // total_spent is bounded (Limits.MaxTotalSpent) so that it and every sum over it stay in 64 bits.
            var moved = await sql.ExecuteAsync(
                "UPDATE customers SET total_spent_e4 = total_spent_e4 + @d, updated_at = @now WHERE id = @c AND (@d <= 0 OR total_spent_e4 <= @max - @d)",
                ("d", spentDelta), ("now", context.NowMs), ("c", after.CustomerId), ("max", Money.ToE4(Limits.MaxTotalSpent)));
            if (moved == 0)
            {
                throw OperationException.Unprocessable("spend_limit",
                    $"This change would take the customer's total_spent past {Limits.MaxTotalSpent}.", "total");
            }
        }

        var held = new List<OrderStore.Held>();
        if (before is not null)
        {
            // Pending entries of this order that are already due become available first, so that a
            // reversal below meets them where they belong.
            foreach (var id in await OrderStore.DuePendingAsync(sql, programId, after.Id, context.NowMs))
            {
                await Ledger.MatureAsync(context, id, after.CustomerId);
            }
            held.AddRange(await OrderStore.HeldPointsAsync(sql, programId, after.Id));
        }
        var pending = held.Find(h => h.Status == Ledger.Pending);
        var diff = OrderLifecycle.DesiredPoints(after) - held.Sum(h => h.Points);
        var description = $"Order {after.Id}";
        var lifetimeRose = false;
        // What the last balance update said about the customer's tier, for the evaluation below.
        Tiers.AfterBalance? balance = null;
        async Task PostAsync(long points, long? availableAtMs, bool evaluateTiers = true)
        {
            var posted = await Ledger.PostAsync(context, new Ledger.Entry(programId, after.CustomerId, points,
                points > 0 ? PointsTypes.Earned : PointsTypes.Reversed, description, null, actor, OrderId: after.Id,
                AvailableAtMs: availableAtMs, EvaluateTiers: evaluateTiers));
            held.Add(new OrderStore.Held(posted.Transaction.Status, points, null));
            balance = posted.Tier ?? balance;
        }

        if (diff > 0)
        {
            var availableAt = Time.FromMs(after.PaidAt ?? context.NowMs).AddDays(settings.PointsDelayDays).ToUnixTimeMilliseconds();
            await PostAsync(diff, availableAt, evaluateTiers: false);
            lifetimeRose = availableAt <= context.NowMs;
        }
        else if (diff < 0)
        {
            var fromPending = Math.Min(-diff, Math.Max(pending?.Points ?? 0, 0));
            if (fromPending > 0)
            {
                await PostAsync(-fromPending, pending!.DueAt);
            }
            var fromBalance = -diff - fromPending;
            if (fromBalance > 0)
            {
                await PostAsync(-fromBalance, null);
            }
        }

        // Spend tiers move with paid-minus-refunded spend, points tiers with lifetime points: one evaluation for both.
        if (spentDelta != 0 || lifetimeRose)
        {
            await Tiers.EvaluateAsync(context, programId, after.CustomerId, balance, spentDelta != 0, lifetimeRose);
        }
        return held;
    }
}
