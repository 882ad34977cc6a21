using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Durability;

/// <summary>
/// PostgreSQL restarted under write load (docs/RELIABILITY.md): on a cluster of the test's own, while
/// writers award points with unique references, PostgreSQL is stopped (<c>pg_ctl stop -m fast</c>) and
/// started again. While it is down, writes answer 503 <c>database_unavailable</c> with <c>Retry-After</c>,
/// never 500; Patron serves again by itself once PostgreSQL is back; every acknowledged write is in the
/// ledger exactly once, an unanswered one at most once, and every balance is the sum of its ledger.
/// </summary>
public sealed class PostgresRestartTests
{
    private const int CustomerCount = 10;
    private const int Writers = 4;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(60);

    private sealed record Sent(string Reference, string CustomerId, long Points);

    [Fact]
    public async Task Writes_answer_503_while_PostgreSQL_restarts_then_serve_again_with_every_acknowledged_write_there_once()
    {
        Assert.SkipWhen(PrivatePostgresCluster.Unavailable is not null, PrivatePostgresCluster.Unavailable ?? "");
        var cancellation = TestContext.Current.CancellationToken;
        await using var cluster = await PrivatePostgresCluster.StartAsync();
        var dataDir = PatronServer.NewDataDir();
        try
        {
            // A pool that gives up on a missing server within 2 s, so that requests answer while it is down.
            string[] databaseArgs =
            [
                "--Patron:Database:Provider=postgres",
                $"--ConnectionStrings:Patron={cluster.ConnectionString(poolSize: 20, timeoutSeconds: 2)}",
                $"--Patron:DataDir={dataDir}",
            ];
            var adminKey = "sk_test_" + Guid.NewGuid().ToString("N");
            await using var patron = await PatronProcess.StartAsync(databaseArgs, adminKey);
            var customers = new List<string>();
            for (var i = 0; i < CustomerCount; i++)
            {
                customers.Add(await NewCustomerAsync(patron.Client));
            }

            var acknowledged = new ConcurrentBag<Sent>();
            var unanswered = new ConcurrentBag<Sent>();
            var unavailable = new ConcurrentBag<string>();
            var wrong = new ConcurrentBag<string>();
            var down = 0;
            var restartedAt = long.MaxValue;
            var servedAgain = new TaskCompletionSource();
            using var stop = new CancellationTokenSource();

            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                var random = new Random(w * 31 + 7);
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var sent = new Sent($"restart-{w}-{n}", customers[random.Next(customers.Count)], random.Next(1, 100));
                    ApiResponse answer;
                    try
                    {
                        answer = await patron.Client.PostJsonAsync(PointsPath(sent.CustomerId), new { points = sent.Points, reference = sent.Reference });
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        unanswered.Add(sent);
                        wrong.Add($"{sent}: no answer ({e.Message})");
                        continue;
                    }
                    if (answer.Status == HttpStatusCode.Created)
                    {
                        acknowledged.Add(sent);
                        if (Stopwatch.GetTimestamp() > Interlocked.Read(ref restartedAt))
                        {
                            servedAgain.TrySetResult();
                        }
                    }
                    else if (answer.Code == 503 && answer.ErrorCode == "database_unavailable" && answer.Header("Retry-After") is { Length: > 0 })
                    {
                        // Not acknowledged: it may or may not have been committed before the connection went.
                        unanswered.Add(sent);
                        unavailable.Add(sent.Reference);
                        await Task.Delay(50, CancellationToken.None);
                    }
                    else
                    {
                        unanswered.Add(sent);
                        wrong.Add($"{sent} while PostgreSQL was {(Volatile.Read(ref down) == 1 ? "down" : "up")}: {answer.Code} Retry-After={answer.Header("Retry-After")} {answer.Raw}");
                    }
                }
            }, CancellationToken.None)).ToArray();

            await Task.Delay(TimeSpan.FromSeconds(1.5), cancellation);
            var beforeRestart = acknowledged.Count;
            Volatile.Write(ref down, 1);
            await cluster.StopServerAsync();
            await Task.Delay(Outage, cancellation);
            var refusedWhileDown = unavailable.Count;
            await cluster.StartServerAsync();
            Volatile.Write(ref down, 0);
            Interlocked.Exchange(ref restartedAt, Stopwatch.GetTimestamp());
            var recovery = Stopwatch.StartNew();
            var recovered = await Task.WhenAny(servedAgain.Task, Task.Delay(RecoveryLimit, cancellation)) == servedAgain.Task;
            recovery.Stop();
            await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
            await stop.CancelAsync();
            await Task.WhenAll(writers);

            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{acknowledged.Count} acknowledged ({beforeRestart} before the restart), {unavailable.Count} answered 503 ({refusedWhileDown} while down), {wrong.Count} other answers; "
                + $"first write acknowledged {recovery.ElapsedMilliseconds} ms after PostgreSQL was back");
            wrong.ShouldBeEmpty(patron.Output);
            beforeRestart.ShouldBeGreaterThan(0, "no write was acknowledged before the restart");
            refusedWhileDown.ShouldBeGreaterThan(0, "no write was refused while PostgreSQL was down: the outage was not observed");
            recovered.ShouldBeTrue($"Patron did not acknowledge a write within {RecoveryLimit} of PostgreSQL starting again\n{patron.Output}");

            var byReference = new Dictionary<string, List<LedgerEntry>>();
            foreach (var customer in customers)
            {
                var ledger = await LedgerAsync(patron.Client, customer);
                (await BalanceAsync(patron.Client, customer)).ShouldBe(ledger.Sum(e => e.Points), $"{customer}: the balance is not the sum of its ledger");
                foreach (var entry in ledger.Where(e => e.Reference is not null))
                {
                    if (!byReference.TryGetValue(entry.Reference!, out var list))
                    {
                        byReference[entry.Reference!] = list = [];
                    }
                    list.Add(entry);
                }
            }
            foreach (var sent in acknowledged)
            {
                byReference.TryGetValue(sent.Reference, out var found).ShouldBeTrue($"acknowledged {sent} is missing after the restart");
                found!.Count.ShouldBe(1, $"acknowledged {sent} is in the ledger more than once");
                found[0].CustomerId.ShouldBe(sent.CustomerId);
                found[0].Points.ShouldBe(sent.Points);
            }
            foreach (var sent in unanswered)
            {
                if (byReference.TryGetValue(sent.Reference, out var found))
                {
                    found.Count.ShouldBe(1, $"unacknowledged {sent} is in the ledger more than once");
                }
            }
        }
        finally
        {
            PatronServer.DeleteQuietly(dataDir);
        }
    }
}
