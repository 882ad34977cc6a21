using Patron.Webhooks;
using Shouldly;
using static Patron.Webhooks.WebhookDeliveryPolicy;

namespace Patron.Tests.Webhooks;

/// <summary>The delivery policy on its own (docs/WEBHOOKS.md, "Retries and failure"): no server, no database, no clock.</summary>
public sealed class WebhookDeliveryPolicyTests
{
    private const long T0 = 1_800_000_000_000;
    private static readonly long Day = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    [Theory]
    [InlineData(1, 5.0)]
    [InlineData(2, 300.0)]
    [InlineData(3, 1_800.0)]
    [InlineData(4, 7_200.0)]
    [InlineData(5, 18_000.0)]
    [InlineData(6, 36_000.0)]
    [InlineData(7, 36_000.0)]
    public void Each_failed_attempt_waits_its_delay_give_or_take_a_fifth(int attempts, double seconds)
    {
        var delay = (long)(seconds * 1000);

        NextAttemptMs(T0, attempts, permanent: false, sample: 0.5).ShouldBe(T0 + delay);
        NextAttemptMs(T0, attempts, permanent: false, sample: 0.0).ShouldBe(T0 + (long)(delay * 0.8));
        NextAttemptMs(T0, attempts, permanent: false, sample: 0.999_999)!.Value.ShouldBeInRange(T0 + (long)(delay * 1.199), T0 + (long)(delay * 1.2));
    }

    [Fact]
    public void After_the_eighth_attempt_or_a_permanent_failure_there_is_no_next_attempt()
    {
        MaxAttempts.ShouldBe(8);
        NextAttemptMs(T0, 8, permanent: false, sample: 0.5).ShouldBeNull();
        NextAttemptMs(T0, 9, permanent: false, sample: 0.5).ShouldBeNull();
        NextAttemptMs(T0, 1, permanent: true, sample: 0.5).ShouldBeNull();
        Should.Throw<ArgumentOutOfRangeException>(() => NextAttemptMs(T0, 0, permanent: false, sample: 0.5));
    }

    [Fact]
    public void A_streak_starts_at_the_first_failure_after_the_last_success_per_endpoint()
    {
        var streaks = Streaks(
        [
            new Attempt("a", false, T0 + 1), new Attempt("b", true, T0 + 2), new Attempt("a", false, T0 + 3),
            new Attempt("c", false, T0 + 4), new Attempt("c", true, T0 + 5), new Attempt("c", false, T0 + 6), new Attempt("c", false, T0 + 7),
            new Attempt("b", true, T0 + 8),
        ]);

        streaks.Count.ShouldBe(3);
        streaks["a"].ShouldBe(new Streak(Reset: false, FailingSince: T0 + 1, LastAttemptAtMs: T0 + 3));
        streaks["b"].ShouldBe(new Streak(Reset: true, FailingSince: null, LastAttemptAtMs: T0 + 8));
        streaks["c"].ShouldBe(new Streak(Reset: true, FailingSince: T0 + 6, LastAttemptAtMs: T0 + 7));
    }

    [Fact]
    public void A_stored_streak_goes_on_until_a_success_restarts_it()
    {
        var stored = T0 - Day;
        FailingSince(new Streak(false, T0, T0), stored).ShouldBe(stored);
        FailingSince(new Streak(false, T0, T0), null).ShouldBe(T0);
        FailingSince(new Streak(true, T0, T0), stored).ShouldBe(T0);
        FailingSince(new Streak(true, null, T0), stored).ShouldBeNull();
        FailingSince(new Streak(false, null, T0), null).ShouldBeNull();
    }

    [Fact]
    public void An_endpoint_is_disabled_once_its_failures_span_five_days()
    {
        DisableAfter.ShouldBe(TimeSpan.FromDays(5));
        ShouldDisable(T0, T0 + (5 * Day) - 1).ShouldBeFalse();
        ShouldDisable(T0, T0 + (5 * Day)).ShouldBeTrue();
        ShouldDisable(T0, T0 + (9 * Day)).ShouldBeTrue();
        ShouldDisable(T0, T0).ShouldBeFalse();
    }

    [Theory]
    //          per endpoint, busy, max, in flight, unwritten, eager, expected
    [InlineData(16, 0, 64, 0, 0, false, 16)]         // an idle endpoint gets its share
    [InlineData(16, 0, 64, 60, 0, false, 4)]         // ... or what the process has left
    [InlineData(16, 10, 64, 10, 0, false, 0)]        // 6 free of 16: wait for half
    [InlineData(16, 10, 64, 10, 0, true, 6)]         // eager passes take every free slot
    [InlineData(16, 8, 64, 8, 0, false, 8)]          // half free: claim them
    [InlineData(16, 0, 64, 0, 200, false, 14)]       // unwritten outcomes count a quarter each
    [InlineData(16, 0, 64, 0, 256, true, 0)]         // a full queue of outcomes stops claiming
    [InlineData(1, 0, 64, 0, 0, false, 1)]
    [InlineData(1, 1, 64, 1, 0, true, 0)]
    public void Claims_are_bounded_by_the_endpoint_the_process_and_the_outcomes_not_yet_written(
        int perEndpoint, int busy, int max, int inFlight, int unwritten, bool eager, int expected)
    {
        SlotsToClaim(perEndpoint, busy, max, inFlight, unwritten, eager).ShouldBe(expected);
    }
}
