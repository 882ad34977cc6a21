namespace Patron.Domain;

/// <summary>Times are stored as Unix milliseconds (UTC).</summary>
public static class Time
{
    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
