using System.Text.Json;

namespace Patron.Client;

/// <summary>
/// Something that happened, with the changed object as <see cref="Data"/> (docs/WEBHOOKS.md, Events).
/// The same shape arrives in webhooks and from <c>GET /events</c>.
/// </summary>
public sealed class Event : IHasId
{
    public string Object { get; set; } = "event";
    public string Id { get; set; } = "";

    /// <summary><c>customer.created</c>, <c>points.created</c>, <c>order.updated</c>, ... (see <see cref="EventTypes"/>).</summary>
    public string Type { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The object the event is about, as JSON.</summary>
    public JsonElement Data { get; set; }

    /// <summary>The data as a model of your choice, e.g. <c>evt.DataAs&lt;Customer&gt;()</c>.</summary>
    public T DataAs<T>() => Data.Deserialize<T>(PatronJson.Options)
        ?? throw new JsonException($"Event {Id} has no data.");

    /// <summary>
    /// The data as the client's model named by its <c>object</c> field (<see cref="Customer"/>,
    /// <see cref="PointsTransaction"/>, <see cref="Order"/>, <see cref="Redemption"/>, <see cref="Voucher"/>,
    /// <see cref="Referral"/>, <see cref="GiftCardUpdate"/>, <see cref="TierChange"/>, <see cref="Stamps"/>),
    /// or null for an object this version of the client does not know.
    /// </summary>
    public object? DataObject()
    {
        if (Data.ValueKind != JsonValueKind.Object || !Data.TryGetProperty("object", out var kind) || kind.ValueKind != JsonValueKind.String)
        {
            return null;
        }
        return kind.GetString() switch
        {
            "customer" => DataAs<Customer>(),
            "points_transaction" => DataAs<PointsTransaction>(),
            "order" => DataAs<Order>(),
            "redemption" => DataAs<Redemption>(),
            "voucher" => DataAs<Voucher>(),
            "referral" => DataAs<Referral>(),
            "gift_card_update" => DataAs<GiftCardUpdate>(),
            "tier_change" => DataAs<TierChange>(),
            "stamps" => DataAs<Stamps>(),
            _ => null,
        };
    }
}

/// <summary>The event types Patron emits (docs/WEBHOOKS.md), for subscriptions and <c>GET /events?type=</c>.</summary>
public static class EventTypes
{
    public const string CustomerCreated = "customer.created";
    public const string CustomerUpdated = "customer.updated";
    public const string CustomerDeleted = "customer.deleted";
    public const string PointsCreated = "points.created";
    public const string PointsExpired = "points.expired";
    public const string OrderUpdated = "order.updated";
    public const string RedemptionCreated = "redemption.created";
    public const string RedemptionCancelled = "redemption.cancelled";
    public const string VoucherUsed = "voucher.used";
    public const string TierChanged = "tier.changed";
    public const string StampAdded = "stamp.added";
    public const string RewardEarned = "reward.earned";
    public const string RewardRedeemed = "reward.redeemed";
    public const string ReferralCompleted = "referral.completed";
    public const string GiftCardUpdated = "gift_card.updated";

    /// <summary>Every type, in a subscription's <c>events</c>.</summary>
    public const string All = "*";
}

/// <summary><c>GET /events</c> filters.</summary>
public sealed class EventListOptions : ListOptions
{
    /// <summary>One of <see cref="EventTypes"/>.</summary>
    public string? Type { get; set; }

    protected override IEnumerable<KeyValuePair<string, string?>> Filters() => [new("type", Type)];
}

/// <summary>The data of <c>tier.changed</c>.</summary>
public sealed class TierChange
{
    public string Object { get; set; } = "tier_change";
    public string CustomerId { get; set; } = "";
    public TierRef? PreviousTier { get; set; }
    public TierRef? NewTier { get; set; }

    /// <summary><c>promotion</c> or <c>demotion</c>.</summary>
    public string Direction { get; set; } = "";

    /// <summary><c>lifetime_points</c>, <c>spend</c>, <c>spend_window</c> or <c>tier_settings</c>.</summary>
    public string Reason { get; set; } = "";
}

/// <summary>A VIP tier named in a <see cref="TierChange"/>.</summary>
public sealed class TierRef
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
}

/// <summary>The data of <c>stamp.added</c>, and the answer to adding stamps.</summary>
public sealed class Stamps : IHasId
{
    public string Object { get; set; } = "stamps";
    public string Id { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public int StampsAdded { get; set; }
    public long CurrentStamps { get; set; }
    public long StampsRequired { get; set; }
    public bool RewardEarned { get; set; }
    public List<Redemption> Rewards { get; set; } = [];
    public string? Reference { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
