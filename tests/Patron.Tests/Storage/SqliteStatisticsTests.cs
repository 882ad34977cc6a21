using Microsoft.Extensions.DependencyInjection;
using Patron.Operations.Programs;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Storage;

/// <summary>
/// SQLite plans a query from the statistics ANALYZE keeps (docs/PERFORMANCE.md, "SQLite statistics"). Without
/// them it reads a customer's ledger newest first through the program's index, walking every entry of the
/// program: seconds at ten million entries instead of a millisecond through the customer's index.
/// </summary>
public sealed class SqliteStatisticsTests
{
    private const string CustomerLedgerPage =
        "SELECT id FROM points_transactions WHERE customer_id = @c AND program_id = @p ORDER BY id DESC LIMIT 26";

    [Fact]
    public async Task After_the_background_jobs_a_customers_ledger_is_read_through_the_customers_index()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var customers = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var customer = await NewCustomerAsync(server.Client);
            customers.Add(customer);
            for (var j = 0; j < 3; j++)
            {
                await PostPointsAsync(server.Client, customer, 10);
            }
        }

        await server.RunJobsAsync();

        var db = server.App.Services.GetRequiredService<Database>();
        var plan = await db.ReadAsync(sql => sql.ListAsync("EXPLAIN QUERY PLAN " + CustomerLedgerPage, r => r.GetString(3),
            ("c", customers[0]), ("p", server.ProgramId)));
        string.Join(" | ", plan).ShouldContain("ix_points_transactions_customer", customMessage: string.Join(" | ", plan) + " / " + string.Join(" ; ", await db.ReadAsync(sql => sql.ListAsync("SELECT idx || ':' || stat FROM sqlite_stat1 WHERE tbl = 'points_transactions'", r => r.GetString(0)))));
        var page = await server.Client.GetJsonAsync(PointsPath(customers[0]));
        page.Code.ShouldBe(200);
        page.Body.GetProperty("data").GetArrayLength().ShouldBe(3);
    }

    [Fact]
    public async Task A_command_migrates_without_gathering_statistics_and_a_starting_server_gathers_them()
    {
        var file = Path.Combine(PatronServer.NewDataDir(), "patron.db");
        using var db = new Database(DatabaseProvider.Sqlite, $"Data Source={file};Pooling=False");

        // What every command runs first: the migrations alone, as fast as they can be.
        await Migrator.MigrateAsync(db, TestContext.Current.CancellationToken);
        (await HasStatisticsAsync(db)).ShouldBeFalse();

        // What serve (and the MCP server) runs as it starts, before any reader opens.
        await Bootstrap.RunAsync(db, TimeProvider.System, null);
        (await HasStatisticsAsync(db)).ShouldBeTrue();
    }

    private static async Task<bool> HasStatisticsAsync(Database db) =>
        await db.ReadAsync(sql => sql.ScalarAsync("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")) is not null;
}
