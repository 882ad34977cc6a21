using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Patron.Api;
using Patron.Operations.CustomerAccounts;
using Patron.Operations.Keys;
using Patron.Operations.Referrals;
using Patron.Operations.Stamps;
using Patron.Storage;
using Shouldly;
using ServerJson = Patron.Api.PatronJson;

namespace Patron.Client.Tests;

/// <summary>
/// The client's models and options against the server's own types, compared by their JSON names:
/// a field the server adds or renames fails here rather than arriving as a silent null.
/// </summary>
public sealed class ModelDriftTests
{
    /// <summary>The server's own serializer settings, with the reflection metadata a lookup needs.</summary>
    private static readonly JsonSerializerOptions Server = new(ServerJson.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    /// <summary>What the server writes, and the client model that reads it.</summary>
    public static TheoryData<Type, Type> Answers => new()
    {
        { typeof(Patron.Domain.CustomerDto), typeof(Customer) },
        { typeof(Patron.Domain.PointsTransactionDto), typeof(PointsTransaction) },
        { typeof(Patron.Operations.Orders.OrderDto), typeof(Order) },
        { typeof(RewardDto), typeof(Reward) },
        { typeof(Patron.Storage.VariablePricing), typeof(VariablePricing) },
        { typeof(RedemptionDto), typeof(Redemption) },
        { typeof(VoucherDto), typeof(Voucher) },
        { typeof(Vouchers.PoolStats), typeof(VoucherPoolStats) },
        { typeof(Vouchers.ImportResult), typeof(VoucherCodeImport) },
        { typeof(StampsDto), typeof(Stamps) },
        { typeof(GiftCardDto), typeof(GiftCard) },
        { typeof(GiftCardTransactionDto), typeof(GiftCardTransaction) },
        { typeof(GiftCardUpdated), typeof(GiftCardUpdate) },
        { typeof(ReferralDto), typeof(Referral) },
        { typeof(Patron.Operations.VipTiers.VipTierDto), typeof(VipTier) },
        { typeof(Patron.Operations.EarnRulesAndCampaigns.EarnRuleDto), typeof(EarnRule) },
        { typeof(ApiKeyDto), typeof(ApiKey) },
        { typeof(EventsEndpoints.EventDto), typeof(Event) },
        { typeof(Patron.Webhooks.WebhookEndpointDto), typeof(WebhookEndpoint) },
        { typeof(Patron.Webhooks.WebhookDeliveryDto), typeof(WebhookDelivery) },
        { typeof(Patron.Domain.DeletedObject), typeof(DeletedObject) },
        { typeof(ListEnvelope<Patron.Domain.CustomerDto>), typeof(PatronList<Customer>) },
    };

    /// <summary>What the client sends, and the server type that reads it.</summary>
    public static TheoryData<Type, Type> Requests => new()
    {
        { typeof(CustomerCreateOptions), typeof(CustomerInput) },
        { typeof(CustomerUpdateOptions), typeof(CustomerInput) },
        { typeof(PointsTransactionCreateOptions), typeof(PointsTransactionsEndpoints.PointsInput) },
        { typeof(OrderCreateOptions), typeof(OrdersEndpoints.OrderInput) },
        { typeof(OrderUpdateOptions), typeof(OrdersEndpoints.OrderInput) },
        { typeof(OrderRefundOptions), typeof(OrdersEndpoints.RefundInput) },
        { typeof(RewardCreateOptions), typeof(RewardsEndpoints.RewardInput) },
        { typeof(RewardUpdateOptions), typeof(RewardsEndpoints.RewardInput) },
        { typeof(VariablePricing), typeof(RewardsEndpoints.VariableInput) },
        { typeof(RedemptionCreateOptions), typeof(RedemptionsEndpoints.RedemptionInput) },
        { typeof(StampsCreateOptions), typeof(RedemptionsEndpoints.StampsInput) },
        { typeof(VoucherUseOptions), typeof(RedemptionsEndpoints.UseInput) },
        { typeof(GiftCardCreateOptions), typeof(GiftCardsEndpoints.GiftCardInput) },
        { typeof(GiftCardTransactionCreateOptions), typeof(GiftCardsEndpoints.TransactionInput) },
        { typeof(VipTierOptions), typeof(VipTiersEndpoints.VipTierInput) },
        { typeof(EarnRuleOptions), typeof(EarnRulesEndpoints.EarnRuleInput) },
        { typeof(WebhookEndpointCreateOptions), typeof(WebhooksEndpoints.WebhookEndpointInput) },
        { typeof(WebhookEndpointUpdateOptions), typeof(WebhooksEndpoints.WebhookEndpointInput) },
        { typeof(ApiKeyCreateOptions), typeof(ApiKeysEndpoints.ApiKeyInput) },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void Every_field_the_server_answers_with_is_a_property_of_the_client_model(Type server, Type client)
    {
        var missing = Names(server, Server).Except(Names(client, PatronJson.Options)).ToList();

        missing.ShouldBeEmpty($"{client.Name} does not read {string.Join(", ", missing)} of {server.Name}");
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void Every_field_the_client_sends_is_one_the_server_reads(Type client, Type server)
    {
        var unknown = Names(client, PatronJson.Options).Except(Names(server, Server)).ToList();

        unknown.ShouldBeEmpty($"{server.Name} ignores {string.Join(", ", unknown)} sent by {client.Name}");
    }

    [Fact]
    public void The_client_knows_every_event_type_the_server_emits()
    {
        var known = typeof(EventTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name != nameof(EventTypes.All)).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();

        known.ShouldBe(Patron.Domain.EventTypes.All.ToHashSet(), ignoreOrder: true);
    }

    /// <summary>The JSON names a type is written and read with (ignored properties excluded).</summary>
    private static HashSet<string> Names(Type type, JsonSerializerOptions options) =>
        options.GetTypeInfo(type).Properties
            .Where(p => p.AttributeProvider?.IsDefined(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), inherit: true) != true)
            .Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
}
