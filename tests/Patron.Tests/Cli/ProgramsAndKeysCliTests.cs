using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Cli;

/// <summary><c>patron programs create|list</c> and <c>patron keys create|list|revoke</c> (docs/CONFIGURATION.md), beside a running server.</summary>
public sealed partial class ProgramsAndKeysCliTests
{
    private const string Timestamp = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$";

    [GeneratedRegex(@"^Created (read|write|admin) key (key_\S+)\. The secret is shown only now:$", RegexOptions.Multiline)]
    private static partial Regex CreatedKeyLine();

    [Theory, DatabaseData]
    public async Task Programs_create_prints_the_new_program_id_on_the_last_line_and_programs_list_shows_it(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var created = await server.CliAsync("programs", "create", "--name", "  Corner Café ", "--currency", "eur");

        created.Exit.ShouldBe(0, created.Output);
        var programId = created.LastLine;
        programId.ShouldMatch(@"^prog_\S+$");
        created.Stdout.ShouldContain("Created program 'Corner Café'.");
        programId.ShouldNotBe(server.ProgramId);

        // The program is real: a key of it reads it back over the API.
        var key = await Admin.CreateKeyAsync(server.WritePath, programId, Scope.Read);
        key.ShouldNotBeNull();
        var program = await server.ClientWithKey(key.Value.Secret).GetJsonAsync("/api/v1/program");
        program.Code.ShouldBe(200, program.Raw);
        program.Str("id").ShouldBe(programId);
        program.Str("name").ShouldBe("Corner Café");
        program.Str("currency").ShouldBe("EUR");

        var list = await server.CliAsync("programs", "list");

        list.Exit.ShouldBe(0, list.Output);
        var rows = CliRun.Lines(list.Stdout).Select(l => l.Split('\t')).ToList();
        rows.Count.ShouldBe(2, list.Output);
        // Oldest first: the bootstrap program, then the new one; id, name, currency, created_at.
        rows[0][0].ShouldBe(server.ProgramId);
        rows[0][1].ShouldBe("default");
        rows[1].Length.ShouldBe(4, list.Stdout);
        rows[1][0].ShouldBe(programId);
        rows[1][1].ShouldBe("Corner Café");
        rows[1][2].ShouldBe("EUR");
        rows[1][3].ShouldMatch(Timestamp);
        rows[1][3].ShouldBe(program.Str("created_at"));

        // A bad currency or a missing name creates nothing.
        var badCurrency = await server.CliAsync("programs", "create", "--name", "Euro club", "--currency", "EURO");
        badCurrency.Exit.ShouldBe(2, badCurrency.Output);
        badCurrency.Stderr.ShouldContain("--currency");
        var noName = await server.CliAsync("programs", "create");
        noName.Exit.ShouldNotBe(0, noName.Output);
        var after = await server.CliAsync("programs", "list");
        CliRun.Lines(after.Stdout).Length.ShouldBe(2, after.Output);
    }

    [Theory, DatabaseData]
    public async Task Keys_create_prints_a_secret_once_that_works_with_its_scope_until_keys_revoke(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var programId = server.ProgramId;

        var readRun = await server.CliAsync("keys", "create", "--program", programId, "--scope", "read", "--name", "Till reader");
        var writeRun = await server.CliAsync("keys", "create", "--program", programId, "--scope", "write");

        readRun.Exit.ShouldBe(0, readRun.Output);
        writeRun.Exit.ShouldBe(0, writeRun.Output);
        var readSecret = readRun.LastLine;
        readSecret.ShouldMatch("^sk_[A-Za-z0-9_-]{32,}$");
        CountOf(readRun.Stdout, readSecret).ShouldBe(1);
        readRun.Stderr.ShouldNotContain(readSecret);
        var readMatch = CreatedKeyLine().Match(readRun.Stdout);
        readMatch.Success.ShouldBeTrue(readRun.Stdout);
        readMatch.Groups[1].Value.ShouldBe("read");
        var readKeyId = readMatch.Groups[2].Value;
        var writeSecret = writeRun.LastLine;
        writeSecret.ShouldMatch("^sk_[A-Za-z0-9_-]{32,}$");
        writeSecret.ShouldNotBe(readSecret);

        // Each secret works against the running server, within its scope.
        var reader = server.ClientWithKey(readSecret);
        var writer = server.ClientWithKey(writeSecret);
        (await reader.GetJsonAsync("/api/v1/program")).Str("id").ShouldBe(programId);
        var refused = await reader.PostJsonAsync("/api/v1/customers", new { email = "ada@example.com" });
        refused.Code.ShouldBe(403, refused.Raw);
        refused.ErrorCode.ShouldBe("insufficient_scope");
        (await writer.PostJsonAsync("/api/v1/customers", new { email = "ada@example.com" })).Code.ShouldBe(201);
        (await writer.GetJsonAsync("/api/v1/api_keys")).Code.ShouldBe(403);
        (await reader.GetJsonAsync("/api/v1/customers/ada@example.com")).Code.ShouldBe(200);

        // The API sees the key as created, and never its secret.
        var keys = await server.Client.GetJsonAsync("/api/v1/api_keys");
        var apiKey = keys["data"].EnumerateArray().Single(k => k.GetProperty("id").GetString() == readKeyId);
        apiKey.GetProperty("name").GetString().ShouldBe("Till reader");
        apiKey.GetProperty("scope").GetString().ShouldBe("read");
        keys.Raw.ShouldNotContain(readSecret);

        var list = await server.CliAsync("keys", "list");

        list.Exit.ShouldBe(0, list.Output);
        list.Stdout.ShouldNotContain(readSecret);
        list.Stdout.ShouldNotContain(writeSecret);
        list.Stdout.ShouldNotContain(server.AdminKey);
        var rows = CliRun.Lines(list.Stdout).Select(l => l.Split('\t')).ToList();
        rows.Count.ShouldBe(3, list.Stdout); // the bootstrap admin key and the two new ones
        var row = rows.Single(r => r[0] == readKeyId);
        // id, program, scope, secret hint, state, name
        row.ShouldBe([readKeyId, programId, "read", $"{readSecret[..3]}...{readSecret[^4..]}", "active", "Till reader"]);
        apiKey.GetProperty("secret_hint").GetString().ShouldBe(row[3]);

        var revoke = await server.CliAsync("keys", "revoke", readKeyId);

        revoke.Exit.ShouldBe(0, revoke.Output);
        revoke.Stdout.ShouldContain($"Revoked {readKeyId}.");
        // The server caches keys for up to about 2 s: the revocation shows within a few seconds.
        var clock = Stopwatch.StartNew();
        ApiResponse answer;
        while ((answer = await reader.GetJsonAsync("/api/v1/program")).Code == 200 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        answer.Code.ShouldBe(401, $"still {answer.Code} {clock.Elapsed.TotalSeconds:F1} s after the revocation");
        answer.ErrorCode.ShouldBe("api_key_revoked");
        (await writer.GetJsonAsync("/api/v1/program")).Code.ShouldBe(200);

        var listed = await server.CliAsync("keys", "list");
        CliRun.Lines(listed.Stdout).Single(l => l.StartsWith(readKeyId, StringComparison.Ordinal)).Split('\t')[4].ShouldBe("revoked");
        var again = await server.CliAsync("keys", "revoke", readKeyId);
        again.Exit.ShouldBe(1, again.Output);
        again.Stdout.ShouldContain($"No active key '{readKeyId}'.");
    }

    [Theory, DatabaseData]
    public async Task Keys_create_stores_rate_limit_and_expiry_and_refuses_unknown_programs_and_scopes(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var programId = server.ProgramId;
        var (otherProgram, _) = await server.CreateProgramAsync();

        var limited = await server.CliAsync("keys", "create", "--program", programId, "--scope", "admin", "--name", "Limited",
            "--rate-limit", "2", "--expires-at", "2099-05-06T07:08:09.123Z");
        var expiresSoon = DateTimeOffset.UtcNow.AddSeconds(3);
        var expired = await server.CliAsync("keys", "create", "--program", programId, "--scope", "write",
            "--expires-at", expiresSoon.ToString("O", CultureInfo.InvariantCulture));

        limited.Exit.ShouldBe(0, limited.Output);
        expired.Exit.ShouldBe(0, expired.Output);
        var limitedId = CreatedKeyLine().Match(limited.Stdout).Groups[2].Value;
        var apiKey = (await server.Client.AllAsync("/api/v1/api_keys")).Single(k => k.GetProperty("id").GetString() == limitedId);
        apiKey.GetProperty("scope").GetString().ShouldBe("admin");
        apiKey.GetProperty("rate_limit_per_minute").GetInt32().ShouldBe(2);
        apiKey.GetProperty("expires_at").GetString().ShouldBe("2099-05-06T07:08:09.123Z");
        var client = server.ClientWithKey(limited.LastLine);
        (await client.GetJsonAsync("/api/v1/api_keys")).Code.ShouldBe(200);
        (await client.GetJsonAsync("/api/v1/program")).Code.ShouldBe(200);
        var third = await client.GetJsonAsync("/api/v1/program");
        third.Code.ShouldBe(429, third.Raw);
        third.ErrorCode.ShouldBe("rate_limited");
        var expiring = server.ClientWithKey(expired.LastLine);
        var late = await expiring.GetJsonAsync("/api/v1/program");
        while (late.Code == 200 && DateTimeOffset.UtcNow < expiresSoon.AddSeconds(10))
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
            late = await expiring.GetJsonAsync("/api/v1/program");
        }
        late.Code.ShouldBe(401, late.Raw);
        late.ErrorCode.ShouldBe("api_key_expired");
        DateTimeOffset.UtcNow.ShouldBeGreaterThanOrEqualTo(expiresSoon);

        // What POST /api_keys refuses, the command refuses too, and creates nothing.
        foreach (var (args, message) in new[]
        {
            (new[] { "--expires-at", "2020-01-01T00:00:00Z" }, "--expires-at must be in the future."),
            (new[] { "--rate-limit", "-1" }, "--rate-limit cannot be negative"),
            (new[] { "--name", new string('n', 201) }, "--name is limited to 200 characters."),
        })
        {
            var refused = await server.CliAsync(["keys", "create", "--program", programId, "--scope", "read", .. args]);
            refused.Exit.ShouldBe(2, refused.Output);
            refused.Stderr.ShouldContain(message);
            refused.Stdout.ShouldNotContain("sk_");
        }

        // keys list --program shows that program's keys only.
        var mine = await server.CliAsync("keys", "list", "--program", programId);
        var theirs = await server.CliAsync("keys", "list", "--program", otherProgram);
        CliRun.Lines(mine.Stdout).Select(l => l.Split('\t')[1]).ShouldAllBe(p => p == programId);
        CliRun.Lines(mine.Stdout).Length.ShouldBe(3, mine.Output);
        CliRun.Lines(theirs.Stdout).Select(l => l.Split('\t')[1]).ShouldBe([otherProgram]);

        var unknownProgram = await server.CliAsync("keys", "create", "--program", "prog_nope", "--scope", "read");
        unknownProgram.Exit.ShouldBe(1, unknownProgram.Output);
        unknownProgram.Stderr.ShouldContain("No program 'prog_nope'");
        unknownProgram.Stdout.ShouldNotContain("sk_");
        var badScope = await server.CliAsync("keys", "create", "--program", programId, "--scope", "owner");
        badScope.Exit.ShouldBe(2, badScope.Output);
        badScope.Stderr.ShouldContain("--scope must be read, write or admin.");
        var unknownKey = await server.CliAsync("keys", "revoke", "key_nope");
        unknownKey.Exit.ShouldBe(1, unknownKey.Output);
        unknownKey.Stdout.ShouldContain("No active key 'key_nope'.");
        var all = await server.CliAsync("keys", "list");
        CliRun.Lines(all.Stdout).Length.ShouldBe(4, all.Output);
    }

    private static int CountOf(string text, string value) =>
        (text.Length - text.Replace(value, "", StringComparison.Ordinal).Length) / value.Length;
}
