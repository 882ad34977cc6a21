using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Client.Tests;

/// <summary>Orders, rewards, redemptions, events and the program's other resources through the client.</summary>
public sealed class CommerceClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, DatabaseData]
    public async Task A_paid_order_earns_points_that_a_refund_takes_back_in_proportion(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        using var patron = server.Client();
        var customer = await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct);
        // A merchant id with characters a path must escape.
        var orderId = "order #" + Guid.NewGuid().ToString("N");

        var placed = await patron.Orders.CreateAsync(new()
        {
            Id = orderId,
            CustomerId = customer.Email,
            Total = 54.20m,
            Status = "placed",
            Items = new[] { new { sku = "A1", quantity = 2 } },
        }, cancellationToken: Ct);
        placed.Id.ShouldBe(orderId);
        placed.Status.ShouldBe("placed");
        placed.Total.ShouldBe(54.20m);
        placed.Units.ShouldBe(2);
        placed.Items[0].GetProperty("sku").GetString().ShouldBe("A1");

        var paid = await patron.Orders.PayAsync(orderId, cancellationToken: Ct);
        paid.Status.ShouldBe("paid");
        paid.PointsEarned.ShouldBe(54);
        (await patron.Customers.GetAsync(customer.Id, cancellationToken: Ct)).PointsBalance.ShouldBe(54);

        var refunded = await patron.Orders.RefundAsync(orderId, new() { Amount = 27.10m }, cancellationToken: Ct);
        refunded.RefundedTotal.ShouldBe(27.10m);
        refunded.PointsCredited.ShouldBe(27);
        (await patron.Customers.GetAsync(customer.Id, cancellationToken: Ct)).PointsBalance.ShouldBe(27);

        var cancelled = await patron.Orders.CancelAsync(orderId, cancellationToken: Ct);
        cancelled.Status.ShouldBe("cancelled");
        (await patron.Customers.GetAsync(customer.Id, cancellationToken: Ct)).PointsBalance.ShouldBe(0);

        (await patron.Orders.GetAsync(orderId, cancellationToken: Ct)).CancelledAt.ShouldNotBeNull();
        (await patron.Orders.ListAsync(new() { CustomerId = customer.Id, Status = "cancelled" }, cancellationToken: Ct)).Data.Single().Id.ShouldBe(orderId);
        var orderEvents = new List<Event>();
        await foreach (var e in patron.Events.ListAutoPagingAsync(new() { Type = EventTypes.OrderUpdated, Limit = 2 }, cancellationToken: Ct))
        {
            orderEvents.Add(e);
        }
        orderEvents.Count.ShouldBe(4);
        orderEvents.ShouldAllBe(e => e.DataObject() is Order);
        orderEvents[0].DataAs<Order>().Status.ShouldBe("cancelled");
    }

    [Theory, DatabaseData]
    public async Task A_reward_is_redeemed_with_points_and_a_cancelled_redemption_gives_them_back(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        using var patron = server.Client();
        var reward = await patron.Rewards.CreateAsync(new()
        {
            Name = "Five off",
            Type = "amount_discount",
            Value = 5m,
            PointsCost = 500,
            CodePrefix = "FIVE-",
        }, cancellationToken: Ct);
        reward.Id.ShouldStartWith("rwd_");
        reward.DiscountValue.ShouldBe(5m);
        reward.Enabled.ShouldBeTrue();
        var customer = await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail(), InitialPoints = 1200 }, cancellationToken: Ct);

        var redemption = await patron.Redemptions.CreateAsync(customer.Id, new() { RewardId = reward.Id }, cancellationToken: Ct);
        redemption.PointsSpent.ShouldBe(500);
        redemption.RemainingBalance.ShouldBe(700);
        redemption.DiscountCode.ShouldStartWith("FIVE-");
        redemption.Status.ShouldBe("issued");
        (await patron.Redemptions.GetVoucherAsync(redemption.DiscountCode, cancellationToken: Ct)).RedemptionId.ShouldBe(redemption.Id);

        var cancelled = await patron.Redemptions.CancelAsync(redemption.Id, cancellationToken: Ct);
        cancelled.Status.ShouldBe("cancelled");
        (await patron.Customers.GetAsync(customer.Id, cancellationToken: Ct)).PointsBalance.ShouldBe(1200);

        var second = await patron.Redemptions.CreateAsync(customer.Id, new() { RewardId = reward.Id }, cancellationToken: Ct);
        var used = await patron.Redemptions.UseVoucherAsync(second.DiscountCode, new() { OrderId = "o-1" }, cancellationToken: Ct);
        used.Status.ShouldBe("used");
        (await Should.ThrowAsync<PatronException>(() => patron.Redemptions.CancelAsync(second.Id, cancellationToken: Ct)))
            .Code.ShouldBe("redemption_not_cancellable");

        (await patron.Redemptions.ListAsync(new() { CustomerId = customer.Id, Status = "used" }, cancellationToken: Ct)).Data.Single().Id.ShouldBe(second.Id);
        (await patron.Redemptions.ListForCustomerAsync(customer.Id, cancellationToken: Ct)).Data.Count.ShouldBe(2);
        var disabled = await patron.Rewards.UpdateAsync(reward.Id, new() { Enabled = false }, cancellationToken: Ct);
        disabled.Enabled.ShouldBeFalse();
        (await patron.Rewards.ListAsync(new() { Enabled = false }, cancellationToken: Ct)).Data.Single().Id.ShouldBe(reward.Id);
        (await Should.ThrowAsync<PatronException>(() => patron.Redemptions.CreateAsync(customer.Id, new() { RewardId = reward.Id }, cancellationToken: Ct)))
            .Code.ShouldBe("reward_disabled");
        (await patron.Rewards.DeleteAsync(reward.Id, cancellationToken: Ct)).Deleted.ShouldBeTrue();
    }

    [Theory, DatabaseData]
    public async Task Tiers_rules_gift_cards_referrals_and_keys_work_through_the_client(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        using var patron = server.Client();

        var gold = await patron.VipTiers.CreateAsync(new() { Name = "Gold", PointsRequired = 1000, Multiplier = 1.5m }, cancellationToken: Ct);
        var silver = await patron.VipTiers.CreateAsync(new() { Name = "Silver", PointsRequired = 100 }, cancellationToken: Ct);
        var ladder = new List<string>();
        await foreach (var tier in patron.VipTiers.ListAutoPagingAsync(new() { Limit = 1 }, cancellationToken: Ct))
        {
            ladder.Add(tier.Name);
        }
        ladder.ShouldBe(["Silver", "Gold"]);
        (await patron.VipTiers.UpdateAsync(silver.Id, new() { FreeShipping = true }, cancellationToken: Ct)).FreeShipping.ShouldBeTrue();
        (await patron.VipTiers.GetAsync(gold.Id, cancellationToken: Ct)).Multiplier.ShouldBe(1.5m);

        var rule = await patron.EarnRules.CreateAsync(new() { Type = "review", Points = 50, LimitPeriod = "day", LimitCount = 2 }, cancellationToken: Ct);
        rule.Campaign.ShouldBeFalse();
        (await patron.EarnRules.ListAsync(new() { Type = "review" }, cancellationToken: Ct)).Data.Single().Id.ShouldBe(rule.Id);
        (await patron.EarnRules.UpdateAsync(rule.Id, new() { Enabled = false }, cancellationToken: Ct)).Enabled.ShouldBeFalse();
        (await patron.EarnRules.DeleteAsync(rule.Id, cancellationToken: Ct)).Deleted.ShouldBeTrue();

        var referrer = await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct);
        var referee = await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail(), ReferredBy = referrer.ReferralCode }, cancellationToken: Ct);
        var referral = (await patron.Referrals.ListAsync(new() { ReferrerId = referrer.Id }, cancellationToken: Ct)).Data.Single();
        referral.RefereeId.ShouldBe(referee.Id);
        referral.Status.ShouldBe("pending");

        var card = await patron.GiftCards.CreateAsync(new() { InitialBalance = 25m, CustomerId = referee.Id }, cancellationToken: Ct);
        card.Code.ShouldNotBeNull();
        var spend = await patron.GiftCards.CreateTransactionAsync(card.Code!, new() { Amount = -10.5m, Reference = "till-1" }, cancellationToken: Ct);
        spend.Type.ShouldBe("spend");
        spend.BalanceAfter.ShouldBe(14.5m);
        (await patron.GiftCards.GetAsync(card.Code!.ToLowerInvariant(), cancellationToken: Ct)).Balance.ShouldBe(14.5m);
        (await patron.GiftCards.ListTransactionsAsync(card.Code!, cancellationToken: Ct)).Data.Select(t => t.Type).ShouldBe(["spend", "issued"]);
        (await Should.ThrowAsync<PatronException>(() => patron.GiftCards.CreateTransactionAsync(card.Code!, new() { Amount = -100m }, cancellationToken: Ct)))
            .Code.ShouldBe("insufficient_funds");

        var key = await patron.ApiKeys.CreateAsync(new() { Name = "till", Scope = "write", RateLimitPerMinute = 600 }, cancellationToken: Ct);
        key.Secret.ShouldNotBeNull().ShouldStartWith("sk_");
        using (var till = server.Client(key.Secret))
        {
            (await till.Customers.GetAsync(referee.Id, cancellationToken: Ct)).Id.ShouldBe(referee.Id);
        }
        (await patron.ApiKeys.ListAsync(cancellationToken: Ct)).Data.ShouldContain(k => k.Id == key.Id && k.Secret == null && k.Scope == "write");
        (await patron.ApiKeys.RevokeAsync(key.Id, cancellationToken: Ct)).Deleted.ShouldBeTrue();
        using var revoked = server.Client(key.Secret);
        (await Should.ThrowAsync<PatronException>(() => revoked.Customers.GetAsync(referee.Id, cancellationToken: Ct))).Code.ShouldBe("api_key_revoked");
    }
}
