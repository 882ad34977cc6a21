using Patron.Storage;
using Shouldly;

namespace Patron.Tests.Storage;

/// <summary>
/// The Retry-After of every rate limit and of the failed-authentication throttle comes from one rule
/// (<see cref="RateLimitWindows.SecondsLeft"/>): the whole seconds until the window ends, at least 1, at most the window.
/// </summary>
public sealed class RateLimitWindowsTests
{
    [Theory]
    [InlineData(0, 60)]
    [InlineData(500, 60)]
    [InlineData(30_500, 30)]
    [InlineData(59_001, 1)]
    [InlineData(59_999, 1)]
    [InlineData(60_000, 1)]
    [InlineData(75_000, 1)]
    public void A_retry_after_counts_the_whole_seconds_left_in_the_window_and_at_least_one(long elapsedMs, long expected) =>
        RateLimitWindows.SecondsLeft(1_000_000, 60_000, 1_000_000 + elapsedMs).ShouldBe(expected);

    [Fact]
    public void A_shared_window_opened_after_this_request_read_the_clock_is_never_answered_as_longer_than_a_window() =>
        RateLimitWindows.SecondsLeft(1_000_001, 60_000, 1_000_000).ShouldBe(60);

    [Fact]
    public void A_throttle_window_of_a_few_seconds_is_clamped_to_its_own_length() =>
        RateLimitWindows.SecondsLeft(1_000_250, 5_000, 1_000_000).ShouldBe(5);
}
