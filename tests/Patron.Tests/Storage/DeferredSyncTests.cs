using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Patron.Tests.Mcp;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Storage;

/// <summary>
/// The SQLite server's writer commits a batch and has its log synced beside it (docs/ARCHITECTURE.md, "One
/// write path"): the commit is readable before it is on disk, so nothing may leave the server about it,
/// neither the write's answer nor a read that saw it, until the sync is done (docs/RELIABILITY.md,
/// guarantee 1). The tests hold the sync.
/// </summary>
[Trait(TestDatabases.Trait, TestDatabases.Sqlite)]
public sealed class DeferredSyncTests
{
    private static readonly TimeSpan Held = TimeSpan.FromMilliseconds(400);

    private static Task<long> StoredBalanceAsync(PatronServer server, string customer) =>
        server.App.Services.GetRequiredService<Database>().ReadAsync(async sql =>
            Convert.ToInt64(await sql.ScalarAsync("SELECT points_balance FROM customers WHERE id = @c", ("c", customer))));

    [Fact]
    public async Task A_write_is_answered_only_once_its_commit_is_on_disk_and_a_read_that_saw_the_commit_waits_for_it_too()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var writer = server.WritePath.ShouldBeOfType<SqliteWritePath>();
        writer.Durability.Deferred.ShouldBeTrue();
        var customer = await NewCustomerAsync(server.Client, points: 10);

        var syncing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        writer.BeforeSync = async () =>
        {
            syncing.TrySetResult();
            await release.Task;
        };
        Task<ApiResponse> award, read;
        try
        {
            award = server.Client.PostJsonAsync(PointsPath(customer), new { points = 5 });
            await syncing.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

            // Committed, so readable inside the server, but not yet on disk: neither answer may leave.
            (await StoredBalanceAsync(server, customer)).ShouldBe(15);
            read = server.Client.GetJsonAsync($"{CustomersPath}/{customer}");
            await Task.Delay(Held, TestContext.Current.CancellationToken);
            award.IsCompleted.ShouldBeFalse("the award was answered before its commit was synced");
            read.IsCompleted.ShouldBeFalse("a read of the unsynced commit was answered before the sync");
        }
        finally
        {
            writer.BeforeSync = null;
            release.TrySetResult();
        }

        (await award).Status.ShouldBe(HttpStatusCode.Created);
        (await read).Long("points_balance").ShouldBe(15);
        // Nothing waits when nothing is unsynced.
        (await server.Client.GetJsonAsync($"{CustomersPath}/{customer}")).Long("points_balance").ShouldBe(15);
    }

    [Fact]
    public async Task When_the_log_cannot_be_synced_the_writes_it_held_fail_and_nothing_more_is_committed_or_shown()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var writer = server.WritePath.ShouldBeOfType<SqliteWritePath>();
        var customer = await NewCustomerAsync(server.Client, points: 10);

        writer.BeforeSync = () => throw new IOException("disk gone");
        var award = await server.Client.PostJsonAsync(PointsPath(customer), new { points = 5 });
        ((int)award.Status).ShouldBeGreaterThanOrEqualTo(500, award.Raw);

        // The award was committed before the sync failed; a read would show it, so none is answered.
        var read = await server.Client.GetJsonAsync($"{CustomersPath}/{customer}");
        ((int)read.Status).ShouldBeGreaterThanOrEqualTo(500, read.Raw);
        // Later writes are refused before they are committed.
        var later = await server.Client.PostJsonAsync(PointsPath(customer), new { points = 7 });
        ((int)later.Status).ShouldBeGreaterThanOrEqualTo(500, later.Raw);
        (await StoredBalanceAsync(server, customer)).ShouldBe(15);
    }

    [Fact]
    public async Task A_commit_that_fails_is_answered_with_an_error_and_later_reads_are_answered_without_waiting_for_another_write()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var writer = server.WritePath.ShouldBeOfType<SqliteWritePath>();
        var customer = await NewCustomerAsync(server.Client, points: 10);
        var cancel = TestContext.Current.CancellationToken;

        writer.BeforeCommit = () => throw new IOException("disk full");
        ApiResponse award;
        try
        {
            award = await server.Client.PostJsonAsync(PointsPath(customer), new { points = 5 }).WaitAsync(TimeSpan.FromSeconds(10), cancel);
        }
        finally
        {
            writer.BeforeCommit = null;
        }
        ((int)award.Status).ShouldBeGreaterThanOrEqualTo(500, award.Raw);

        // Nothing was committed, so nothing is waited for: a read is answered at once, with no write after it.
        var read = await server.Client.GetJsonAsync($"{CustomersPath}/{customer}").WaitAsync(TimeSpan.FromSeconds(10), cancel);
        read.Long("points_balance").ShouldBe(10);
        (await server.Client.PostJsonAsync(PointsPath(customer), new { points = 7 })).Status.ShouldBe(HttpStatusCode.Created);
        (await StoredBalanceAsync(server, customer)).ShouldBe(17);
    }

    /// <summary>Holds every sync of the log until the returned release runs; completes once a sync is held.</summary>
    private static async Task<Func<Task>> HoldSyncsAsync(SqliteWritePath writer, Func<Task> write)
    {
        var syncing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        writer.BeforeSync = async () =>
        {
            syncing.TrySetResult();
            await release.Task;
        };
        var written = write();
        await syncing.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        return async () =>
        {
            writer.BeforeSync = null;
            release.TrySetResult();
            await written;
        };
    }

    [Fact]
    public async Task An_mcp_tool_that_read_an_unsynced_commit_answers_only_once_it_is_on_disk()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var writer = server.WritePath.ShouldBeOfType<SqliteWritePath>();
        var tenant = await server.NewMcpTenantAsync("mcp durable");
        var customer = await NewCustomerAsync(tenant.Admin, points: 10);
        await using var client = await McpKit.ConnectAsync(server, tenant.ReadSecret);

        var release = await HoldSyncsAsync(writer, () => tenant.Admin.PostJsonAsync(PointsPath(customer), new { points = 5 }));
        Task<System.Text.Json.JsonElement> found;
        try
        {
            found = client.CallAsync("find_customer", new { identifier = customer });
            await Task.Delay(Held, TestContext.Current.CancellationToken);
            found.IsCompleted.ShouldBeFalse("the tool answered with a commit that was not yet on disk");
        }
        finally
        {
            await release();
        }
        (await found).GetProperty("points_balance").GetInt64().ShouldBe(15);
    }

    [Fact]
    public async Task A_streamed_download_writes_nothing_while_a_commit_it_may_have_read_is_unsynced()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var writer = server.WritePath.ShouldBeOfType<SqliteWritePath>();
        var customer = await NewCustomerAsync(server.Client, points: 10);
        var sink = new MemoryStream();
        await using var body = new Patron.Api.DurableWriteStream(sink, writer.Durability);

        var release = await HoldSyncsAsync(writer, () => server.Client.PostJsonAsync(PointsPath(customer), new { points = 5 }));
        Task written;
        try
        {
            // A page read after the response started (the CSV export reads 5,000 rows at a time).
            written = body.WriteAsync(new byte[] { 1, 2, 3 }, TestContext.Current.CancellationToken).AsTask();
            await Task.Delay(Held, TestContext.Current.CancellationToken);
            written.IsCompleted.ShouldBeFalse("a page was written while a commit it may hold was not on disk");
            sink.Length.ShouldBe(0);
        }
        finally
        {
            await release();
        }
        await written;
        sink.ToArray().ShouldBe(new byte[] { 1, 2, 3 });
    }

    [Fact]
    public async Task Waiting_on_a_path_whose_commits_are_durable_when_visible_never_waits_even_after_it_numbered_commits()
    {
        // The CLI import's writer and an in-memory database's number their commits on the shared Immediate.
        CommitDurability.Immediate.Begin();
        CommitDurability.Immediate.Deferred.ShouldBeFalse();
        await CommitDurability.Immediate.WaitAsync().WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }
}
