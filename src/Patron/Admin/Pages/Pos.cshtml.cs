using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Operations.Orders;
using Patron.Operations.RewardsAndRedemptions;
using Patron.Security;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

/// <summary>
/// The till: find a customer by phone or code, award points for a purchase (a paid order, priced by the
/// program's earn mode, as every order is), redeem a reward, and see how far the first reward is.
/// </summary>
public sealed class PosModel(Database database, IWritePath writes, StoredAnswers answers) : AdminPage
{
    public string? Find { get; private set; }

    public CustomerDto? Customer { get; private set; }

    public long? Threshold { get; private set; }

    public string EarnMode { get; private set; } = EarnModes.Spend;

    public string Currency { get; private set; } = "";

    public List<RewardDto> Rewards { get; private set; } = [];

    /// <summary>The award form's order id: sending the form twice awards once (the order is created or left as it is).</summary>
    public string NewOrderId { get; } = Ids.New("pos-");

    /// <summary>The redeem forms' id: sending one twice redeems once (the second answer is the first one's).</summary>
    public string NewRedeemId { get; } = Ids.New("pos-redeem-");

    public async Task OnGetAsync(string? find)
    {
        Find = find?.Trim() is { Length: > 0 and <= 200 } f ? f : null;
        await LoadAsync(Find);
    }

    public async Task<IActionResult> OnPostAwardAsync(string customerId, string? amount, string? units, string? orderId)
    {
        await LoadAsync(customerId);
        if (Customer is null)
        {
            return NotFound();
        }
        decimal? total = null;
        long? count = null;
        if (EarnMode == EarnModes.Units)
        {
            if (!long.TryParse(units, NumberStyles.None, CultureInfo.InvariantCulture, out var u) || u is < 1 or > Limits.MaxUnits)
            {
                return Refuse($"Units must be a whole number from 1 to {Limits.MaxUnits}.");
            }
            count = u;
        }
        else
        {
            if (!decimal.TryParse(amount, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var a) || !Limits.IsAmount(a))
            {
                return Refuse($"The amount must be from 0 to {Limits.MaxAmount}, with at most {Limits.AmountDecimals} decimals.");
            }
            total = a;
        }
        if (orderId is not { Length: > 4 and <= 64 } || !orderId.StartsWith("pos-", StringComparison.Ordinal))
        {
            orderId = Ids.New("pos-");
        }
        var actor = Actor;
        var customer = Customer;
        OrderDto? order = null;
        var done = await TryAsync(async () => order = await writes.RunAsync(context =>
            TillOperations.AwardPurchaseAsync(context, actor.ProgramId, actor.CreatedBy, customer.Id, orderId, total, count)));
        if (!done)
        {
            return Page();
        }
        Notice = $"Awarded {order!.PointsEarned} points{(order.PointsPending > 0 ? " (pending)" : "")}.";
        return Redirect("/admin/pos?find=" + Uri.EscapeDataString(customer.Id));
    }

    public async Task<IActionResult> OnPostRedeemAsync(string customerId, string? rewardId, string? redeemId)
    {
        await LoadAsync(customerId);
        if (Customer is null)
        {
            return NotFound();
        }
        if (string.IsNullOrEmpty(rewardId) || rewardId.Length > 64)
        {
            return Refuse("Choose a reward.");
        }
        var actor = Actor;
        var customer = Customer;
        RedemptionDto? redemption = null;
        // A form without its id (a hand-made post) redeems without the once-only guard, as an API call without Idempotency-Key.
        var key = redeemId is { Length: > 11 and <= 64 } && redeemId.StartsWith("pos-redeem-", StringComparison.Ordinal) ? redeemId : null;
        var hash = IdempotentWrite.RequestHash("admin.pos.redeem", $"{customer.Id}\n{rewardId}");
        var done = await TryAsync(async () =>
        {
            var (answer, _) = await IdempotentWrite.RunAsync(writes, answers, actor.ProgramId, key, hash, async context =>
                JsonSerializer.SerializeToUtf8Bytes(
                    await RedemptionOperations.RedeemAsync(context, actor.Audit, actor.ProgramId, customer.Id, new RedemptionRequest(rewardId))));
            redemption = JsonSerializer.Deserialize<RedemptionDto>(answer);
        });
        if (!done)
        {
            return Page();
        }
        Notice = $"Redeemed {redemption!.PointsSpent} points. Code: {redemption.DiscountCode}";
        return Redirect("/admin/pos?find=" + Uri.EscapeDataString(customer.Id));
    }

    private async Task LoadAsync(string? reference)
    {
        var programId = Actor.ProgramId;
        Customer = reference is null ? null : await CustomerQueries.FindAsync(database, programId, reference);
        Threshold = await RewardQueries.FirstThresholdAsync(database, programId);
        Rewards = Customer is null ? [] : await RewardQueries.EnabledAsync(database, programId);
        var settings = await OrderSettings.ReadAsync(database, programId);
        EarnMode = settings.EarnMode;
        Currency = settings.Currency;
    }
}
