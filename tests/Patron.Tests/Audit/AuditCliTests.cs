using System.Text.Json;
using Patron.Tests.Cli;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Audit;

/// <summary>Changes made with the command line are in the audit trail as the command line's (docs/AUDIT.md).</summary>
public sealed class AuditCliTests
{
    private const string AuditPath = "/api/v1/audit_events";

    private static JsonElement Single(List<JsonElement> entries, string subjectId) =>
        entries.Single(e => e.GetProperty("subject_id").GetString() == subjectId);

    private static void ShouldBeTheCommandLine(JsonElement entry)
    {
        entry.GetProperty("actor").GetProperty("kind").GetString().ShouldBe("cli");
        entry.GetProperty("actor").GetProperty("id").GetString().ShouldBe("cli");
    }

    [Theory, DatabaseData]
    public async Task Keys_created_and_revoked_and_customers_imported_with_the_command_line_are_recorded_as_the_command_line(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var created = await server.CliAsync("keys", "create", "--program", server.ProgramId, "--scope", "read", "--name", "Reporting");
        created.Exit.ShouldBe(0, created.Output);
        var secret = created.LastLine;
        var keyId = created.Stdout.Split(' ', '\n').Single(w => w.StartsWith("key_", StringComparison.Ordinal)).TrimEnd('.');
        var revoked = await server.CliAsync("keys", "revoke", keyId);
        revoked.Exit.ShouldBe(0, revoked.Output);
        var file = await server.WriteFileAsync("customers.csv", ["external_id,email,first_name,points", "ext-9,lin@example.com,Lin,25"]);
        var imported = await server.CliAsync("import", "customers", file, "--program", server.ProgramId);
        imported.Exit.ShouldBe(0, imported.Output);

        var keyCreated = Single(await server.Client.AllAsync($"{AuditPath}?action=api_key.created"), keyId);
        ShouldBeTheCommandLine(keyCreated);
        keyCreated.GetProperty("after").GetProperty("name").GetString().ShouldBe("Reporting");
        keyCreated.GetProperty("after").GetProperty("scope").GetString().ShouldBe("read");
        var keyRevoked = Single(await server.Client.AllAsync($"{AuditPath}?action=api_key.revoked"), keyId);
        ShouldBeTheCommandLine(keyRevoked);
        keyRevoked.GetProperty("after").GetProperty("revoked_at").GetString().ShouldNotBeNullOrEmpty();

        var import = (await server.Client.AllAsync($"{AuditPath}?action=customer.imported")).Single();
        ShouldBeTheCommandLine(import);
        import.GetProperty("subject_type").GetString().ShouldBe("customer");
        import.GetProperty("before").ValueKind.ShouldBe(JsonValueKind.Null);
        import.GetProperty("after").GetProperty("email").GetString().ShouldBe("lin@example.com");
        import.GetProperty("after").GetProperty("points_balance").GetInt64().ShouldBe(25);

        // The server's own program and first key were made by the operator who started it.
        ShouldBeTheCommandLine(Single(await server.Client.AllAsync($"{AuditPath}?action=program.created"), server.ProgramId));

        var trail = await server.Client.GetJsonAsync($"{AuditPath}?limit=100");
        trail.Raw.ShouldNotContain(secret);
    }
}
