using System.Globalization;
using System.Text.Json;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Reliability;

/// <summary>
/// Fuzzing from the OpenAPI documents (docs/RELIABILITY.md): every documented operation of the native
/// API and of each dialect gets generated requests, valid and broken, against a real server. No answer
/// may be a 5xx, a native 4xx is always the error envelope, a 2xx keeps its documented schema, and
/// afterwards every customer's balance is the sum of its ledger.
/// Budget: <c>PATRON_FUZZ_SECONDS</c> per database (default 30); seed: <c>PATRON_FUZZ_SEED</c> (default
/// random, printed on failure); <c>PATRON_FUZZ_REPORT</c> names a file to append the run's figures to.
/// </summary>
public sealed class OpenApiFuzzTests
{
    private static readonly string[] Dialects = ["loyaltyplus", "loyaltyloop", "loyaltydog"];

    [Theory, DatabaseData]
    public async Task Every_documented_operation_answers_generated_requests_without_5xx_in_its_documented_shape_and_ledgers_stay_exact(string database)
    {
        var cancellation = TestContext.Current.CancellationToken;
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("PATRON_FUZZ_SECONDS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 30;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("PATRON_FUZZ_SEED"), CultureInfo.InvariantCulture, out var given) ? given : Random.Shared.Next();
        // Invalid keys are part of the fuzz: the throttle of failed authentications would soon refuse the valid ones too.
        await using var server = await PatronServer.StartAsync(database, settings: new Dictionary<string, string> { ["Patron:AuthThrottle:MaxFailures"] = "0" });
        // Keys of the fuzzer's own, which it must not revoke (DELETE /api_keys/{id} is fuzzed too).
        var admin = (await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Admin))!.Value;
        var read = (await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Read))!.Value;
        string[] keep = [admin.Key.Id, read.Key.Id];
        await SeedAsync(server.Client);

        var started = DateTimeOffset.UtcNow;
        var nativeShare = TimeSpan.FromSeconds(seconds * 0.6);
        var dialectShare = TimeSpan.FromSeconds(seconds * 0.4 / Dialects.Length);
        var runs = new List<OpenApiFuzzer>();
        var plain = server.ClientWithKey(null);
        var documents = new List<(string Name, bool Native, TimeSpan Budget)> { ("v1", true, nativeShare) };
        documents.AddRange(Dialects.Select(d => (d, false, dialectShare)));
        foreach (var (name, native, budget) in documents)
        {
            var answer = await plain.GetJsonAsync($"/openapi/{name}.json");
            answer.Code.ShouldBe(200, $"/openapi/{name}.json: {answer.Raw}");
            var fuzzer = new OpenApiFuzzer(name, plain, admin.Secret, read.Secret, keep, answer.Body, seed, native);
            fuzzer.Know("programs", server.ProgramId);
            fuzzer.Operations().ShouldNotBeEmpty($"/openapi/{name}.json documents no operation");
            await fuzzer.RunAsync(DateTimeOffset.UtcNow + budget, cancellation);
            runs.Add(fuzzer);
        }

        // A fresh key: the fuzzer may have revoked the bootstrap one.
        var checker = server.ClientWithKey((await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Admin))!.Value.Secret);
        var (customers, ledgerEntries) = await CheckLedgersAsync(checker);
        var summary = string.Join("; ", runs.Select((r, i) =>
            $"{documents[i].Name}: {r.Requests} requests over {r.PerOperation.Count} operations "
            + $"({string.Join(", ", r.ByStatusClass.OrderBy(c => c.Key).Select(c => $"{c.Value}x{c.Key}xx"))}; "
            + $"points entries posted: {r.SuccessesPerOperation.Where(o => o.Key.StartsWith("POST", StringComparison.Ordinal) && o.Key.EndsWith("points_transactions", StringComparison.Ordinal)).Sum(o => o.Value)} of "
            + $"{r.PerOperation.Where(o => o.Key.StartsWith("POST", StringComparison.Ordinal) && o.Key.EndsWith("points_transactions", StringComparison.Ordinal)).Sum(o => o.Value)})"))
            + $"; ledger invariant checked for {customers} customers ({ledgerEntries} entries)";
        var line = $"{DateTimeOffset.UtcNow:u} {database} seed={seed} budget={seconds}s elapsed={(DateTimeOffset.UtcNow - started).TotalSeconds:F0}s {summary}";
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Environment.GetEnvironmentVariable("PATRON_FUZZ_REPORT") is { Length: > 0 } report)
        {
            await File.AppendAllTextAsync(report, line + Environment.NewLine, cancellation);
        }

        var failures = runs.SelectMany(r => r.Failures).ToList();
        failures.ShouldBeEmpty($"seed {seed} (rerun with PATRON_FUZZ_SEED={seed}):\n" + string.Join("\n\n", failures));
        foreach (var run in runs)
        {
            // Every documented operation was exercised, and the valid requests reached most of them.
            run.PerOperation.Count.ShouldBe(run.Operations().Count);
        }
        var nativeRun = runs[0];
        nativeRun.SuccessesPerOperation.Count.ShouldBeGreaterThan(nativeRun.Operations().Count / 2,
            "too few operations ever answered 2xx: the generator no longer builds valid requests. Answered: "
            + string.Join(", ", nativeRun.SuccessesPerOperation.Keys));
    }

    [Theory, DatabaseData]
    public async Task The_ledger_check_counts_what_placed_orders_would_earn_in_pending_points(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await NewCustomerAsync(server.Client, points: 100);
        var placed = await server.Client.PostJsonAsync("/api/v1/orders", new { id = "placed-1", customer_id = customer, total = 30m, status = "placed" });
        placed.Code.ShouldBe(201, placed.Raw);
        placed.Long("points_pending").ShouldBeGreaterThan(0);

        var (customers, _) = await CheckLedgersAsync(server.Client);

        customers.ShouldBe(1);
    }

    /// <summary>A few resources of each kind, so that the fuzzer's first requests find ids to use.</summary>
    private static async Task SeedAsync(HttpClient client)
    {
        var customers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            customers.Add(await NewCustomerAsync(client, points: 500));
        }
        var reward = await client.PostJsonAsync("/api/v1/rewards", new { name = "Coffee", points_cost = 100 });
        await client.PostJsonAsync("/api/v1/vip_tiers", new { name = "Gold", points_required = 1000, multiplier = 1.5m });
        await client.PostJsonAsync("/api/v1/earn_rules", new { type = "review", points = 10 });
        await client.PostJsonAsync("/api/v1/orders", new { id = "seed-order", customer_id = customers[0], total = 25m, status = "paid" });
        await client.PostJsonAsync("/api/v1/gift_cards", new { initial_balance = 50m });
        await client.PostJsonAsync("/api/v1/webhook_endpoints", new { url = "http://127.0.0.1:9/hook" });
        await client.PostJsonAsync("/api/v1/activities", new { customer_id = customers[1], type = "review" });
        if (reward.Code == 201)
        {
            await client.PostJsonAsync($"/api/v1/customers/{customers[2]}/redemptions", new { reward_id = reward.Str("id") });
        }
    }

    /// <summary>
    /// For every customer: <c>points_balance</c> is the sum of its available ledger entries,
    /// <c>pending_points</c> the sum of its pending ones plus what its placed orders would earn (docs/API.md,
    /// Placed orders: nothing is in the ledger for them), the newest entry's <c>balance_after</c> is the
    /// balance, and a negative balance (a debt) comes only from points taken back (a <c>reversed</c> entry).
    /// </summary>
    private static async Task<(int Customers, int Entries)> CheckLedgersAsync(HttpClient client)
    {
        var customers = await client.AllAsync(CustomersPath);
        customers.ShouldNotBeEmpty();
        var entries = 0;
        var problems = new List<string>();
        foreach (var customer in customers)
        {
            var id = customer.GetProperty("id").GetString()!;
            var ledger = await client.AllAsync(PointsPath(id));
            entries += ledger.Count;
            var balance = customer.GetProperty("points_balance").GetInt64();
            var pending = customer.GetProperty("pending_points").GetInt64();
            var available = ledger.Where(e => e.GetProperty("status").GetString() != "pending").Sum(e => e.GetProperty("points").GetInt64());
            var placed = (await client.AllAsync($"/api/v1/orders?customer_id={id}&status=placed")).Sum(o => o.GetProperty("points_pending").GetInt64());
            var pendingSum = placed + ledger.Where(e => e.GetProperty("status").GetString() == "pending").Sum(e => e.GetProperty("points").GetInt64());
            if (balance != available)
            {
                problems.Add($"{id}: points_balance {balance} but its available entries sum to {available}");
            }
            if (pending != pendingSum)
            {
                problems.Add($"{id}: pending_points {pending} but its pending entries and placed orders sum to {pendingSum}");
            }
            if (balance < 0 && !ledger.Any(e => e.GetProperty("type").GetString() == "reversed"))
            {
                problems.Add($"{id}: points_balance {balance} is negative without a reversed entry (debt)");
            }
            var newest = ledger.Where(e => e.GetProperty("status").GetString() != "pending").Select(e => e.GetProperty("balance_after").GetInt64()).FirstOrDefault(balance);
            if (ledger.Count > 0 && newest != balance && ledger.All(e => e.GetProperty("status").GetString() != "pending"))
            {
                problems.Add($"{id}: the newest entry's balance_after is {newest}, the balance {balance}");
            }
        }
        problems.ShouldBeEmpty(string.Join("\n", problems) + "\n" + JsonSerializer.Serialize(customers.Count));
        return (customers.Count, entries);
    }
}
