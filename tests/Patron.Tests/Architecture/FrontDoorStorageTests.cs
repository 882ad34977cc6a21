using NetArchTest.Rules;
using Shouldly;

namespace Patron.Tests.Architecture;

/// <summary>
/// Front doors other than the native API (the dashboard, MCP, the member API and widget, the dialects) call the
/// operations, not the storage below them (docs/ARCHITECTURE.md). Each keeps a ratchet: the storage types it may
/// still use, a list that may only get shorter. A type that a front door stops using must leave its list.
/// </summary>
public sealed class FrontDoorStorageTests
{
    private static readonly System.Reflection.Assembly Patron = typeof(global::Patron.Domain.Limits).Assembly;

    /// <summary>
    /// Every list holds the handles a front door passes to the operations (Database, IWritePath, WriteContext, Sql) and
    /// the shapes some operations still return from storage (RewardDto, RedemptionDto, ...); the rest is what is left to move.
    /// </summary>
    private static readonly string[] Dashboard =
    [
        "AuditEvent", "Database", "EarnRuleRow", "IWritePath", "IdempotentWrite", "Ledger", "ListEnvelope", "Paging",
        "PatronOptions", "RedemptionDto", "RewardDto", "Sql", "VariablePricing", "VipTierRow", "Vouchers", "WriteContext",
    ];

    [Fact]
    public void The_dashboard_uses_no_storage_type_beyond_its_ratchet() => ShouldStayWithin("Patron.Dashboard", Dashboard);

    private static readonly string[] Mcp =
    [
        "AnalyticsWindow", "Customers", "Database", "IWritePath", "IdempotentWrite", "Migrator", "PatronOptions",
        "ProgramSummary", "RateLimitOptions", "RedemptionDto", "RewardDto", "Rewards", "Sql", "TransactionPerOperationWritePath",
        "WriteContext",
    ];

    private static readonly string[] Members =
    [
        "Customers", "Database", "IWritePath", "IdempotentWrite", "ListEnvelope", "MemberSecretRow", "MemberSettings",
        "MemberStore", "Paging", "PatronOptions", "RateLimitOptions", "RedemptionDto", "RewardDto", "Rewards", "Sql", "Tiers",
        "VariablePricing", "WalletOptions", "WalletPassRow", "WalletStore", "WriteContext",
    ];

    private static readonly string[] Dialects =
    [
        "Activities", "AnalyticsWindow", "Customers", "Database", "GiftCardDto", "IWritePath", "Ledger", "PatronOptions",
        "RedemptionDto", "Redemptions", "RewardDto", "Rewards", "Sql", "StampCardAnalytics", "StampCardSummary",
        "VariablePricing", "Vouchers", "WebhookOptions", "WriteContext",
    ];

    [Fact]
    public void The_MCP_server_uses_no_storage_type_beyond_its_ratchet() => ShouldStayWithin("Patron.Mcp", Mcp);

    [Fact]
    public void The_member_API_uses_no_storage_type_beyond_its_ratchet() => ShouldStayWithin("Patron.Members", Members);

    [Fact]
    public void The_dialects_use_no_storage_type_beyond_their_ratchet() => ShouldStayWithin("Patron.Dialects", Dialects);

    private static void ShouldStayWithin(string frontDoor, string[] allowed)
    {
        var used = StorageTypesUsedBy(frontDoor);
        var added = used.Except(allowed).ToList();
        var dropped = allowed.Except(used).ToList();
        (added.Count + dropped.Count).ShouldBe(0,
            $"{frontDoor} uses [{string.Join(", ", added)}] beyond its ratchet (call an operation or a query instead) " +
            $"and no longer uses [{string.Join(", ", dropped)}] (take them off the list); it uses [{string.Join(", ", used.Order())}]");
    }

    private static List<string> StorageTypesUsedBy(string frontDoor)
    {
        var types = Types.InAssembly(Patron);
        return Patron.GetTypes()
            .Where(t => t.Namespace == "Patron.Storage" && !t.IsNested && !t.Name.StartsWith('<'))
            .Where(t => !types.That().ResideInNamespace(frontDoor).ShouldNot().HaveDependencyOn(t.FullName!).GetResult().IsSuccessful)
            .Select(t => t.Name.Split('`')[0])
            .ToList();
    }
}
