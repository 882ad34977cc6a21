using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Patron.Domain;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Domain;

/// <summary>
/// Properties of the points ledger (docs/API.md "Points ledger", section 5 guarantee 1): first of
/// the pure rules in <see cref="LedgerRules"/>, then of the running server over HTTP.
/// </summary>
public sealed class LedgerPropertyTests
{
    /// <summary>One ledger entry as a client or the system would post it.</summary>
    public sealed record Op(string Type, long Points)
    {
        public override string ToString() => $"{Type} {Points:+#;-#}";
    }

    private static Gen<long> Magnitude =>
        // Small amounts hit the "exactly the balance" boundary often; large ones overdraw.
        Gen.Frequency((3, Gen.Choose(1, 20)), (1, Gen.Choose(1, 1000))).Select(n => (long)n);

    private static Gen<Op> AnyOp => Gen.Frequency(
        (4, Magnitude.Select(p => new Op(PointsTypes.Earned, p))),
        (3, Magnitude.Select(p => new Op(PointsTypes.Redeemed, -p))),
        (2, Magnitude.Select(p => new Op(PointsTypes.Adjusted, p))),
        (2, Magnitude.Select(p => new Op(PointsTypes.Adjusted, -p))),
        (1, Magnitude.Select(p => new Op(PointsTypes.Expired, -p))),
        // Wrong signs, which a client may not post at all.
        (1, Magnitude.Select(p => new Op(PointsTypes.Earned, -p))),
        (1, Magnitude.Select(p => new Op(PointsTypes.Redeemed, p))));

    /// <summary>Lists shrink by dropping one element at a time, so a failure is reported as a short sequence.</summary>
    private static IEnumerable<T[]> DropOne<T>(T[] items) =>
        Enumerable.Range(0, items.Length).Select(i => items.Where((_, j) => j != i).ToArray());

    private static Arbitrary<T[]> Sequences<T>(Gen<T> element, int maxLength) =>
        Arb.From(Gen.Choose(0, maxLength).SelectMany(n => Gen.ArrayOf(element, n)), DropOne);

    [Fact]
    public void Applying_any_sequence_of_entries_keeps_the_balance_equal_to_the_accepted_entries_and_never_negative()
    {
        var property = Prop.ForAll(Sequences(AnyOp, 60), ops =>
        {
            long balance = 0, lifetime = 0, spent = 0, expired = 0;
            var accepted = new List<Op>();
            foreach (var op in ops)
            {
                var wrongSign = (op.Type == PointsTypes.Earned && op.Points < 0) || (op.Type == PointsTypes.Redeemed && op.Points > 0);
                (LedgerRules.SignError(op.Type, op.Points) is not null).ShouldBe(wrongSign, op.ToString());
                if (wrongSign)
                {
                    continue;
                }

                // Refused exactly when the entry would take the balance below zero; credits are never refused.
                var allowed = LedgerRules.Allowed(balance, op.Points);
                allowed.ShouldBe(op.Points > 0 || balance + op.Points >= 0, $"{op} on a balance of {balance}");
                if (!allowed)
                {
                    continue;
                }

                var d = LedgerRules.Deltas(op.Type, op.Points);
                d.Balance.ShouldBe(op.Points, $"every entry moves the balance by its points: {op}");
                d.Lifetime.ShouldBeGreaterThanOrEqualTo(0, op.ToString());
                d.Spent.ShouldBeGreaterThanOrEqualTo(0, op.ToString());
                d.Expired.ShouldBeGreaterThanOrEqualTo(0, op.ToString());
                balance += d.Balance;
                lifetime += d.Lifetime;
                spent += d.Spent;
                expired += d.Expired;
                accepted.Add(op);

                balance.ShouldBeGreaterThanOrEqualTo(0);
                balance.ShouldBe(accepted.Sum(e => e.Points));
                lifetime.ShouldBe(accepted.Where(e => e.Type is PointsTypes.Earned or PointsTypes.Adjusted && e.Points > 0).Sum(e => e.Points),
                    "lifetime counts every point ever earned, whatever became of it");
                spent.ShouldBe(-accepted.Where(e => e.Type == PointsTypes.Redeemed).Sum(e => e.Points));
                expired.ShouldBe(-accepted.Where(e => e.Type == PointsTypes.Expired).Sum(e => e.Points));

                // The counters explain the balance except for points taken away by negative adjustments,
                // which no counter records (lifetime_points never goes down):
                //   balance = lifetime - spent - expired - (points removed by negative adjustments)
                var removedByAdjustments = -accepted.Where(e => e.Type == PointsTypes.Adjusted && e.Points < 0).Sum(e => e.Points);
                balance.ShouldBe(lifetime - spent - expired - removedByAdjustments);
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Fact]
    public void Without_negative_adjustments_the_balance_is_exactly_lifetime_minus_spent_minus_expired()
    {
        var noNegativeAdjustments = AnyOp.Where(op => !(op.Type == PointsTypes.Adjusted && op.Points < 0));
        var property = Prop.ForAll(Sequences(noNegativeAdjustments, 60), ops =>
        {
            long balance = 0, lifetime = 0, spent = 0, expired = 0;
            foreach (var op in ops.Where(op => LedgerRules.SignError(op.Type, op.Points) is null))
            {
                if (!LedgerRules.Allowed(balance, op.Points))
                {
                    continue;
                }
                var d = LedgerRules.Deltas(op.Type, op.Points);
                balance += d.Balance;
                lifetime += d.Lifetime;
                spent += d.Spent;
                expired += d.Expired;
                balance.ShouldBe(lifetime - spent - expired, op.ToString());
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Fact]
    public void A_negative_adjustment_lowers_the_balance_but_no_counter_so_lifetime_minus_spent_minus_expired_overstates_it()
    {
        var earned = LedgerRules.Deltas(PointsTypes.Earned, 100);
        var adjusted = LedgerRules.Deltas(PointsTypes.Adjusted, -30);

        var balance = earned.Balance + adjusted.Balance;
        var lifetime = earned.Lifetime + adjusted.Lifetime;
        var spent = earned.Spent + adjusted.Spent;
        var expired = earned.Expired + adjusted.Expired;

        balance.ShouldBe(70);
        lifetime.ShouldBe(100);
        (lifetime - spent - expired).ShouldBe(100);
    }

    // ---- The same properties through the HTTP API, against one in-process server ----

    /// <summary>
    /// One request: post <see cref="Type"/>/<see cref="Points"/>; or, with <see cref="DeductBalancePlus"/>,
    /// deduct the balance the model expects plus that offset (-1, 0 or 1: the refusal boundary); or, with
    /// <see cref="ReplayOf"/>, reuse the reference of an earlier request of the sequence (index modulo its
    /// position) with this body, which may differ from the first one.
    /// </summary>
    public sealed record HttpOp(string Type, long Points, int? ReplayOf = null, int? DeductBalancePlus = null)
    {
        public long PointsOn(long balance) =>
            DeductBalancePlus is { } offset ? -Math.Max(balance + offset, 1) : Points;

        public override string ToString() =>
            (DeductBalancePlus is { } o ? $"{Type} -(balance{o:+#;-#;+0})" : $"{Type} {Points:+#;-#}")
            + (ReplayOf is { } r ? $" reusing reference #{r}" : "");
    }

    private static Gen<HttpOp> AnyHttpOp
    {
        get
        {
            var small = Gen.Choose(1, 60).Select(n => (long)n);
            var deduction = Gen.Elements(PointsTypes.Redeemed, PointsTypes.Adjusted);
            var fresh = Gen.Frequency(
                (4, small.Select(p => new HttpOp(PointsTypes.Earned, p))),
                (3, small.Select(p => new HttpOp(PointsTypes.Redeemed, -p))),
                (1, small.Select(p => new HttpOp(PointsTypes.Adjusted, p))),
                (2, small.Select(p => new HttpOp(PointsTypes.Adjusted, -p))),
                (2, deduction.SelectMany(t => Gen.Choose(-1, 1).Select(o => new HttpOp(t, 0, DeductBalancePlus: o)))));
            return Gen.Frequency(
                (5, fresh),
                (1, fresh.SelectMany(op => Gen.Choose(0, 14).Select(r => op with { ReplayOf = r }))));
        }
    }

    [Fact, Trait(TestDatabases.Trait, TestDatabases.Sqlite)]
    public async Task Through_the_API_any_sequence_of_awards_and_deductions_leaves_balance_ledger_and_model_in_agreement()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var client = server.Client;
        var property = Prop.ForAll(Sequences(AnyHttpOp, 15), ops =>
            // FsCheck runs properties synchronously; the HTTP work runs on the thread pool meanwhile.
            Task.Run(() => RunSequenceAsync(client, ops)).GetAwaiter().GetResult());
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(30), property), TestContext.Current.CancellationToken);
    }

    private static async Task RunSequenceAsync(HttpClient client, HttpOp[] ops)
    {
        var created = await client.PostJsonAsync("/api/v1/customers", new { email = $"prop-{Guid.NewGuid():N}@example.com" });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        var customer = created.Str("id");
        var path = $"/api/v1/customers/{customer}/points_transactions";

        // The model: a balance that only the spec's rule moves, and the entries it accepted by reference.
        long balance = 0;
        var accepted = new Dictionary<string, (string Id, long Points, string Type)>();
        var references = new List<string>();
        for (var i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            var points = op.PointsOn(balance);
            var reference = op.ReplayOf is { } r && i > 0 ? references[r % i] : $"op-{i}";
            references.Add(reference);
            var step = $"step {i} ({op} = {points}, reference {reference}) on a model balance of {balance}";

            var response = await client.PostJsonAsync(path, new { points, type = op.Type, reference });
            if (accepted.TryGetValue(reference, out var original))
            {
                // A repeated reference returns the original entry and credits nothing, whatever the new body says.
                response.Status.ShouldBe(HttpStatusCode.OK, $"{step}: {response.Raw}");
                response.Str("id").ShouldBe(original.Id, step);
                response.Long("points").ShouldBe(original.Points, step);
            }
            else if (balance + points < 0)
            {
                response.Code.ShouldBe(422, $"{step}: {response.Raw}");
                response.ErrorCode.ShouldBe("insufficient_points", step);
            }
            else
            {
                response.Status.ShouldBe(HttpStatusCode.Created, $"{step}: {response.Raw}");
                balance += points;
                response.Long("points").ShouldBe(points, step);
                response.Str("type").ShouldBe(op.Type, step);
                response.Long("balance_after").ShouldBe(balance, step);
                accepted[reference] = (response.Str("id"), points, op.Type);
            }
        }

        var got = await client.GetJsonAsync($"/api/v1/customers/{customer}");
        got.Status.ShouldBe(HttpStatusCode.OK, got.Raw);
        got.Long("points_balance").ShouldBe(balance);
        got.Long("points_balance").ShouldBeGreaterThanOrEqualTo(0);
        var entries = accepted.Values.ToList();
        got.Long("lifetime_points").ShouldBe(entries.Where(e => e.Points > 0).Sum(e => e.Points));
        got.Long("points_spent").ShouldBe(-entries.Where(e => e.Type == PointsTypes.Redeemed).Sum(e => e.Points));
        got.Long("points_expired").ShouldBe(0);

        var ledger = new List<(string Id, long Points, string? Reference)>();
        string? after = null;
        while (true)
        {
            var page = await client.GetJsonAsync($"{path}?limit=100" + (after is null ? "" : $"&starting_after={after}"));
            page.Status.ShouldBe(HttpStatusCode.OK, page.Raw);
            ledger.AddRange(page["data"].EnumerateArray().Select(e =>
                (e.GetProperty("id").GetString()!, e.GetProperty("points").GetInt64(), e.GetProperty("reference").GetString())));
            if (!page["has_more"].GetBoolean())
            {
                break;
            }
            after = ledger[^1].Id;
        }
        ledger.Sum(e => e.Points).ShouldBe(balance, "the ledger sums to the balance");
        ledger.Select(e => e.Id).Order().ShouldBe(accepted.Values.Select(e => e.Id).Order(), "the ledger holds exactly the accepted entries");
        ledger.Select(e => e.Reference).Order().ShouldBe(accepted.Keys.Order());
    }
}
