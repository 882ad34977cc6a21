using Patron.Domain;
using Shouldly;

namespace Patron.Tests.Domain;

public sealed class IdsTests
{
    private const string Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static readonly DateTimeOffset Noon = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Qr_values_of_one_millisecond_share_their_time_part_and_differ_in_fifteen_random_characters()
    {
        var clock = new FixedClock(Noon);
        var values = Enumerable.Range(0, 10_000).Select(_ => Ids.QrValue(clock)).ToList();

        values.ShouldAllBe(v => v.Length == 27 && v.StartsWith("pq_", StringComparison.Ordinal) && v.Substring(3).All(Alphabet.Contains));
        values.Select(v => v[..12]).Distinct().Count().ShouldBe(1);
        values.Distinct(StringComparer.Ordinal).Count().ShouldBe(values.Count);
    }

    [Fact]
    public void Qr_values_made_later_sort_after_earlier_ones()
    {
        var times = new[] { Noon, Noon.AddMilliseconds(1), Noon.AddSeconds(1), Noon.AddDays(1), Noon.AddYears(5) };
        var values = times.Select(t => Ids.QrValue(new FixedClock(t))).ToList();

        values.ShouldBe(values.Order(StringComparer.Ordinal).ToList());
        values.Select(v => v[..12]).Distinct().Count().ShouldBe(times.Length);
    }

    [Fact]
    public void Referral_codes_are_eight_readable_characters_whose_first_three_change_each_second()
    {
        var sameSecond = Enumerable.Range(0, 1_000).Select(_ => Ids.ReferralCode(new FixedClock(Noon.AddMilliseconds(999)))).ToList();
        var nextSecond = Ids.ReferralCode(new FixedClock(Noon.AddSeconds(1)));

        sameSecond.ShouldAllBe(c => c.Length == 8 && c.All(Alphabet.Contains));
        sameSecond.Select(c => c[..3]).Distinct().Single().ShouldBe(Ids.ReferralCode(new FixedClock(Noon))[..3]);
        nextSecond[..3].ShouldNotBe(sameSecond[0][..3]);
        sameSecond.Select(c => c[3..]).Distinct().Count().ShouldBeGreaterThan(990); // 5 random characters: 28.6 million a second
    }
}
