using NetArchTest.Rules;
using Shouldly;

namespace Patron.Tests.Architecture;

/// <summary>
/// Capability folders under Operations (docs/ARCHITECTURE.md) and the dashboard pages that moved onto them.
/// </summary>
public sealed class CapabilityNamingTests
{
    private static readonly System.Reflection.Assembly Patron = typeof(global::Patron.Domain.Limits).Assembly;

    [Fact]
    public void No_capability_namespace_hides_a_storage_or_domain_class_of_the_same_name()
    {
        var capabilities = Patron.GetTypes()
            .Select(t => t.Namespace)
            .Where(n => n is not null && n.StartsWith("Patron.Operations.", StringComparison.Ordinal))
            .Select(n => n!["Patron.Operations.".Length..].Split('.')[0])
            .ToHashSet(StringComparer.Ordinal);
        capabilities.ShouldContain("VipTiers");
        capabilities.ShouldContain("EarnRulesAndCampaigns");
        var hidden = Patron.GetTypes()
            .Where(t => t.Namespace is "Patron.Storage" or "Patron.Domain" && capabilities.Contains(t.Name))
            .Select(t => t.FullName!)
            .ToList();
        hidden.ShouldBeEmpty("inside Patron.Operations a namespace hides a class of the same name from every operation");
    }

    [Fact]
    public void The_tier_and_earn_rule_pages_call_the_core_not_the_native_API()
    {
        var result = Types.InAssembly(Patron).That()
            .HaveName("VipTiersModel").Or().HaveName("EarnRulesModel").Or().HaveName("VipTierForm").Or().HaveName("EarnRuleForm")
            .ShouldNot().HaveDependencyOn("Patron.Api").GetResult();
        (result.FailingTypeNames ?? []).ShouldBeEmpty();
        Types.InAssembly(Patron).That().HaveName("VipTiersModel").Or().HaveName("EarnRulesModel").GetTypes().Count().ShouldBe(2);
    }
}
