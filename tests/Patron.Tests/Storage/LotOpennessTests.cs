using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Storage;

/// <summary>
/// Migration 0028: whether a lot is open (<c>lot_open</c>) is derived from its remainder by the database, and the
/// indexes of open lots are keyed on it, so that no index holds the remainder itself. A spend that leaves its lot
/// open then changes no indexed value (on PostgreSQL, the update stays on its page and writes no index entry).
/// </summary>
public sealed class LotOpennessTests
{
    [Theory, DatabaseData]
    public async Task No_index_of_the_ledger_holds_a_lots_remainder(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var db = server.App.Services.GetRequiredService<Database>();

        var indexes = await db.ReadAsync(sql => sql.ListAsync(
            db.IsSqlite
                ? "SELECT name || ': ' || sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'points_transactions' AND sql IS NOT NULL"
                : "SELECT indexrelid::regclass::text || ': ' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'points_transactions'::regclass",
            r => r.GetString(0)));

        indexes.ShouldContain(i => i.StartsWith("ix_points_transactions_lots", StringComparison.Ordinal) && i.Contains("lot_open"));
        indexes.ShouldContain(i => i.StartsWith("ix_points_transactions_expiring", StringComparison.Ordinal) && i.Contains("lot_open"));
        indexes.ShouldNotContain(i => i.Contains("remaining"), string.Join("\n", indexes));
    }

    [Fact]
    public async Task A_postgres_spend_that_leaves_its_lot_open_updates_the_lot_in_place()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        await using var server = await PatronServer.StartAsync(TestDatabases.Postgres);
        var customer = await NewCustomerAsync(server.Client, points: 100);
        for (var i = 0; i < 5; i++)
        {
            await PostPointsAsync(server.Client, customer, -1, "redeemed");
        }
        (await BalanceAsync(server.Client, customer)).ShouldBe(95);

        // A backend reports its table statistics when it leaves (or within seconds of going idle).
        var db = server.App.Services.GetRequiredService<Database>();
        db.PostgresDataSource!.Clear();
        var (updated, inPlace) = (0L, 0L);
        for (var deadline = DateTime.UtcNow.AddSeconds(30); updated < 5 && DateTime.UtcNow < deadline; await Task.Delay(200, TestContext.Current.CancellationToken))
        {
            (updated, inPlace) = (await db.ReadAsync(sql => sql.ListAsync(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'points_transactions'",
                r => (r.GetInt64(0), r.GetInt64(1)))))[0];
        }

        updated.ShouldBe(5);
        inPlace.ShouldBe(5);
    }

    [Theory, DatabaseData]
    public async Task Lots_a_release_before_the_upgrade_left_keep_their_openness(string database)
    {
        var dataDir = PatronServer.NewDataDir();
        await using var testDatabase = await TestDatabase.CreateAsync(database, dataDir);
        using var db = database == TestDatabases.Sqlite
            ? new Database(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(dataDir, "patron.db")};Pooling=False")
            : new Database(DatabaseProvider.Postgres, new NpgsqlConnectionStringBuilder(TestDatabases.PostgresAdmin) { Database = testDatabase.PostgresName }.ConnectionString);
        var ct = TestContext.Current.CancellationToken;
        await Migrator.MigrateAsync(db, through: 27, ct);
        await using (var before = await db.OpenAsync(ct))
        {
            await new Sql(before).ExecuteAsync(
                """
                INSERT INTO points_transactions (id, program_id, customer_id, points, type, status, balance_after, created_by,
                                                 created_at, remaining, expires_at) VALUES
                    ('ptx_1', 'prog_1', 'cus_1', 10, 'earned', 'available', 10, 'test', 1, 0, 100),
                    ('ptx_2', 'prog_1', 'cus_1', 20, 'earned', 'available', 30, 'test', 2, 15, 100),
                    ('ptx_3', 'prog_1', 'cus_1', 30, 'earned', 'available', 60, 'test', 3, 30, NULL),
                    ('ptx_4', 'prog_1', 'cus_1', -15, 'redeemed', 'available', 45, 'test', 4, 0, NULL);
                """);
        }

        await Migrator.MigrateAsync(db, ct);

        await using var connection = await db.OpenAsync(ct);
        var sql = new Sql(connection);
        (await sql.ListAsync("SELECT id FROM points_transactions WHERE customer_id = 'cus_1' AND lot_open ORDER BY id", r => r.GetString(0)))
            .ShouldBe(["ptx_2", "ptx_3"]);
        (await sql.ListAsync("SELECT id FROM points_transactions WHERE lot_open AND expires_at IS NOT NULL", r => r.GetString(0)))
            .ShouldBe(["ptx_2"]);
        // Derived by the database: a writer that sets the remainder cannot leave the openness behind.
        await sql.ExecuteAsync("UPDATE points_transactions SET remaining = 0 WHERE id = 'ptx_2'");
        await sql.ExecuteAsync("UPDATE points_transactions SET remaining = 5 WHERE id = 'ptx_1'");
        (await sql.ListAsync("SELECT id FROM points_transactions WHERE customer_id = 'cus_1' AND lot_open ORDER BY id", r => r.GetString(0)))
            .ShouldBe(["ptx_1", "ptx_3"]);
    }
}
