using NetArchTest.Rules;
using Shouldly;

namespace Patron.Tests.Architecture;

/// <summary>
/// Dependencies flow one way: front doors (Api, Cli) → Operations → Storage and Domain
/// (docs/ARCHITECTURE.md). These tests fail when a type of an inner layer starts to use an outer one.
/// </summary>
public sealed class LayeringTests
{
    private static Types Patron => Types.InAssembly(typeof(global::Patron.Domain.Limits).Assembly);

    private static void ShouldPass(NetArchTest.Rules.TestResult result, string rule) =>
        (result.FailingTypeNames ?? []).ShouldBeEmpty(rule);

    [Fact]
    public void Domain_rules_use_no_other_part_of_Patron()
    {
        ShouldPass(Patron.That().ResideInNamespace("Patron.Domain").ShouldNot()
            .HaveDependencyOnAny("Patron.Api", "Patron.Cli", "Patron.Operations", "Patron.Storage", "Patron.Webhooks", "Patron.Jobs")
            .GetResult(), "Domain depends on nothing else in Patron");
    }

    [Fact]
    public void Operations_know_nothing_of_HTTP_or_the_command_line()
    {
        ShouldPass(Patron.That().ResideInNamespace("Patron.Operations").ShouldNot()
            .HaveDependencyOnAny("Patron.Api", "Patron.Cli", "Microsoft.AspNetCore.Http")
            .GetResult(), "Operations are callable from any front door");
    }

    [Fact]
    public void Dialects_call_the_core_never_a_native_endpoint()
    {
        var endpoints = typeof(global::Patron.Domain.Limits).Assembly.GetTypes()
            .Where(t => t.Namespace == "Patron.Api" && t.Name.EndsWith("Endpoints", StringComparison.Ordinal))
            .Select(t => t.FullName!)
            .ToArray();
        endpoints.ShouldNotBeEmpty();
        ShouldPass(Patron.That().ResideInNamespace("Patron.Dialects").ShouldNot()
            .HaveDependencyOnAny(endpoints).GetResult(), "a dialect is a front door over the core, beside the native API");
    }

    [Fact]
    public void Storage_and_jobs_do_not_reach_into_operations_or_the_command_line()
    {
        ShouldPass(Patron.That().ResideInNamespace("Patron.Storage").Or().ResideInNamespace("Patron.Jobs").ShouldNot()
            .HaveDependencyOnAny("Patron.Operations", "Patron.Cli")
            .GetResult(), "Storage and jobs are below operations");
    }

    [Fact]
    public void Storage_jobs_and_webhooks_do_not_depend_on_the_native_API()
    {
        ShouldPass(Patron.That().ResideInNamespace("Patron.Storage").Or().ResideInNamespace("Patron.Jobs")
            .Or().ResideInNamespace("Patron.Webhooks").ShouldNot().HaveDependencyOn("Patron.Api")
            .GetResult(), "JSON format, paging, list envelope and idempotency records live in the core");
    }
}
