using System.Net;
using System.Text.Json;
using Patron.Operations.StaffAccounts;
using Patron.Storage;
using Patron.Tests.Dashboard;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Audit;

/// <summary>
/// Changes made in the dashboard are audited by the same core operations as the API's (docs/AUDIT.md),
/// with the signed-in staff user as the actor.
/// </summary>
public sealed class DashboardAuditTests
{
    private const string AuditPath = "/api/v1/audit_events";

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Patron:Webhooks:AllowPrivateTargets"] = "true",
        ["Patron:Webhooks:Dispatcher"] = "false",
    };

    private static async Task<JsonElement> SingleEntryAsync(HttpClient admin, string action, string subjectId)
    {
        var entries = (await admin.AllAsync($"{AuditPath}?action={action}"))
            .Where(e => e.GetProperty("subject_id").GetString() == subjectId).ToList();
        entries.Count.ShouldBe(1, $"one {action} entry about {subjectId}");
        return entries[0];
    }

    private static void ShouldBeByStaff(JsonElement entry, string userId)
    {
        entry.GetProperty("actor").GetProperty("kind").GetString().ShouldBe("staff");
        entry.GetProperty("actor").GetProperty("id").GetString().ShouldBe(userId);
    }

    private static async Task<string> IdByAsync(HttpClient admin, string path, string field, string value) =>
        (await admin.AllAsync(path)).Single(e => e.GetProperty(field).GetString() == value).GetProperty("id").GetString()!;

    [Theory, DatabaseData]
    public async Task Points_keys_and_webhooks_changed_in_the_dashboard_are_audited_as_the_staff_user(string database)
    {
        await using var server = await PatronServer.StartAsync(database, settings: Settings);
        var owner = await AdminSession.CreateUserAsync(server, "owner@example.com", StaffRoles.Owner);
        using var session = await AdminSession.SignInAsync(server, "owner@example.com");
        var customer = await TestKit.NewCustomerAsync(server.Client, points: 30);

        using (var adjusted = await session.SubmitAsync($"/admin/customers/{customer}", $"/admin/customers/{customer}?handler=Adjust",
            new() { ["points"] = "-12", ["reason"] = "Broken mug" }))
        {
            adjusted.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        }
        using (var created = await session.SubmitAsync("/admin/keys", "/admin/keys?handler=Create", new() { ["name"] = "Till 9", ["scope"] = "write" }))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await created.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("id=\"new-secret\"");
        }
        var keyId = await IdByAsync(server.Client, "/api/v1/api_keys", "name", "Till 9");
        using (var revoked = await session.SubmitAsync("/admin/keys", "/admin/keys?handler=Revoke", new() { ["id"] = keyId }))
        {
            revoked.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        }
        using (var hooked = await session.SubmitAsync("/admin/webhooks", "/admin/webhooks?handler=Create",
            new() { ["url"] = "http://127.0.0.1:9/till", ["description"] = "Till hook", ["events"] = "customer.created" }))
        {
            hooked.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        var endpointId = await IdByAsync(server.Client, "/api/v1/webhook_endpoints", "url", "http://127.0.0.1:9/till");

        var adjustment = await SingleEntryAsync(server.Client, "points.adjusted", customer);
        ShouldBeByStaff(adjustment, owner.Id);
        adjustment.GetProperty("before").GetProperty("points_balance").GetInt64().ShouldBe(30);
        adjustment.GetProperty("after").GetProperty("points_balance").GetInt64().ShouldBe(18);
        adjustment.GetProperty("after").GetProperty("description").GetString().ShouldBe("Broken mug");
        (await TestKit.BalanceAsync(server.Client, customer)).ShouldBe(18);

        var keyCreated = await SingleEntryAsync(server.Client, "api_key.created", keyId);
        ShouldBeByStaff(keyCreated, owner.Id);
        keyCreated.GetProperty("after").GetProperty("name").GetString().ShouldBe("Till 9");
        keyCreated.GetProperty("after").GetProperty("scope").GetString().ShouldBe("write");

        var keyRevoked = await SingleEntryAsync(server.Client, "api_key.revoked", keyId);
        ShouldBeByStaff(keyRevoked, owner.Id);
        keyRevoked.GetProperty("before").GetProperty("revoked_at").ValueKind.ShouldBe(JsonValueKind.Null);
        keyRevoked.GetProperty("after").GetProperty("revoked_at").GetString().ShouldNotBeNullOrEmpty();

        var hook = await SingleEntryAsync(server.Client, "webhook_endpoint.created", endpointId);
        ShouldBeByStaff(hook, owner.Id);
        hook.GetProperty("after").GetProperty("description").GetString().ShouldBe("Till hook");
        hook.GetProperty("after").TryGetProperty("secret", out _).ShouldBeFalse("the trail holds no signing secret");
    }

    [Theory, DatabaseData]
    public async Task A_key_created_in_the_dashboard_works_and_stops_working_when_revoked_there(string database)
    {
        await using var server = await PatronServer.StartAsync(database, settings: Settings);
        await AdminSession.CreateUserAsync(server, "owner@example.com", StaffRoles.Owner);
        using var session = await AdminSession.SignInAsync(server, "owner@example.com");

        using var created = await session.SubmitAsync("/admin/keys", "/admin/keys?handler=Create", new() { ["name"] = "Reader", ["scope"] = "read" });
        var html = await created.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var secret = System.Text.RegularExpressions.Regex.Match(html, "id=\"new-secret\">([^<]+)<").Groups[1].Value;
        secret.ShouldStartWith("sk_");
        using var reader = server.ClientWithKey(secret);
        (await reader.GetAsync("/api/v1/customers", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var keyId = await IdByAsync(server.Client, "/api/v1/api_keys", "name", "Reader");
        using var revoked = await session.SubmitAsync("/admin/keys", "/admin/keys?handler=Revoke", new() { ["id"] = keyId });
        revoked.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await reader.GetAsync("/api/v1/customers", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory, DatabaseData]
    public async Task Revoking_a_key_of_another_program_from_the_dashboard_is_not_found_and_changes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database, settings: Settings);
        var other = await server.NewTenantAsync("elsewhere");
        await AdminSession.CreateUserAsync(server, "owner@example.com", StaffRoles.Owner);
        using var session = await AdminSession.SignInAsync(server, "owner@example.com");

        using var revoked = await session.SubmitAsync("/admin/keys", "/admin/keys?handler=Revoke", new() { ["id"] = other.ReadKeyId });

        revoked.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.Read.GetAsync("/api/v1/customers", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await other.Admin.TotalAsync($"{AuditPath}?action=api_key.revoked")).ShouldBe(0);
    }
}
