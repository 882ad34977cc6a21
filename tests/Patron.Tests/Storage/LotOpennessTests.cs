using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Patron.Jobs;
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
        await using var testDatabase = await TestDatabase.CreateAsync(database, PatronServer.NewDataDir());
        using var db = testDatabase.Open();
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

    [Fact]
    public async Task A_postgres_migration_that_takes_longer_than_the_command_timeout_still_completes()
    {
        // 0028 rewrites the ledger: about 10 s per million entries, past Npgsql's default 30 s command timeout on a
        // large ledger. Here the timeout is 1 s and the rewrite waits 2.5 s for a reader's lock.
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        var ct = TestContext.Current.CancellationToken;
        await using var testDatabase = await TestDatabase.CreateAsync(TestDatabases.Postgres, PatronServer.NewDataDir());
        using var db = new Database(DatabaseProvider.Postgres,
            new NpgsqlConnectionStringBuilder(testDatabase.PostgresConnectionString) { CommandTimeout = 1 }.ConnectionString);
        await Migrator.MigrateAsync(db, through: 27, ct);
        await using var reader = new NpgsqlConnection(testDatabase.PostgresConnectionString);
        await reader.OpenAsync(ct);
        var readerTransaction = await reader.BeginTransactionAsync(ct);
        await new Sql(reader, readerTransaction).ExecuteAsync("LOCK TABLE points_transactions IN ACCESS SHARE MODE");
        var readerDone = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2.5), ct);
            await readerTransaction.RollbackAsync(ct);
        }, ct);

        var applied = await Migrator.MigrateAsync(db, ct);
        await readerDone;

        applied.ShouldContain(name => name.StartsWith("0028_", StringComparison.Ordinal));
    }

    [Theory, DatabaseData]
    public async Task Spends_and_expiry_find_open_lots_through_the_indexes_of_open_lots(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var db = server.App.Services.GetRequiredService<Database>();
        await using var connection = await db.OpenAsync(TestContext.Current.CancellationToken);
        var sql = new Sql(connection);
        if (!db.IsSqlite)
        {
            // The test's ledger is a few rows, which PostgreSQL would rather read whole: only an index the statement
            // can use is chosen over that.
            await sql.ExecuteAsync("SET enable_seqscan = off");
        }
        async Task<string> PlanAsync(string statement, params (string, object?)[] args) => string.Join(" | ", await sql.ListAsync(
            (db.IsSqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + statement, r => r.GetValue(r.FieldCount - 1).ToString()!, args));

        var lots = db.IsSqlite
            ? [await PlanAsync(Ledger.TakeFromOldestLotSql, ("t", 1L), ("c", "cus_x")), await PlanAsync(Ledger.OpenLotsSql, ("c", "cus_x"))]
            : new[] { await PlanAsync(Ledger.TakeFromLotsSql, ("c", "cus_x"), ("t", 1L)) };
        var expiring = await PlanAsync(PointsExpiryJob.DueLotsSql, ("now", 1L), ("n", 10));

        lots.ShouldAllBe(plan => plan.Contains("ix_points_transactions_lots"));
        expiring.ShouldContain("ix_points_transactions_expiring");
    }
}
