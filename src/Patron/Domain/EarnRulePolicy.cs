using System.Globalization;
using System.Text.RegularExpressions;

namespace Patron.Domain;

/// <summary>The built-in activity types (docs/API.md, Earn rules); any other valid name is a custom activity.</summary>
public static class ActivityTypes
{
    public const string PlaceOrder = "place_order";
    public const string Signup = "signup";
    public const string Birthday = "birthday";
    public const string NewsletterSignup = "newsletter_signup";
    public const string Review = "review";
    public const string SocialFollow = "social_follow";

    /// <summary>LoyaltyLion's name for the signup activity.</summary>
    public const string SignupAlias = "$signup";

    public const int MaxLength = 100;

    // A leading '$' is allowed for LoyaltyLion-style names; otherwise letters, digits and _ - . :
    private static readonly Regex Valid = new(@"^\$?[A-Za-z0-9][A-Za-z0-9_.:\-]*$", RegexOptions.CultureInvariant);

    /// <summary>The type as Patron stores it: <c>$signup</c> is <c>signup</c>; everything else as given.</summary>
    public static string Canonical(string type) => type == SignupAlias ? Signup : type;

    public static bool IsValid(string type) => type.Length is > 0 and <= MaxLength && Valid.IsMatch(type);
}

/// <summary>Per-customer limits of an earn rule.</summary>
public static class LimitPeriods
{
    public const string Once = "once";
    public const string Day = "day";
    public const string Week = "week";
    public const string Month = "month";

    public static bool IsValid(string period) => period is Once or Day or Week or Month;

    /// <summary>
    /// Where the limit's current period began: calendar periods in UTC (a day from midnight, an ISO
    /// week from Monday, a month from its first day). <c>once</c> counts every award ever, so null.
    /// </summary>
    public static DateTimeOffset? PeriodStart(string period, DateTimeOffset now)
    {
        var day = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        return period switch
        {
            Once => null,
            Day => day,
            Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
            Month => new DateTimeOffset(day.Year, day.Month, 1, 0, 0, 0, TimeSpan.Zero),
            _ => throw new ArgumentOutOfRangeException(nameof(period), period, "Unknown limit period."),
        };
    }
}

/// <summary>An earn rule as the earning engine reads it. Multipliers and points per unit are in ten-thousandths.</summary>
public sealed record EarnRule(
    string Id, string? Name, string Type, long Points, long? PointsPerUnitE4, long MultiplierE4,
    string? LimitPeriod, long? LimitCount, IReadOnlyList<string> TierIds, long? StartsAt, long? EndsAt, bool Enabled)
{
    public const long NoMultiplierE4 = 10_000;

    /// <summary>A campaign multiplies the points of its type; it awards nothing by itself.</summary>
    public bool IsCampaign => MultiplierE4 != NoMultiplierE4;

    public bool InEffect(long nowMs) => Enabled && (StartsAt is null || StartsAt <= nowMs) && (EndsAt is null || EndsAt > nowMs);

    /// <summary>An empty tier list means every customer, with or without a tier.</summary>
    public bool AppliesToTier(string? tierId) => TierIds.Count == 0 || (tierId is not null && TierIds.Contains(tierId));

    /// <summary>The limit's count: one for <c>once</c>, the rule's count (default one) per period otherwise.</summary>
    public long Allowed => LimitPeriod == LimitPeriods.Once ? 1 : LimitCount ?? 1;
}

/// <summary>Which rule an activity earns from, and when birthdays fall. Pure functions, no I/O.</summary>
public static class EarnRulePolicy
{
    /// <summary>
    /// The one rule (not a campaign) that an activity of this type earns from, for a customer in this
    /// tier, now: the most specific that is in effect — one with a tier filter before one without, one
    /// with a date window before an open-ended one, then the newest. Null when none applies.
    /// </summary>
    /// <remarks>
    /// One rule per activity, so a tier-specific rule replaces the general one instead of adding to it,
    /// and a limit reached on the chosen rule is not bypassed through another rule of the same type.
    /// </remarks>
    public static EarnRule? Select(IEnumerable<EarnRule> rules, string type, string? tierId, long nowMs) =>
        rules
            .Where(r => r.Type == type && !r.IsCampaign && r.InEffect(nowMs) && r.AppliesToTier(tierId))
            .OrderByDescending(r => r.TierIds.Count > 0)
            .ThenByDescending(r => r.StartsAt is not null || r.EndsAt is not null)
            .ThenByDescending(r => r.Id, StringComparer.Ordinal)
            .FirstOrDefault();

    /// <summary>
    /// The multiplier of every enabled campaign (a rule with a multiplier other than 1) of this type that is
    /// running now and applies to the customer's tier. The caller combines them with the tier's multiplier in
    /// one <see cref="Limits.CombineMultipliers"/>, so that the cap applies to the product of them all
    /// (docs/API.md "Limits"). A campaign multiplies its own type only: a <c>review</c> campaign leaves orders
    /// and signups alone.
    /// </summary>
    public static IEnumerable<decimal> CampaignMultipliers(IEnumerable<EarnRule> rules, string type, string? tierId, long nowMs) =>
        rules
            .Where(r => r.Type == type && r.IsCampaign && r.InEffect(nowMs) && r.AppliesToTier(tierId))
            .Select(r => Money.FromE4(r.MultiplierE4));

    /// <summary>Days after a birthday on which a missed award (Patron was not running) is still made.</summary>
    public const int BirthdayGraceDays = 7;

    /// <summary>
    /// The "MM-DD" values of birthdays celebrated on <paramref name="date"/>: its own, and on 28 February
    /// of a non-leap year also 29 February.
    /// </summary>
    public static IReadOnlyList<string> BirthdaysOn(DateOnly date)
    {
        var own = date.ToString("MM-dd", CultureInfo.InvariantCulture);
        return date is { Month: 2, Day: 28 } && !DateTime.IsLeapYear(date.Year) ? [own, "02-29"] : [own];
    }

    /// <summary>The day a birthday is celebrated in <paramref name="year"/> (29 February falls on the 28th in other years).</summary>
    public static DateOnly? CelebratedIn(string birthday, int year)
    {
        if (!DateOnly.TryParseExact(birthday, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var born))
        {
            return null;
        }
        var day = born is { Month: 2, Day: 29 } && !DateTime.IsLeapYear(year) ? 28 : born.Day;
        return new DateOnly(year, born.Month, day);
    }

    /// <summary>
    /// The year whose birthday is due on <paramref name="today"/>: celebrated today, or in the
    /// <see cref="BirthdayGraceDays"/> days before (a run that was missed). Null when none is due.
    /// </summary>
    public static int? DueBirthdayYear(string birthday, DateOnly today)
    {
        foreach (var year in new[] { today.Year, today.Year - 1 })
        {
            if (CelebratedIn(birthday, year) is { } celebrated
                && celebrated <= today && celebrated.DayNumber > today.DayNumber - BirthdayGraceDays - 1)
            {
                return year;
            }
        }
        return null;
    }
}
