using System.Net;
using Npgsql;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Hardening;

/// <summary>
/// When the database cannot give a request a connection (the pool is used up, the server refuses new
/// connections), the request answers 503 with <c>Retry-After</c> in the error envelope, writes nothing,
/// and the server serves again as soon as connections are free (docs/API.md, Errors).
/// </summary>
public sealed class DatabaseUnavailableTests
{
    [Fact]
    public async Task Requests_that_find_no_free_connection_answer_503_with_Retry_After_and_write_nothing()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        await using var server = await PatronServer.StartAsync(TestDatabases.Postgres, postgresPool: (Size: 2, TimeoutSeconds: 1));
        var customer = await NewCustomerAsync(server.Client, points: 100);

        // Hold the customer's row lock: each award waits for it while holding one of the server's two connections.
        var connectionString = server.DatabaseArgs.Single(a => a.StartsWith("--ConnectionStrings:Patron=", StringComparison.Ordinal))
            .Split('=', 2)[1];
        await using (var holder = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString))
        {
            await holder.OpenAsync(TestContext.Current.CancellationToken);
            await using var tx = await holder.BeginTransactionAsync(TestContext.Current.CancellationToken);
            await using (var lockRow = new NpgsqlCommand("SELECT id FROM customers WHERE id = @c FOR UPDATE", holder, tx))
            {
                lockRow.Parameters.AddWithValue("c", customer);
                await lockRow.ExecuteScalarAsync(TestContext.Current.CancellationToken);
            }

            var awards = Enumerable.Range(0, 6)
                .Select(i => server.Client.PostJsonAsync(PointsPath(customer), new { points = 10, reference = $"award-{i}" }))
                .ToArray();
            // Past the pool's one-second wait, the requests without a connection have answered.
            await Task.WhenAny(Task.WhenAll(awards), Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken));
            var early = await Task.WhenAll(awards.Where(a => a.IsCompleted));
            early.Length.ShouldBeGreaterThanOrEqualTo(1);
            foreach (var answer in early)
            {
                answer.Status.ShouldBe(HttpStatusCode.ServiceUnavailable, answer.Raw);
                answer.ErrorCode.ShouldBe("database_unavailable", answer.Raw);
                answer.Header("Retry-After").ShouldBe("1");
            }
            await tx.RollbackAsync(TestContext.Current.CancellationToken);

            var all = await Task.WhenAll(awards);
            all.ShouldAllBe(a => a.Status == HttpStatusCode.Created || a.Status == HttpStatusCode.ServiceUnavailable);
            var credited = all.Count(a => a.Status == HttpStatusCode.Created);
            (await BalanceAsync(server.Client, customer)).ShouldBe(100 + (10 * credited));
        }

        // With connections free again, the same kind of request succeeds.
        (await server.Client.PostJsonAsync(PointsPath(customer), new { points = 10, reference = "after" })).Status
            .ShouldBe(HttpStatusCode.Created);
    }
}
