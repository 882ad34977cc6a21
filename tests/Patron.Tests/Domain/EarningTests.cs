using Patron.Domain;
using Shouldly;

namespace Patron.Tests.Domain;

public sealed class EarningTests
{
    [Fact]
    public void Stacked_tiny_multipliers_earn_nothing_instead_of_overflowing()
    {
        // Five campaigns and a tier at the smallest multiplier (0.0001 each) combine to 1e-24.
        var points = Patron.Domain.Earning.Points(10_000m, 1_000_000m, EarnModes.Nearest, 0.0001m, 0.0001m, 0.0001m, 0.0001m, 0.0001m, 0.0001m);

        points.ShouldBe(0);
    }

    [Theory]
    [InlineData("100", "100", "100", "0.5")]
    [InlineData("0.5", "100", "100", "100")]
    [InlineData("100", "0.5", "100", "100")]
    public void Multipliers_combine_to_their_product_up_to_the_cap_whatever_their_order(string a, string b, string c, string d)
    {
        decimal[] multipliers = [.. new[] { a, b, c, d }.Select(m => decimal.Parse(m, System.Globalization.CultureInfo.InvariantCulture))];

        // 500,000 against a cap of 10,000.
        Limits.CombineMultipliers(multipliers).ShouldBe(Limits.MaxCombinedMultiplier);
        Patron.Domain.Earning.Points(1m, 1m, EarnModes.Floor, multipliers).ShouldBe(10_000);
    }

    [Fact]
    public void A_tier_below_one_and_saturated_campaigns_combine_as_their_product()
    {
        Limits.CombineMultipliers(0.5m, 100m, 100m, 100m, 0.01m).ShouldBe(5_000m);
        Limits.CombineMultipliers(100m, 100m, 100m, 0.01m, 0.5m).ShouldBe(5_000m);
    }

    [Theory]
    [InlineData("0.00000000000000000001")]
    [InlineData("0.0001")]
    [InlineData("1")]
    [InlineData("2.5")]
    [InlineData("10000")]
    public void A_saturating_product_never_passes_its_cap_and_never_throws(string factor)
    {
        var b = decimal.Parse(factor, System.Globalization.CultureInfo.InvariantCulture);
        foreach (var a in new[] { 0.0001m, 1m, 1_000_000_000_000m, decimal.MaxValue / 2 })
        {
            var product = Limits.SaturatingMultiply(a, b, 1_000_000_000_001m);

            product.ShouldBeLessThanOrEqualTo(1_000_000_000_001m);
            product.ShouldBeGreaterThanOrEqualTo(0m);
        }
    }
}
