namespace Patron.Domain;

/// <summary>
/// Who made a change, as the audit trail records it (docs/AUDIT.md). Front doors build it: the native
/// API and the dialects from the API key of the request, the command line as <see cref="Cli"/>, and a
/// dashboard from its signed-in staff user.
/// </summary>
public sealed record Actor(string Kind, string Id)
{
    public const string ApiKeyKind = "api_key";
    public const string CliKind = "cli";
    public const string StaffKind = "staff";

    public static Actor ApiKey(string keyId) => new(ApiKeyKind, keyId);

    public static Actor Staff(string userId) => new(StaffKind, userId);

    public static readonly Actor Cli = new(CliKind, "cli");
}

/// <summary>The actions and subject types of the audit trail (docs/AUDIT.md); the list filters accept only these.</summary>
public static class AuditActions
{
    public const string PointsAdjusted = "points.adjusted";
    public const string GiftCardIssued = "gift_card.issued";
    public const string GiftCardTransaction = "gift_card.transaction";
    public const string ApiKeyCreated = "api_key.created";
    public const string ApiKeyRevoked = "api_key.revoked";
    public const string WebhookEndpointCreated = "webhook_endpoint.created";
    public const string WebhookEndpointUpdated = "webhook_endpoint.updated";
    public const string WebhookEndpointDeleted = "webhook_endpoint.deleted";
    public const string VipTierCreated = "vip_tier.created";
    public const string VipTierUpdated = "vip_tier.updated";
    public const string VipTierDeleted = "vip_tier.deleted";
    public const string EarnRuleCreated = "earn_rule.created";
    public const string EarnRuleUpdated = "earn_rule.updated";
    public const string EarnRuleDeleted = "earn_rule.deleted";
    public const string RewardCreated = "reward.created";
    public const string RewardUpdated = "reward.updated";
    public const string RewardDeleted = "reward.deleted";
    public const string VoucherCodesImported = "reward.voucher_codes_imported";
    public const string ProgramCreated = "program.created";
    public const string ProgramUpdated = "program.updated";
    public const string CustomerUpdated = "customer.updated";
    public const string CustomerErased = "customer.erased";
    public const string CustomerImported = "customer.imported";

    /// <summary>Each action with the type of the subject it names.</summary>
    private static readonly Dictionary<string, string> Subjects = new(StringComparer.Ordinal)
    {
        [PointsAdjusted] = "customer",
        [CustomerUpdated] = "customer",
        [CustomerErased] = "customer",
        [CustomerImported] = "customer",
        [GiftCardIssued] = "gift_card",
        [GiftCardTransaction] = "gift_card",
        [ApiKeyCreated] = "api_key",
        [ApiKeyRevoked] = "api_key",
        [WebhookEndpointCreated] = "webhook_endpoint",
        [WebhookEndpointUpdated] = "webhook_endpoint",
        [WebhookEndpointDeleted] = "webhook_endpoint",
        [VipTierCreated] = "vip_tier",
        [VipTierUpdated] = "vip_tier",
        [VipTierDeleted] = "vip_tier",
        [EarnRuleCreated] = "earn_rule",
        [EarnRuleUpdated] = "earn_rule",
        [EarnRuleDeleted] = "earn_rule",
        [RewardCreated] = "reward",
        [RewardUpdated] = "reward",
        [RewardDeleted] = "reward",
        [VoucherCodesImported] = "reward",
        [ProgramCreated] = "program",
        [ProgramUpdated] = "program",
    };

    public static readonly IReadOnlyList<string> All = [.. Subjects.Keys.Order(StringComparer.Ordinal)];

    public static readonly IReadOnlyList<string> SubjectTypes = [.. Subjects.Values.Distinct().Order(StringComparer.Ordinal)];

    public static bool IsKnown(string action) => Subjects.ContainsKey(action);

    public static string SubjectOf(string action) => Subjects[action];
}
