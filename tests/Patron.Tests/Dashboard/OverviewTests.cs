using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Patron.Operations.Analytics;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Dashboard;

/// <summary>The dashboard's overview (docs/ADMIN.md, "The overview's figures") against what the API shows of the same program.</summary>
public sealed partial class OverviewTests
{
    private const string Owner = "owner@example.com";

    [Theory, DatabaseData]
    public async Task The_figures_equal_the_sums_of_the_customers_and_the_ledger_after_a_mix_of_changes(string database)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 13, 9, 0, 0, TimeSpan.Zero));
        await using var server = await PatronServer.StartAsync(database, clock);
        var client = server.Client;
        await AdminSession.CreateUserAsync(server, Owner, "owner");
        var reward = await client.PostJsonAsync("/api/v1/rewards", new { name = "Free coffee", type = "free_product", points_cost = 50 });
        reward.Status.ShouldBe(HttpStatusCode.Created, reward.Raw);

        var a = await NewCustomerAsync(client, points: 500);
        var b = await NewCustomerAsync(client);
        var blocked = await NewCustomerAsync(client, points: 70);
        var erased = await NewCustomerAsync(client, points: 40);
        await PostPointsAsync(client, b, 300);
        clock.Advance(TimeSpan.FromDays(1));
        await PostPointsAsync(client, a, -120, "adjusted");
        (await SpendAsync(client, b, 80)).Status.ShouldBe(HttpStatusCode.Created);
        var kept = await client.PostJsonAsync($"{CustomersPath}/{a}/redemptions", new { reward_id = reward.Str("id") });
        kept.Status.ShouldBe(HttpStatusCode.Created, kept.Raw);
        var cancelled = await client.PostJsonAsync($"{CustomersPath}/{b}/redemptions", new { reward_id = reward.Str("id") });
        cancelled.Status.ShouldBe(HttpStatusCode.Created, cancelled.Raw);
        (await client.PostJsonAsync($"/api/v1/redemptions/{cancelled.Str("id")}/cancel")).Status.ShouldBe(HttpStatusCode.OK);
        clock.Advance(TimeSpan.FromHours(20));
        await PostPointsAsync(client, blocked, 30);
        (await client.PatchJsonAsync($"{CustomersPath}/{blocked}", new { status = "blocked" })).Status.ShouldBe(HttpStatusCode.OK);
        await PostPointsAsync(client, erased, 15);
        (await client.DeleteJsonAsync($"{CustomersPath}/{erased}")).Status.ShouldBe(HttpStatusCode.OK);

        using var session = await AdminSession.SignInAsync(server, Owner);
        var page = await OverviewAsync(session);

        var customers = await client.AllAsync(CustomersPath);
        customers.Count.ShouldBe(3, "the erased customer is not listed");
        page.Members.ShouldBe(3);
        page.Blocked.ShouldBe(1);
        page.Issued.ShouldBe(customers.Sum(c => c.GetProperty("lifetime_points").GetInt64()));
        page.Spent.ShouldBe(customers.Sum(c => c.GetProperty("points_spent").GetInt64()));
        page.Outstanding.ShouldBe(customers.Sum(c => c.GetProperty("points_balance").GetInt64()));
        (page.Issued, page.Spent, page.Outstanding).ShouldBe((900L, 130L, 650L));
        page.Redemptions.ShouldBe(1);
        page.AsOf.ShouldBeNull("a small program's figures are counted on every load");
        page.Days.ShouldBe(await LedgerDaysAsync(client));
        // The chart counts every positive entry as earned (the cancelled redemption's refund too) and redemptions as spent.
        page.Days.ShouldBe(new SortedDictionary<string, (long, long)>(StringComparer.Ordinal)
        {
            ["2026-01-13"] = (910, 0),
            ["2026-01-14"] = (50, 180),
            ["2026-01-15"] = (45, 0),
        });
    }

    [Theory, DatabaseData]
    public async Task The_chart_from_kept_closed_hours_equals_the_ledger_and_the_live_query_across_hour_and_day_ends(string database)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 15, 22, 30, 0, TimeSpan.Zero));
        await using var server = await PatronServer.StartAsync(database, clock);
        var client = server.Client;
        await AdminSession.CreateUserAsync(server, Owner, "owner");
        using var session = await AdminSession.SignInAsync(server, Owner);
        var a = await NewCustomerAsync(client, points: 1000);

        // 22:30, 23:05 (the 22:00 hour not yet closed), 23:15 (it is), 00:05 the next day (23:00 not yet), 00:20 (closed).
        TimeSpan[] steps = [TimeSpan.Zero, TimeSpan.FromMinutes(35), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(50), TimeSpan.FromMinutes(15)];
        var points = 10;
        foreach (var step in steps)
        {
            clock.Advance(step);
            await PostPointsAsync(client, a, points++);
            (await SpendAsync(client, a, points++)).Status.ShouldBe(HttpStatusCode.Created);
            var page = await OverviewAsync(session);
            var ledger = await LedgerDaysAsync(client);
            page.Days.ShouldBe(ledger, $"at {clock.GetUtcNow():HH:mm}");
            page.Days.ShouldBe(await LiveQueryDaysAsync(server, clock.GetUtcNow()), $"at {clock.GetUtcNow():HH:mm}");
            (await OverviewAsync(session)).Days.ShouldBe(ledger, "a second load, from what the first kept");
        }
        (await LedgerDaysAsync(client)).ShouldBe(new SortedDictionary<string, (long, long)>(StringComparer.Ordinal)
        {
            ["2026-01-15"] = (1000 + 10 + 12 + 14, 11 + 13 + 15),
            ["2026-01-16"] = (16 + 18, 17 + 19),
        });
    }

    [Theory, DatabaseData]
    public async Task A_large_program_shows_the_last_count_with_its_time_and_counts_again_in_the_background_a_minute_later(string database)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        // Every program counts as large: no count is quick enough, and no program small enough.
        await using var server = await PatronServer.StartAsync(database, clock, new Dictionary<string, string>
        {
            ["Patron:Dashboard:LiveOverviewMs"] = "0",
            ["Patron:Dashboard:LiveOverviewMembers"] = "0",
        });
        var client = server.Client;
        await AdminSession.CreateUserAsync(server, Owner, "owner");
        using var session = await AdminSession.SignInAsync(server, Owner);
        var a = await NewCustomerAsync(client, points: 100);

        var first = await OverviewAsync(session);
        first.Issued.ShouldBe(100, "the first load counts");
        first.AsOf.ShouldBe("12:00");

        clock.Advance(TimeSpan.FromSeconds(59));
        await PostPointsAsync(client, a, 50);
        var kept = await OverviewAsync(session);
        (kept.Issued, kept.Members, kept.AsOf).ShouldBe((100L, 1L, "12:00"), "within the minute the last count is shown");
        kept.Days["2026-01-15"].ShouldBe((150L, 0L), "the chart is counted on every load");

        clock.Advance(TimeSpan.FromSeconds(2));
        await NewCustomerAsync(client, points: 7);
        var stale = await OverviewAsync(session);
        (stale.Issued, stale.AsOf).ShouldBe((100L, "12:00"), "the new count runs in the background, not for this load");

        var deadline = DateTime.UtcNow.AddSeconds(60);
        var refreshed = stale;
        while (refreshed.AsOf == "12:00" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            refreshed = await OverviewAsync(session);
        }
        (refreshed.Members, refreshed.Issued, refreshed.Outstanding, refreshed.AsOf).ShouldBe((2L, 157L, 157L, "12:01"));
    }

    private sealed record Page(
        long Members, long Blocked, long Issued, long Spent, long Outstanding, long Redemptions, string? AsOf, SortedDictionary<string, (long, long)> Days);

    [GeneratedRegex("""id="(members|issued|spent|outstanding|redemptions)">([0-9,]+)<""")]
    private static partial Regex Card();

    [GeneratedRegex(@"Members \(([0-9,]+) blocked\)")]
    private static partial Regex BlockedLabel();

    [GeneratedRegex("""<p id="as-of">[^<]*as of ([0-9]{2}:[0-9]{2}) UTC""")]
    private static partial Regex AsOf();

    [GeneratedRegex("""<tr><td>([0-9-]{10})</td><td class="num">([0-9,]+)</td><td class="num">([0-9,]+)</td></tr>""")]
    private static partial Regex ChartRow();

    private static SortedDictionary<string, (long, long)> Sorted(Dictionary<string, (long, long)> days) => new(days, StringComparer.Ordinal);

    private static long Number(string text) => long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    private static async Task<Page> OverviewAsync(AdminSession session)
    {
        var (status, html, _) = await session.GetAsync("/admin");
        status.ShouldBe(HttpStatusCode.OK, html);
        var cards = Card().Matches(html).ToDictionary(m => m.Groups[1].Value, m => Number(m.Groups[2].Value));
        cards.Count.ShouldBe(5, html);
        var asOf = AsOf().Match(html);
        var days = Sorted(ChartRow().Matches(html).ToDictionary(m => m.Groups[1].Value, m => (Number(m.Groups[2].Value), Number(m.Groups[3].Value))));
        return new Page(cards["members"], Number(BlockedLabel().Match(html).Groups[1].Value), cards["issued"], cards["spent"],
            cards["outstanding"], cards["redemptions"], asOf.Success ? asOf.Groups[1].Value : null, days);
    }

    /// <summary>Per UTC day with any, from the API's ledger: points of positive entries, and points of redemptions.</summary>
    private static async Task<SortedDictionary<string, (long, long)>> LedgerDaysAsync(HttpClient client) => Sorted(
        (await client.AllAsync("/api/v1/points_transactions"))
            .GroupBy(e => e.GetProperty("created_at").GetString()![..10])
            .ToDictionary(g => g.Key, g => (
                g.Sum(e => Math.Max(e.GetProperty("points").GetInt64(), 0)),
                g.Where(e => e.GetProperty("type").GetString() == "redeemed").Sum(e => -e.GetProperty("points").GetInt64()))));

    /// <summary>The days with any, as one query over the whole window counts them.</summary>
    private static async Task<SortedDictionary<string, (long, long)>> LiveQueryDaysAsync(PatronServer server, DateTimeOffset now)
    {
        var from = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-29);
        var sums = await server.App.Services.GetRequiredService<Database>().ReadAsync(sql =>
            ProgramOverview.SumsAsync(sql, server.ProgramId, from.ToUnixTimeMilliseconds(), long.MaxValue, 86_400_000, now));
        return Sorted(sums.Where(s => s.Value.Earned != 0 || s.Value.Spent != 0).ToDictionary(
            s => from.AddDays(s.Key).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), s => (s.Value.Earned, s.Value.Spent)));
    }
}
