using System.Net;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Hardening;

/// <summary>The throttle of failing addresses keeps its memory bounded, however many addresses fail.</summary>
public sealed class AuthFailureThrottleMemoryTests
{
    private static IPAddress V4(int i) => new([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);

    [Fact]
    public void However_many_addresses_fail_at_most_the_configured_number_is_tracked_and_blocked_ones_stay_blocked()
    {
        var clock = new ManualClock();
        var throttle = new AuthFailureThrottle(clock, new AuthThrottleOptions { MaxFailures = 2, WindowSeconds = 60, MaxTrackedAddresses = 100 });
        var blocked = IPAddress.Parse("192.0.2.1");
        throttle.Failed(blocked);
        throttle.Failed(blocked);
        Should.Throw<ApiException>(() => throttle.ThrowIfThrottled(blocked)).Status.ShouldBe(429);

        for (var i = 0; i < 100_000; i++)
        {
            throttle.Failed(V4(i));
            if (i % 10_000 == 0)
            {
                clock.Advance(TimeSpan.FromSeconds(2));
            }
        }

        throttle.TrackedAddresses.ShouldBeLessThanOrEqualTo(100);
        Should.Throw<ApiException>(() => throttle.ThrowIfThrottled(blocked), "a flood of new addresses does not evict a blocked one");

        // Once their window has passed, tracked addresses make room for new ones.
        clock.Advance(TimeSpan.FromSeconds(61));
        throttle.ThrowIfThrottled(blocked);
        var late = IPAddress.Parse("198.51.100.7");
        throttle.Failed(late);
        throttle.Failed(late);
        Should.Throw<ApiException>(() => throttle.ThrowIfThrottled(late));
        throttle.TrackedAddresses.ShouldBeLessThanOrEqualTo(100);
    }

    [Fact]
    public void Addresses_that_stopped_failing_are_forgotten_once_their_window_has_passed()
    {
        var clock = new ManualClock();
        var throttle = new AuthFailureThrottle(clock, new AuthThrottleOptions { MaxFailures = 5, WindowSeconds = 60, MaxTrackedAddresses = 10_000 });
        for (var i = 0; i < 500; i++)
        {
            throttle.Failed(V4(i));
        }
        throttle.TrackedAddresses.ShouldBe(500);

        clock.Advance(TimeSpan.FromSeconds(61));
        throttle.Failed(IPAddress.Parse("203.0.113.9"));

        throttle.TrackedAddresses.ShouldBe(1);
    }

    [Fact]
    public void An_IPv6_host_counts_by_its_64_prefix_and_an_IPv4_mapped_address_as_IPv4()
    {
        var throttle = new AuthFailureThrottle(new ManualClock(), new AuthThrottleOptions { MaxFailures = 2, WindowSeconds = 60, MaxTrackedAddresses = 100 });

        throttle.Failed(IPAddress.Parse("2001:db8:1:2::1"));
        throttle.Failed(IPAddress.Parse("2001:db8:1:2:ffff::9"));
        Should.Throw<ApiException>(() => throttle.ThrowIfThrottled(IPAddress.Parse("2001:db8:1:2:abcd::5")));
        throttle.ThrowIfThrottled(IPAddress.Parse("2001:db8:1:3::1"));

        throttle.Failed(IPAddress.Parse("192.0.2.44"));
        throttle.Failed(IPAddress.Parse("::ffff:192.0.2.44"));
        Should.Throw<ApiException>(() => throttle.ThrowIfThrottled(IPAddress.Parse("192.0.2.44")));
        throttle.ThrowIfThrottled(IPAddress.Parse("192.0.2.45"));
    }
}
