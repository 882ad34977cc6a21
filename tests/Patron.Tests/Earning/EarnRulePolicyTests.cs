using Patron.Domain;
using Patron.Storage;
using Shouldly;

namespace Patron.Tests.Earning;

/// <summary>The pure parts of earning from activities: limit periods, rule choice, birthdays.</summary>
public sealed class EarnRulePolicyTests
{
    private static readonly DateTimeOffset Thursday = new(2026, 1, 15, 12, 34, 56, TimeSpan.Zero);

    [Fact]
    public void Limit_periods_are_utc_calendar_day_iso_week_and_month()
    {
        LimitPeriods.PeriodStart("once", Thursday).ShouldBeNull();
        LimitPeriods.PeriodStart("day", Thursday).ShouldBe(new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero));
        LimitPeriods.PeriodStart("week", Thursday).ShouldBe(new DateTimeOffset(2026, 1, 12, 0, 0, 0, TimeSpan.Zero));
        LimitPeriods.PeriodStart("week", new DateTimeOffset(2026, 1, 18, 23, 0, 0, TimeSpan.Zero))
            .ShouldBe(new DateTimeOffset(2026, 1, 12, 0, 0, 0, TimeSpan.Zero)); // Sunday belongs to the week of Monday the 12th
        LimitPeriods.PeriodStart("week", new DateTimeOffset(2026, 1, 19, 0, 0, 0, TimeSpan.Zero))
            .ShouldBe(new DateTimeOffset(2026, 1, 19, 0, 0, 0, TimeSpan.Zero));
        LimitPeriods.PeriodStart("month", Thursday).ShouldBe(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        // Another offset is the same instant: periods are UTC.
        LimitPeriods.PeriodStart("day", new DateTimeOffset(2026, 1, 16, 1, 0, 0, TimeSpan.FromHours(5)))
            .ShouldBe(new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void The_most_specific_rule_in_effect_is_chosen_and_campaigns_never_are()
    {
        var now = Thursday.ToUnixTimeMilliseconds();
        EarnRule Rule(string id, string[]? tiers = null, long? starts = null, long? ends = null, long multiplierE4 = 10_000, bool enabled = true) =>
            new(id, null, "review", 10, null, multiplierE4, null, null, tiers ?? [], starts, ends, enabled);

        var general = Rule("rule_1");
        var newerGeneral = Rule("rule_2");
        var windowed = Rule("rule_3", starts: now - 1000, ends: now + 1000);
        var gold = Rule("rule_4", tiers: ["tier_gold"]);
        var future = Rule("rule_5", tiers: ["tier_gold"], starts: now + 1);
        var campaign = Rule("rule_6", tiers: ["tier_gold"], multiplierE4: 20_000);
        var disabled = Rule("rule_7", tiers: ["tier_gold"], starts: now - 1, enabled: false);
        var all = new[] { general, newerGeneral, windowed, gold, future, campaign, disabled };

        EarnRulePolicy.Select(all, "review", "tier_gold", now).ShouldBe(gold);
        EarnRulePolicy.Select(all, "review", null, now).ShouldBe(windowed);
        EarnRulePolicy.Select([general, newerGeneral], "review", null, now).ShouldBe(newerGeneral);
        EarnRulePolicy.Select(all, "signup", null, now).ShouldBeNull();
        EarnRulePolicy.Select([campaign, future, disabled], "review", "tier_gold", now).ShouldBeNull();
        EarnRulePolicy.Select([windowed], "review", null, now + 1000).ShouldBeNull(); // the end is exclusive
    }

    private static EarnRule Campaign(string id, long multiplierE4, string type = "place_order", string[]? tiers = null,
        long? starts = null, long? ends = null, bool enabled = true) =>
        new(id, null, type, 0, null, multiplierE4, null, null, tiers ?? [], starts, ends, enabled);

    private static decimal CampaignProduct(IEnumerable<EarnRule> rules, string type, string? tierId, long nowMs) =>
        Limits.CombineMultipliers([.. EarnRulePolicy.CampaignMultipliers(rules, type, tierId, nowMs)]);

    [Fact]
    public void Campaigns_of_the_type_and_tier_running_now_multiply_from_their_start_until_before_their_end()
    {
        var now = Thursday.ToUnixTimeMilliseconds();
        EarnRule[] rules =
        [
            Campaign("rule_1", 20_000),
            Campaign("rule_2", 15_000, starts: now),
            Campaign("rule_3", 30_000, ends: now),
            Campaign("rule_4", 50_000, starts: now + 1),
            Campaign("rule_5", 50_000, enabled: false),
            Campaign("rule_6", 40_000, type: "review"),
            Campaign("rule_7", 25_000, tiers: ["tier_gold"]),
            new("rule_8", null, "place_order", 0, 30_000, EarnRule.NoMultiplierE4, null, null, [], null, null, true),
        ];

        CampaignProduct(rules, "place_order", null, now).ShouldBe(3m);
        CampaignProduct(rules, "place_order", "tier_gold", now).ShouldBe(7.5m);
        CampaignProduct(rules, "review", null, now).ShouldBe(4m);
        CampaignProduct(rules, "signup", null, now).ShouldBe(1m);
        CampaignProduct(rules, "place_order", null, now + 1).ShouldBe(1.5m * 2m * 5m);
    }

    [Fact]
    public void The_place_order_rule_in_effect_for_the_tier_sets_the_rate_and_campaigns_never_do()
    {
        var now = Thursday.ToUnixTimeMilliseconds();
        EarnRule Rate(string id, long perUnitE4, string[]? tiers = null, long? ends = null) =>
            new(id, null, "place_order", 0, perUnitE4, EarnRule.NoMultiplierE4, null, null, tiers ?? [], null, ends, true);
        EarnRule[] rules = [Rate("rule_1", 20_000), Rate("rule_2", 35_000, tiers: ["tier_gold"]), Campaign("rule_3", 90_000)];

        EarnRules.PlaceOrderPointsPerUnit(rules, null, now).ShouldBe(2m);
        EarnRules.PlaceOrderPointsPerUnit(rules, "tier_gold", now).ShouldBe(3.5m);
        EarnRules.PlaceOrderPointsPerUnit([Rate("rule_1", 20_000, ends: now), Campaign("rule_3", 90_000)], null, now).ShouldBeNull();
    }

    [Fact]
    public void Stacked_campaigns_multiply_to_the_same_points_whatever_order_the_rules_come_in()
    {
        var now = Thursday.ToUnixTimeMilliseconds();
        // 100 x 100 x 100 x 0.5 is 500,000: over the cap, in any order (docs/API.md, Limits).
        EarnRule[] rules = [Campaign("rule_1", 1_000_000), Campaign("rule_2", 1_000_000), Campaign("rule_3", 1_000_000), Campaign("rule_4", 5_000)];

        CampaignProduct(rules, "place_order", null, now).ShouldBe(Limits.MaxCombinedMultiplier);
        CampaignProduct([.. rules.Reverse()], "place_order", null, now).ShouldBe(Limits.MaxCombinedMultiplier);
    }

    [Theory]
    [InlineData("1990-01-16", "2026-01-16", 2026)]
    [InlineData("1990-01-16", "2026-01-15", null)]
    [InlineData("1990-01-16", "2026-01-23", 2026)]
    [InlineData("1990-01-16", "2026-01-24", null)]
    [InlineData("1990-12-30", "2027-01-02", 2026)]
    [InlineData("2000-02-29", "2027-02-28", 2027)]
    [InlineData("2000-02-29", "2028-02-28", null)]
    [InlineData("2000-02-29", "2028-02-29", 2028)]
    [InlineData("2000-02-29", "2027-03-01", 2027)]
    [InlineData("not a date", "2026-01-16", null)]
    public void A_birthday_is_due_on_its_day_or_within_a_week_after(string birthday, string today, int? year) =>
        EarnRulePolicy.DueBirthdayYear(birthday, DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture)).ShouldBe(year);

    [Fact]
    public void Birthdays_of_29_february_are_celebrated_on_28_february_in_common_years()
    {
        EarnRulePolicy.BirthdaysOn(new DateOnly(2027, 2, 28)).ShouldBe(["02-28", "02-29"]);
        EarnRulePolicy.BirthdaysOn(new DateOnly(2028, 2, 28)).ShouldBe(["02-28"]);
        EarnRulePolicy.BirthdaysOn(new DateOnly(2028, 2, 29)).ShouldBe(["02-29"]);
    }

    [Theory]
    [InlineData("review", true)]
    [InlineData("$signup", true)]
    [InlineData("quiz.completed:level-2", true)]
    [InlineData("", false)]
    [InlineData("two words", false)]
    [InlineData("$", false)]
    [InlineData("_leading", false)]
    public void Activity_type_names(string type, bool valid) => ActivityTypes.IsValid(type).ShouldBe(valid);
}
