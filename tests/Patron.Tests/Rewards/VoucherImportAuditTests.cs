using Patron.Operations.RewardsAndRedemptions;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Rewards.RewardsTestKit;

namespace Patron.Tests.Rewards;

/// <summary>
/// Voucher imports in the audit trail (docs/AUDIT.md): the import operation records who added how many
/// codes to which pool, whichever front door called it; and the dashboard's lenient reading of a file.
/// </summary>
public sealed class VoucherImportAuditTests
{
    private const string AuditPath = "/api/v1/audit_events?action=reward.voucher_codes_imported";

    [Theory, DatabaseData]
    public async Task A_voucher_import_is_audited_with_the_key_and_the_counts_but_not_the_codes(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tenant = await server.NewTenantAsync("shop");
        var reward = await NewRewardAsync(tenant.Admin, new { name = "Pool", type = "custom", points_cost = 1, code_source = "pool" });

        var imported = await tenant.Admin.SendRawAsync(HttpMethod.Post, $"{RewardsPath}/{reward}/voucher_codes", "code\nSECRET-1\nSECRET-2\nSECRET-1\n", "text/csv");
        imported.Code.ShouldBe(201, imported.Raw);

        var entries = await tenant.Admin.AllAsync(AuditPath);
        var entry = entries.ShouldHaveSingleItem();
        entry.GetProperty("subject_type").GetString().ShouldBe("reward");
        entry.GetProperty("subject_id").GetString().ShouldBe(reward);
        entry.GetProperty("actor").GetProperty("kind").GetString().ShouldBe("api_key");
        entry.GetProperty("actor").GetProperty("id").GetString().ShouldBe(tenant.AdminKeyId);
        var after = entry.GetProperty("after");
        after.GetProperty("received").GetInt64().ShouldBe(3);
        after.GetProperty("imported").GetInt64().ShouldBe(2);
        after.GetProperty("duplicate_count").GetInt64().ShouldBe(1);
        entry.GetRawText().ShouldNotContain("SECRET-");

        // A refused import changed nothing and is not in the trail.
        var refused = await tenant.Admin.SendRawAsync(HttpMethod.Post, $"{RewardsPath}/{reward}/voucher_codes", "[\"has space\"]");
        refused.ErrorCode.ShouldBe("parameter_invalid");
        (await tenant.Admin.AllAsync(AuditPath)).Count.ShouldBe(1);
    }

    [Fact]
    public void A_file_is_read_line_by_line_and_each_bad_line_is_reported_by_its_number()
    {
        var file = VoucherOperations.ReadFile("\uFEFFcode,note\r\nA-1,first\n\n\"B-2\"\nhas space\n" + new string('x', 101) + "\nC-3");

        file.Codes.ShouldBe(["A-1", "B-2", "C-3"]);
        file.InvalidLines.Select(l => l.Line).ShouldBe([5, 6]);
        file.InvalidLines[0].Reason.ShouldContain("without spaces");
    }

    [Fact]
    public void A_header_only_counts_on_the_first_line()
    {
        var file = VoucherOperations.ReadFile("A-1\ncode\n");

        file.Codes.ShouldBe(["A-1", "code"]);
        file.InvalidLines.ShouldBeEmpty();
    }
}
