namespace Patron.Webhooks;

/// <summary>
/// The decisions of webhook delivery, with no I/O (docs/WEBHOOKS.md, "Retries and failure"): when a
/// failed attempt is tried again, when an endpoint's run of failures began, when that run disables
/// the endpoint, and how many deliveries one dispatcher pass may claim. Times are Unix milliseconds.
/// </summary>
public static class WebhookDeliveryPolicy
{
    /// <summary>The wait after the 1st, 2nd, ... failed attempt.</summary>
    public static readonly IReadOnlyList<TimeSpan> RetryDelays =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>The first attempt and one per retry delay.</summary>
    public static int MaxAttempts => RetryDelays.Count + 1;

    /// <summary>Each delay is stretched or shrunk by up to this fraction, at random.</summary>
    public const double Jitter = 0.2;

    /// <summary>An endpoint whose attempts have all failed for this long is disabled.</summary>
    public static readonly TimeSpan DisableAfter = TimeSpan.FromDays(5);

    /// <summary>When a failed attempt is tried again, or null when the schedule has run out (or the failure is permanent).</summary>
    /// <param name="attemptsSoFar">Attempts made, this one included.</param>
    public static long? NextAttemptMs(DateTimeOffset attemptedAt, int attemptsSoFar, bool permanent = false) =>
        NextAttemptMs(attemptedAt.ToUnixTimeMilliseconds(), attemptsSoFar, permanent, Random.Shared.NextDouble());

    /// <param name="sample">A number in [0, 1): 0 is the shortest wait (delay × 0.8), 0.5 the delay itself.</param>
    public static long? NextAttemptMs(long attemptedAtMs, int attemptsSoFar, bool permanent, double sample)
    {
        if (permanent || attemptsSoFar >= MaxAttempts)
        {
            return null;
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(attemptsSoFar, 1);
        var delay = RetryDelays[attemptsSoFar - 1];
        var factor = 1 + (((sample * 2) - 1) * Jitter);
        return attemptedAtMs + (long)(delay.TotalMilliseconds * factor);
    }

    /// <summary>One recorded attempt, for <see cref="Streaks"/>.</summary>
    public readonly record struct Attempt(string EndpointId, bool Success, long AttemptedAtMs);

    /// <summary>
    /// What a batch of attempts says about an endpoint's failure streak. <paramref name="Reset"/>: one
    /// of them succeeded, so the stored start of the streak no longer holds. <paramref name="FailingSince"/>:
    /// the first failure after the last success (null when the last attempt succeeded).
    /// </summary>
    public readonly record struct Streak(bool Reset, long? FailingSince, long LastAttemptAtMs);

    /// <summary>Per endpoint, the streak that a batch of attempts, in the order they ended, leaves behind.</summary>
    public static Dictionary<string, Streak> Streaks(IEnumerable<Attempt> attempts)
    {
        var streaks = new Dictionary<string, Streak>(StringComparer.Ordinal);
        foreach (var a in attempts)
        {
            var s = streaks.GetValueOrDefault(a.EndpointId);
            streaks[a.EndpointId] = a.Success
                ? new Streak(true, null, a.AttemptedAtMs)
                : new Streak(s.Reset, s.FailingSince ?? a.AttemptedAtMs, a.AttemptedAtMs);
        }
        return streaks;
    }

    /// <summary>
    /// The start of the streak to store: this batch's first failure when the batch began a new streak
    /// (a success, or no streak stored), else the stored one. Null when the endpoint is not failing.
    /// </summary>
    public static long? FailingSince(Streak streak, long? stored) =>
        streak.FailingSince is null ? null
        : streak.Reset || stored is null ? streak.FailingSince
        : stored;

    /// <summary>Whether an endpoint failing since <paramref name="failingSinceMs"/> is disabled by an attempt that failed at <paramref name="lastAttemptAtMs"/>.</summary>
    public static bool ShouldDisable(long failingSinceMs, long lastAttemptAtMs) =>
        lastAttemptAtMs - failingSinceMs >= (long)DisableAfter.TotalMilliseconds;

    /// <summary>
    /// How many deliveries of one endpoint a pass may claim. Outcomes not yet written count a quarter
    /// slot each, so that a write path slower than the receivers slows claiming. Unless
    /// <paramref name="eager"/>, an endpoint with attempts in flight is claimed for in chunks, once half
    /// its slots are free.
    /// </summary>
    public static int SlotsToClaim(int perEndpoint, int busy, int maxConcurrency, int inFlight, int unwritten, bool eager)
    {
        var free = Math.Min(perEndpoint - busy, maxConcurrency - inFlight - (unwritten / 4));
        return free <= 0 || (!eager && busy > 0 && free < Math.Max(1, perEndpoint / 2)) ? 0 : free;
    }
}
