using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;
using static Patron.Tests.Rewards.RewardsTestKit;

namespace Patron.Tests.Rewards;

/// <summary>Voucher code pools: JSON and CSV import over HTTP, and <c>patron import vouchers</c>.</summary>
public sealed class VoucherImportTests
{
    [Theory, DatabaseData]
    public async Task Json_and_csv_imports_add_codes_and_report_duplicates(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var reward = await NewRewardAsync(client, new { name = "Pool", type = "custom", points_cost = 1, code_source = "pool" });
        var path = $"{RewardsPath}/{reward}/voucher_codes";

        var json = await client.PostJsonAsync(path, new List<string> { "A-1", "A-2", "A-2", "A-3" });
        json.Code.ShouldBe(201, json.Raw);
        json.Long("imported").ShouldBe(3);
        json.Long("duplicate_count").ShouldBe(1);
        json["duplicates"].EnumerateArray().Select(d => d.GetString()).ShouldBe(["A-2"]);

        var csv = await client.SendRawAsync(HttpMethod.Post, path, "code\r\nA-3\r\nB-1\r\n\r\nB-2,extra column\r\n", "text/csv");
        csv.Code.ShouldBe(201, csv.Raw);
        csv.Long("imported").ShouldBe(2);
        csv["duplicates"].EnumerateArray().Select(d => d.GetString()).ShouldBe(["A-3"]);

        var stats = await client.GetJsonAsync($"{path}/stats");
        stats.Long("total").ShouldBe(5);
        stats.Long("available").ShouldBe(5);
        stats.Long("issued").ShouldBe(0);

        // A code is unique in the program: another pool reward cannot take it either.
        var other = await NewRewardAsync(client, new { name = "Pool 2", type = "custom", points_cost = 1, code_source = "pool" });
        (await client.PostJsonAsync($"{RewardsPath}/{other}/voucher_codes", new List<string> { "B-1", "C-1" })).Long("imported").ShouldBe(1);

        (await client.SendRawAsync(HttpMethod.Post, path, "<codes/>", "application/xml")).Code.ShouldBe(415);
        (await client.SendRawAsync(HttpMethod.Post, path, "[1,2]")).ErrorCode.ShouldBe("parameter_invalid");
        (await client.SendRawAsync(HttpMethod.Post, path, "[\"has space\"]")).ErrorCode.ShouldBe("parameter_invalid");
        (await client.SendRawAsync(HttpMethod.Post, path, "[")).Code.ShouldBe(400);
        (await client.SendRawAsync(HttpMethod.Post, path, "[]")).Code.ShouldBe(422);
        var generated = await NewRewardAsync(client, new { name = "Gen", type = "custom", points_cost = 1 });
        (await client.PostJsonAsync($"{RewardsPath}/{generated}/voucher_codes", new List<string> { "X" })).ErrorCode.ShouldBe("parameter_invalid");
        (await client.PostJsonAsync($"{RewardsPath}/rwd_missing/voucher_codes", new List<string> { "X" })).Code.ShouldBe(404);
        (await client.GetJsonAsync($"{path}/stats")).Long("total").ShouldBe(5);
    }

    [Theory, DatabaseData]
    public async Task The_cli_imports_a_file_of_codes_into_a_pool(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var reward = await NewRewardAsync(client, new { name = "Pool", type = "custom", points_cost = 1, code_source = "pool" });
        await client.PostJsonAsync($"{RewardsPath}/{reward}/voucher_codes", new List<string> { "CLI-0" });
        var file = Path.Combine(server.DataDir, "codes.csv");
        await File.WriteAllLinesAsync(file, ["code", .. Enumerable.Range(0, 250).Select(i => $"CLI-{i}"), "CLI-7"],
            TestContext.Current.CancellationToken);

        var run = await PatronCliProcess.RunAsync(server.DataDir, ["import", "vouchers", "--reward", reward, "codes.csv", .. server.DatabaseArgs]);

        run.Exit.ShouldBe(0, run.Output);
        run.Stdout.ShouldContain("Imported 249, duplicates 2.");
        var stats = await client.GetJsonAsync($"{RewardsPath}/{reward}/voucher_codes/stats");
        stats.Long("total").ShouldBe(250);
        stats.Long("available").ShouldBe(250);
        var customer = await NewCustomerAsync(client, points: 5);
        (await RedeemAsync(client, customer, new { reward_id = reward })).Str("discount_code").ShouldStartWith("CLI-");

        var missing = await PatronCliProcess.RunAsync(server.DataDir, ["import", "vouchers", "--reward", "rwd_nope", "codes.csv", .. server.DatabaseArgs]);
        missing.Exit.ShouldBe(1, missing.Output);
        missing.Stderr.ShouldContain("No such reward");
    }
}
