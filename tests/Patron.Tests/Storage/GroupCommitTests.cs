using Microsoft.Extensions.DependencyInjection;
using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Operations.VipTiers;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Storage;

/// <summary>
/// The write path's group commit with operations that fail inside a batch: the writer is held inside one
/// operation until the others are queued behind it, so that they run in one transaction, in order.
/// </summary>
public sealed class GroupCommitTests
{
    private static int QueueDepth(IWritePath path) => path switch
    {
        SqliteWritePath sqlite => sqlite.QueueDepth,
        PostgresWritePath postgres => postgres.QueueDepth,
        _ => throw new InvalidOperationException($"No queue on {path.GetType().Name}."),
    };

    /// <summary>
    /// Holds the writer inside an operation of its own until the gate opens. The caller must open it whatever happens
    /// (the server could not stop), and then wait for the holder.
    /// </summary>
    private static async Task<(Task Holder, TaskCompletionSource Gate)> HoldWriterAsync(IWritePath path)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = path.RunAsync(async _ =>
        {
            entered.TrySetResult();
            await gate.Task;
            return 0;
        });
        try
        {
            await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        catch
        {
            gate.TrySetResult();
            throw;
        }
        return (holder, gate);
    }

    /// <summary>Queues the operations while the writer is held, so that the next batch holds them all, in this order.</summary>
    private static async Task<Task<T>[]> RunInOneBatchAsync<T>(IWritePath path, params Func<WriteContext, Task<T>>[] operations)
    {
        var (holder, gate) = await HoldWriterAsync(path);
        Task<T>[] queued;
        try
        {
            queued = [.. operations.Select(path.RunAsync)];
            await WaitUntilAsync(() => Task.FromResult(QueueDepth(path) >= operations.Length), "the operations were not queued");
        }
        finally
        {
            // Whatever happened, the writer must not stay held: the server could not stop.
            gate.TrySetResult();
        }
        await holder;
        return queued;
    }

    /// <summary>A server with one writer (PostgreSQL may run several, and a second one would take the queued operations).</summary>
    private static Task<PatronServer> StartOneWriterAsync(string database) =>
        PatronServer.StartAsync(database, settings: new Dictionary<string, string> { ["Patron:Database:Writers"] = "1" });

    private static Func<WriteContext, Task<CustomerDto>> Create(PatronServer server, string externalId, long points, Action? ran = null) =>
        async context =>
        {
            ran?.Invoke();
            var fields = CustomerFields.From(new CustomerInput { ExternalId = externalId });
            return (await CustomerOperations.CreateOrUpdateAsync(context, server.ProgramId, fields, points, null, "test")).Customer;
        };

    /// <summary>Creates a customer (its row, opening entry and events), then fails.</summary>
    private static Func<WriteContext, Task<CustomerDto>> CreateThenFail(PatronServer server, string externalId, long points) =>
        async context =>
        {
            await Create(server, externalId, points)(context);
            throw new InvalidOperationException("fails after its writes");
        };

    /// <summary>Exactly this many customers were committed, each with its opening entry and its event.</summary>
    private static async Task ShouldHoldCustomersAsync(PatronServer server, int count)
    {
        (await server.Client.TotalAsync(CustomersPath)).ShouldBe(count);
        (await server.Client.TotalAsync("/api/v1/points_transactions")).ShouldBe(count);
        (await server.Client.TotalAsync("/api/v1/events?type=customer.created")).ShouldBe(count);
    }

    [Theory, DatabaseData]
    public async Task An_operation_that_fails_after_writing_leaves_nothing_and_the_operations_batched_around_it_are_kept_with_their_results(string database)
    {
        await using var server = await StartOneWriterAsync(database);
        var ops = await RunInOneBatchAsync(server.WritePath,
            Create(server, "before", 5),
            CreateThenFail(server, "failing", 9),
            Create(server, "after", 7));

        var before = await ops[0];
        (await Should.ThrowAsync<InvalidOperationException>(ops[1])).Message.ShouldBe("fails after its writes");
        var after = await ops[2];

        // What each caller was given is what was committed.
        var storedBefore = await server.Client.GetJsonAsync($"{CustomersPath}/before");
        storedBefore.Str("id").ShouldBe(before.Id);
        storedBefore.Long("points_balance").ShouldBe(5);
        var storedAfter = await server.Client.GetJsonAsync($"{CustomersPath}/after");
        storedAfter.Str("id").ShouldBe(after.Id);
        storedAfter.Long("points_balance").ShouldBe(7);
        (await server.Client.GetJsonAsync($"{CustomersPath}/failing")).Code.ShouldBe(404);
        await ShouldHoldCustomersAsync(server, 2);
    }

    [Theory, DatabaseData]
    public async Task An_operation_that_fails_after_writing_at_the_head_of_a_batch_leaves_nothing_and_the_others_run_once(string database)
    {
        await using var server = await StartOneWriterAsync(database);
        int afterRuns = 0;
        var ops = await RunInOneBatchAsync(server.WritePath,
            CreateThenFail(server, "failing", 9),
            Create(server, "after", 7, () => Interlocked.Increment(ref afterRuns)));

        (await Should.ThrowAsync<InvalidOperationException>(ops[0])).Message.ShouldBe("fails after its writes");
        var after = await ops[1];
        (await server.Client.GetJsonAsync($"{CustomersPath}/after")).Str("id").ShouldBe(after.Id);
        (await server.Client.GetJsonAsync($"{CustomersPath}/failing")).Code.ShouldBe(404);
        (await server.Client.TotalAsync("/api/v1/points_transactions")).ShouldBe(1);
        afterRuns.ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task An_operation_refused_before_it_writes_fails_alone_and_the_others_run_once(string database)
    {
        await using var server = await StartOneWriterAsync(database);
        int beforeRuns = 0, afterRuns = 0;
        var ops = await RunInOneBatchAsync(server.WritePath,
            Create(server, "before", 5, () => Interlocked.Increment(ref beforeRuns)),
            _ => Task.FromException<CustomerDto>(OperationException.Invalid("points", "refused before any write")),
            Create(server, "after", 7, () => Interlocked.Increment(ref afterRuns)));

        (await ops[0]).PointsBalance.ShouldBe(5);
        (await Should.ThrowAsync<OperationException>(ops[1])).Message.ShouldBe("refused before any write");
        (await ops[2]).PointsBalance.ShouldBe(7);
        beforeRuns.ShouldBe(1);
        afterRuns.ShouldBe(1);
        (await server.Client.TotalAsync(CustomersPath)).ShouldBe(2);
    }

    /// <summary>Polls <paramref name="condition"/> for up to 10 seconds.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, failure);
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>PostgreSQL sessions waiting for a lock on api_keys.</summary>
    private static async Task<long> WaitingForApiKeysAsync(Database db)
    {
        await using var connection = await db.OpenAsync(TestContext.Current.CancellationToken);
        return Convert.ToInt64(await new Sql(connection).ScalarAsync(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'api_keys' AND NOT l.granted"));
    }

    [Fact]
    [Trait(TestDatabases.Trait, TestDatabases.Postgres)]
    public async Task A_batch_whose_key_check_gives_up_waiting_runs_every_operation_again_alone_and_once()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        await using var server = await StartOneWriterAsync(TestDatabases.Postgres);
        var path = server.WritePath;
        var ct = TestContext.Current.CancellationToken;
        var db = server.App.Services.GetRequiredService<Database>();
        await using var locker = await db.OpenAsync(ct);
        await using var lockHeld = await locker.BeginTransactionAsync(ct);
        int firstRuns = 0, secondRuns = 0;
        Task<CustomerDto> first, second;
        var (holder, gate) = await HoldWriterAsync(path);
        try
        {
            // Another session holds api_keys, so the next batch's key check waits longer than a batch waits for a lock.
            await new Sql(locker, lockHeld).ExecuteAsync("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE");
            WriteKey.Require("key_of_this_request");
            first = path.RunAsync(Create(server, "first", 5, () => Interlocked.Increment(ref firstRuns)));
            second = path.RunAsync(Create(server, "second", 7, () => Interlocked.Increment(ref secondRuns)));
            await WaitUntilAsync(() => Task.FromResult(QueueDepth(path) >= 2), "the operations were not queued");
        }
        finally
        {
            gate.TrySetResult();
        }
        await holder;
        // The batch's key check gives up after LockWait; then each operation, run alone, waits for the lock on its own:
        // two sessions waiting at once, which a batch that still held both operations would never show.
        await WaitUntilAsync(async () => await WaitingForApiKeysAsync(db) >= 2, "the operations did not run again alone");
        await lockHeld.CommitAsync(ct);

        (await first).PointsBalance.ShouldBe(5);
        (await second).PointsBalance.ShouldBe(7);
        firstRuns.ShouldBe(1);
        secondRuns.ShouldBe(1);
        (await server.Client.TotalAsync(CustomersPath)).ShouldBe(2);
    }

    [Theory, DatabaseData]
    public async Task Failures_one_after_another_inside_a_batch_each_leave_nothing_and_every_success_between_them_is_kept(string database)
    {
        await using var server = await StartOneWriterAsync(database);
        var ops = await RunInOneBatchAsync(server.WritePath,
            Create(server, "one", 1),
            CreateThenFail(server, "fail-a", 90),
            CreateThenFail(server, "fail-b", 91),
            Create(server, "two", 2),
            _ => Task.FromException<CustomerDto>(OperationException.Invalid("points", "refused before any write")),
            Create(server, "three", 3),
            CreateThenFail(server, "fail-c", 92),
            _ => Task.FromException<CustomerDto>(OperationException.Invalid("points", "refused before any write")),
            Create(server, "four", 4));

        foreach (var (index, balance) in new[] { (0, 1L), (3, 2L), (5, 3L), (8, 4L) })
        {
            (await ops[index]).PointsBalance.ShouldBe(balance);
        }
        foreach (var failed in new[] { 1, 2, 6 })
        {
            (await Should.ThrowAsync<InvalidOperationException>(ops[failed])).Message.ShouldBe("fails after its writes");
        }
        foreach (var refused in new[] { 4, 7 })
        {
            await Should.ThrowAsync<OperationException>(ops[refused]);
        }
        foreach (var (externalId, balance) in new[] { ("one", 1L), ("two", 2L), ("three", 3L), ("four", 4L) })
        {
            (await server.Client.GetJsonAsync($"{CustomersPath}/{externalId}")).Long("points_balance").ShouldBe(balance);
        }
        await ShouldHoldCustomersAsync(server, 4);
    }

    [Theory, DatabaseData]
    public async Task An_operation_written_through_EF_Core_inside_a_batch_is_kept_or_rolled_back_with_its_own_savepoint(string database)
    {
        await using var server = await StartOneWriterAsync(database);
        var ops = await RunInOneBatchAsync(server.WritePath,
            Create(server, "before", 5),
            async context =>
            {
                // EF Core's first command is this operation's first statement.
                await VipTierOperations.CreateAsync(context, Actor.Cli,
                    VipTierOperations.Prepare(server.ProgramId, new VipTierSettings("Rolled back", PointsRequired: 1_000)));
                throw new InvalidOperationException("fails after its writes");
            },
            async context =>
            {
                await VipTierOperations.CreateAsync(context, Actor.Cli,
                    VipTierOperations.Prepare(server.ProgramId, new VipTierSettings("Kept", PointsRequired: 2_000)));
                return await Create(server, "after", 7)(context);
            });

        (await ops[0]).PointsBalance.ShouldBe(5);
        (await Should.ThrowAsync<InvalidOperationException>(ops[1])).Message.ShouldBe("fails after its writes");
        (await ops[2]).PointsBalance.ShouldBe(7);
        var tiers = await server.Client.GetJsonAsync("/api/v1/vip_tiers");
        tiers["data"].EnumerateArray().Select(t => t.GetProperty("name").GetString()).ShouldBe(["Kept"]);
        await ShouldHoldCustomersAsync(server, 2);
    }

    [Fact]
    public async Task An_operation_that_breaks_the_batch_transaction_on_sqlite_fails_every_caller_of_the_batch_instead_of_leaving_them_waiting()
    {
        await using var server = await StartOneWriterAsync(TestDatabases.Sqlite);
        var ops = await RunInOneBatchAsync(server.WritePath,
            Create(server, "before", 5),
            async context =>
            {
                // Ends the writer's own savepoint: rolling this operation back alone is then impossible.
                await context.Sql.ExecuteAsync("RELEASE op");
                throw new InvalidOperationException("broke the savepoint");
            },
            Create(server, "after", 7));

        var outcomes = await Task.WhenAll(ops.Select(async op =>
            await Should.ThrowAsync<Exception>(op.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken))));
        outcomes.ShouldNotContain(e => e.GetType() == typeof(TimeoutException));
        outcomes[1].Message.ShouldBe("broke the savepoint");
        await ShouldHoldCustomersAsync(server, 0);

        // The writer goes on with the next batch.
        (await server.WritePath.RunAsync(Create(server, "next", 3))).PointsBalance.ShouldBe(3);
        await ShouldHoldCustomersAsync(server, 1);
    }

    [Theory, DatabaseData]
    public async Task An_after_commit_action_that_throws_neither_skips_the_others_nor_stops_the_writer(string database)
    {
        await using var server = await StartOneWriterAsync(database);
        var ran = 0;
        var ops = await RunInOneBatchAsync(server.WritePath,
            async context =>
            {
                context.AfterCommit.Add(() => throw new InvalidOperationException("after-commit action failed"));
                return await Create(server, "first", 5)(context);
            },
            async context =>
            {
                context.AfterCommit.Add(() => Interlocked.Increment(ref ran));
                return await Create(server, "second", 7)(context);
            });

        // Both are committed, so both callers are told so.
        (await ops[0].WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)).PointsBalance.ShouldBe(5);
        (await ops[1].WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)).PointsBalance.ShouldBe(7);
        ran.ShouldBe(1);
        (await server.WritePath.RunAsync(Create(server, "next", 3)).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken))
            .PointsBalance.ShouldBe(3);
        await ShouldHoldCustomersAsync(server, 3);
    }
}
