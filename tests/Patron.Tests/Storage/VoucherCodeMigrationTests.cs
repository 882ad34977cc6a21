using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Rewards.RewardsTestKit;

namespace Patron.Tests.Storage;

/// <summary>
/// Migration 0027: a voucher code's row names the redemption holding it, and a code is found through that row.
/// A database an older release left keeps every code it issued.
/// </summary>
public sealed class VoucherCodeMigrationTests
{
    [Theory, DatabaseData]
    public async Task Codes_issued_before_the_upgrade_are_still_found_through_their_voucher_rows(string database)
    {
        await using var testDatabase = await TestDatabase.CreateAsync(database, PatronServer.NewDataDir());
        using var db = testDatabase.Open();
        await Migrator.MigrateAsync(db, through: 26, TestContext.Current.CancellationToken);
        // As the release before it wrote them: a generated code and a pool code, each with its voucher row, and a
        // redemption whose code has no row at all (none should exist; the upgrade must not lose it if one does).
        await ExecuteAsync(db,
            """
            INSERT INTO voucher_codes (id, program_id, reward_id, code, status, created_at, issued_at) VALUES
                ('vch_1', 'prog_1', 'rwd_1', 'GEN-1', 'issued', 1, 1),
                ('vch_2', 'prog_1', 'rwd_2', 'POOL-1', 'issued', 1, 2),
                ('vch_3', 'prog_1', 'rwd_2', 'POOL-2', 'available', 1, NULL);
            INSERT INTO redemptions (id, program_id, customer_id, reward_id, source, points_spent, discount_code, apply_mode,
                                     status, balance_after, created_by, created_at, updated_at) VALUES
                ('red_1', 'prog_1', 'cus_1', 'rwd_1', 'points', 10, 'GEN-1', 'code', 'issued', 0, 'test', 1, 1),
                ('red_2', 'prog_1', 'cus_1', 'rwd_2', 'points', 10, 'POOL-1', 'code', 'issued', 0, 'test', 2, 2),
                ('red_3', 'prog_1', 'cus_1', 'rwd_1', 'points', 10, 'LONE-1', 'code', 'used', 0, 'test', 3, 3);
            """);

        await Migrator.MigrateAsync(db, TestContext.Current.CancellationToken);

        await using var connection = await db.OpenAsync(TestContext.Current.CancellationToken);
        var sql = new Sql(connection);
        (await sql.ListAsync("SELECT code, redemption_id, status FROM voucher_codes ORDER BY code",
                r => (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2))))
            .ShouldBe([("GEN-1", "red_1", "issued"), ("LONE-1", "red_3", "issued"), ("POOL-1", "red_2", "issued"), ("POOL-2", null, "available")]);
        (await Vouchers.GetAsync(sql, "prog_1", "GEN-1", 10)).RedemptionId.ShouldBe("red_1");
        (await Vouchers.GetAsync(sql, "prog_1", "POOL-1", 10)).RedemptionId.ShouldBe("red_2");
        (await Vouchers.GetAsync(sql, "prog_1", "LONE-1", 10)).Status.ShouldBe("used");
        await Should.ThrowAsync<Patron.Domain.OperationException>(() => Vouchers.GetAsync(sql, "prog_1", "POOL-2", 10));
    }

    [Theory, DatabaseData]
    public async Task A_code_an_instance_of_the_release_before_issued_during_a_rolling_upgrade_is_found_and_used_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var customer = await TestKit.NewCustomerAsync(client, points: 100);
        var reward = await NewRewardAsync(client, new { name = "Coffee", type = "free_product", points_cost = 10 });
        var code = (await RedeemAsync(client, customer, new { reward_id = reward })).Str("discount_code");
        // The release before 0027 wrote the code's row without its redemption.
        var db = server.App.Services.GetRequiredService<Database>();
        await using (var connection = await db.OpenAsync(TestContext.Current.CancellationToken))
        {
            (await new Sql(connection).ExecuteAsync("UPDATE voucher_codes SET redemption_id = NULL WHERE code = @code", ("code", code)))
                .ShouldBe(1);
        }

        var found = await client.GetJsonAsync($"/api/v1/vouchers/{code}");
        var used = await client.PostJsonAsync($"/api/v1/vouchers/{code}/use");
        var again = await client.PostJsonAsync($"/api/v1/vouchers/{code}/use");

        found.Code.ShouldBe(200, found.Raw);
        found.Str("status").ShouldBe("issued");
        used.Code.ShouldBe(200, used.Raw);
        again.ErrorCode.ShouldBe("voucher_used");
        (await client.GetJsonAsync($"/api/v1/vouchers/NOT-A-CODE")).Code.ShouldBe((int)HttpStatusCode.NotFound);
    }

    private static async Task ExecuteAsync(Database db, string statements)
    {
        await using var connection = await db.OpenAsync(TestContext.Current.CancellationToken);
        await new Sql(connection).ExecuteAsync(statements);
    }
}
