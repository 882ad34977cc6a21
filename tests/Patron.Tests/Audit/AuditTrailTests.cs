using System.Net;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Patron.Tests.Webhooks;
using Shouldly;

namespace Patron.Tests.Audit;

/// <summary>The audit trail over HTTP (docs/AUDIT.md): who changed what, when, before and after.</summary>
public sealed class AuditTrailTests
{
    private const string V1 = "/api/v1";
    private const string AuditPath = "/api/v1/audit_events";

    /// <summary>The entries of one action, most recent first.</summary>
    private static async Task<List<JsonElement>> EntriesAsync(HttpClient admin, string action) =>
        await admin.AllAsync($"{AuditPath}?action={action}");

    private static JsonElement Single(List<JsonElement> entries, string subjectId)
    {
        var matching = entries.Where(e => e.GetProperty("subject_id").GetString() == subjectId).ToList();
        matching.Count.ShouldBe(1, $"one entry about {subjectId}");
        return matching[0];
    }

    private static void ShouldBeBy(JsonElement entry, string kind, string id)
    {
        entry.GetProperty("object").GetString().ShouldBe("audit_event");
        entry.GetProperty("actor").GetProperty("kind").GetString().ShouldBe(kind);
        entry.GetProperty("actor").GetProperty("id").GetString().ShouldBe(id);
        entry.GetProperty("created_at").GetString().ShouldNotBeNullOrEmpty();
    }

    private static JsonElement Before(JsonElement entry) => entry.GetProperty("before");

    private static JsonElement After(JsonElement entry) => entry.GetProperty("after");

    [Theory, DatabaseData]
    public async Task A_manual_points_adjustment_records_the_key_that_made_it_and_the_balance_before_and_after(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tenant = await server.NewTenantAsync("shop");
        var customer = await TestKit.NewCustomerAsync(tenant.Write, points: 30);

        var posted = await tenant.Write.PostJsonAsync(TestKit.PointsPath(customer), new { points = -12, type = "adjusted", description = "Broken mug" });
        posted.Code.ShouldBe(201, posted.Raw);

        var entry = Single(await EntriesAsync(tenant.Admin, "points.adjusted"), customer);
        ShouldBeBy(entry, "api_key", tenant.WriteKeyId);
        entry.GetProperty("subject_type").GetString().ShouldBe("customer");
        Before(entry).GetProperty("points_balance").GetInt64().ShouldBe(30);
        After(entry).GetProperty("points_balance").GetInt64().ShouldBe(18);
        After(entry).GetProperty("points").GetInt64().ShouldBe(-12);
        After(entry).GetProperty("description").GetString().ShouldBe("Broken mug");
        After(entry).GetProperty("transaction_id").GetString().ShouldBe(posted.Str("id"));

        // Awards and spends are not adjustments: the ledger, which names the key of each entry, is their audit.
        await TestKit.PostPointsAsync(tenant.Write, customer, 40, "earned");
        (await TestKit.SpendAsync(tenant.Write, customer, 10)).Code.ShouldBe(201);
        (await tenant.Admin.TotalAsync($"{AuditPath}?action=points.adjusted")).ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Creating_and_revoking_a_key_are_recorded_without_its_secret(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tenant = await server.NewTenantAsync("shop");

        var created = await tenant.Admin.PostJsonAsync($"{V1}/api_keys", new { name = "Till 2", scope = "write" });
        created.Code.ShouldBe(201, created.Raw);
        var keyId = created.Str("id");
        (await tenant.Admin.DeleteJsonAsync($"{V1}/api_keys/{keyId}")).Code.ShouldBe(200);

        var creation = Single(await EntriesAsync(tenant.Admin, "api_key.created"), keyId);
        ShouldBeBy(creation, "api_key", tenant.AdminKeyId);
        Before(creation).ValueKind.ShouldBe(JsonValueKind.Null);
        After(creation).GetProperty("name").GetString().ShouldBe("Till 2");
        After(creation).GetProperty("scope").GetString().ShouldBe("write");
        After(creation).TryGetProperty("secret", out _).ShouldBeFalse();

        var revocation = Single(await EntriesAsync(tenant.Admin, "api_key.revoked"), keyId);
        Before(revocation).GetProperty("revoked_at").ValueKind.ShouldBe(JsonValueKind.Null);
        After(revocation).GetProperty("revoked_at").GetString().ShouldNotBeNullOrEmpty();
        After(revocation).TryGetProperty("name", out _).ShouldBeFalse("only the changed fields are kept");

        var all = await tenant.Admin.GetJsonAsync($"{AuditPath}?subject_id={keyId}&limit=100");
        all.Long("total_count").ShouldBe(2);
        all.Raw.ShouldNotContain(created.Str("secret"));
    }

    [Theory, DatabaseData]
    public async Task Webhook_endpoint_changes_are_recorded_without_the_signing_secret(string database)
    {
        await using var server = await WebhookKit.StartServerAsync(database);
        var tenant = await server.NewTenantAsync("shop");

        var created = await tenant.Admin.PostJsonAsync($"{V1}/webhook_endpoints", new { url = "http://127.0.0.1:9/hook", description = "CRM" });
        created.Code.ShouldBe(201, created.Raw);
        var id = created.Str("id");
        (await tenant.Admin.PatchJsonAsync($"{V1}/webhook_endpoints/{id}", new { url = "http://127.0.0.1:9/other" })).Code.ShouldBe(200);
        (await tenant.Admin.DeleteJsonAsync($"{V1}/webhook_endpoints/{id}")).Code.ShouldBe(200);

        var creation = Single(await EntriesAsync(tenant.Admin, "webhook_endpoint.created"), id);
        ShouldBeBy(creation, "api_key", tenant.AdminKeyId);
        After(creation).GetProperty("url").GetString().ShouldBe("http://127.0.0.1:9/hook");
        var update = Single(await EntriesAsync(tenant.Admin, "webhook_endpoint.updated"), id);
        Before(update).GetProperty("url").GetString().ShouldBe("http://127.0.0.1:9/hook");
        After(update).GetProperty("url").GetString().ShouldBe("http://127.0.0.1:9/other");
        After(update).TryGetProperty("description", out _).ShouldBeFalse("an unchanged field is left out");
        var deletion = Single(await EntriesAsync(tenant.Admin, "webhook_endpoint.deleted"), id);
        Before(deletion).GetProperty("url").GetString().ShouldBe("http://127.0.0.1:9/other");
        After(deletion).ValueKind.ShouldBe(JsonValueKind.Null);

        var trail = await tenant.Admin.GetJsonAsync($"{AuditPath}?subject_type=webhook_endpoint");
        trail.Long("total_count").ShouldBe(3);
        trail.Raw.ShouldNotContain(created.Str("secret"));
    }

    [Theory, DatabaseData]
    public async Task Tier_rule_reward_and_program_changes_each_record_one_entry_with_the_changed_fields(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tenant = await server.NewTenantAsync("shop");
        var admin = tenant.Admin;

        var tier = await TestKit.CreatedIdAsync(admin, $"{V1}/vip_tiers", new { name = "Gold", points_required = 1000, multiplier = 1.5m });
        (await admin.PatchJsonAsync($"{V1}/vip_tiers/{tier}", new { name = "Platinum" })).Code.ShouldBe(200);
        (await admin.DeleteJsonAsync($"{V1}/vip_tiers/{tier}")).Code.ShouldBe(200);
        var rule = await TestKit.CreatedIdAsync(admin, $"{V1}/earn_rules", new { type = "review", points = 10 });
        (await admin.PatchJsonAsync($"{V1}/earn_rules/{rule}", new { points = 25 })).Code.ShouldBe(200);
        (await admin.DeleteJsonAsync($"{V1}/earn_rules/{rule}")).Code.ShouldBe(200);
        var reward = await TestKit.CreatedIdAsync(admin, $"{V1}/rewards", new { name = "Coffee", type = "custom", points_cost = 100 });
        (await admin.PatchJsonAsync($"{V1}/rewards/{reward}", new { points_cost = 150 })).Code.ShouldBe(200);
        (await admin.DeleteJsonAsync($"{V1}/rewards/{reward}")).Code.ShouldBe(200);
        (await admin.PatchJsonAsync($"{V1}/program", new { name = "Corner shop", points_expiry_days = 365 })).Code.ShouldBe(200);

        After(Single(await EntriesAsync(admin, "vip_tier.created"), tier)).GetProperty("points_required").GetInt64().ShouldBe(1000);
        var tierUpdate = Single(await EntriesAsync(admin, "vip_tier.updated"), tier);
        Before(tierUpdate).GetProperty("name").GetString().ShouldBe("Gold");
        After(tierUpdate).GetProperty("name").GetString().ShouldBe("Platinum");
        After(tierUpdate).TryGetProperty("multiplier", out _).ShouldBeFalse();
        Before(Single(await EntriesAsync(admin, "vip_tier.deleted"), tier)).GetProperty("name").GetString().ShouldBe("Platinum");

        After(Single(await EntriesAsync(admin, "earn_rule.created"), rule)).GetProperty("type").GetString().ShouldBe("review");
        var ruleUpdate = Single(await EntriesAsync(admin, "earn_rule.updated"), rule);
        Before(ruleUpdate).GetProperty("points").GetInt64().ShouldBe(10);
        After(ruleUpdate).GetProperty("points").GetInt64().ShouldBe(25);
        Before(Single(await EntriesAsync(admin, "earn_rule.deleted"), rule)).GetProperty("points").GetInt64().ShouldBe(25);

        After(Single(await EntriesAsync(admin, "reward.created"), reward)).GetProperty("name").GetString().ShouldBe("Coffee");
        var rewardUpdate = Single(await EntriesAsync(admin, "reward.updated"), reward);
        Before(rewardUpdate).GetProperty("points_cost").GetInt64().ShouldBe(100);
        After(rewardUpdate).GetProperty("points_cost").GetInt64().ShouldBe(150);
        Before(Single(await EntriesAsync(admin, "reward.deleted"), reward)).GetProperty("points_cost").GetInt64().ShouldBe(150);

        var programUpdate = Single(await EntriesAsync(admin, "program.updated"), tenant.ProgramId);
        ShouldBeBy(programUpdate, "api_key", tenant.AdminKeyId);
        Before(programUpdate).GetProperty("name").GetString().ShouldBe("shop");
        After(programUpdate).GetProperty("name").GetString().ShouldBe("Corner shop");
        Before(programUpdate).GetProperty("points_expiry_days").ValueKind.ShouldBe(JsonValueKind.Null);
        After(programUpdate).GetProperty("points_expiry_days").GetInt32().ShouldBe(365);
        After(programUpdate).TryGetProperty("currency", out _).ShouldBeFalse();
    }

    [Theory, DatabaseData]
    public async Task Gift_card_issue_and_movements_are_recorded_without_the_code(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tenant = await server.NewTenantAsync("shop");

        var issued = await tenant.Write.PostJsonAsync($"{V1}/gift_cards", new { initial_balance = 50m });
        issued.Code.ShouldBe(201, issued.Raw);
        var code = issued.Str("code");
        var id = issued.Str("id");
        var spent = await tenant.Write.PostJsonAsync($"{V1}/gift_cards/{code}/transactions", new { amount = -20m, reference = "till-1" });
        spent.Code.ShouldBe(201, spent.Raw);

        var issue = Single(await EntriesAsync(tenant.Admin, "gift_card.issued"), id);
        ShouldBeBy(issue, "api_key", tenant.WriteKeyId);
        After(issue).GetProperty("balance").GetDecimal().ShouldBe(50m);
        After(issue).TryGetProperty("code", out _).ShouldBeFalse();
        var movement = Single(await EntriesAsync(tenant.Admin, "gift_card.transaction"), id);
        Before(movement).GetProperty("balance").GetDecimal().ShouldBe(50m);
        After(movement).GetProperty("balance").GetDecimal().ShouldBe(30m);
        After(movement).GetProperty("amount").GetDecimal().ShouldBe(-20m);

        var trail = await tenant.Admin.GetJsonAsync($"{AuditPath}?subject_type=gift_card");
        trail.Raw.ShouldNotContain(code);
        trail.Raw.ShouldNotContain(code.Replace("-", "", StringComparison.Ordinal));
    }

    [Theory, DatabaseData]
    public async Task Read_and_write_keys_are_refused_the_audit_trail(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tenant = await server.NewTenantAsync("shop");
        await TestKit.PostPointsAsync(tenant.Write, await TestKit.NewCustomerAsync(tenant.Write), 5, "adjusted");
        var entry = (await EntriesAsync(tenant.Admin, "points.adjusted")).Single().GetProperty("id").GetString();

        foreach (var client in new[] { tenant.Read, tenant.Write })
        {
            var list = await client.GetJsonAsync(AuditPath);
            list.Code.ShouldBe(403, list.Raw);
            list.ErrorCode.ShouldBe("insufficient_scope");
            var one = await client.GetJsonAsync($"{AuditPath}/{entry}");
            one.Code.ShouldBe(403, one.Raw);
            one.ErrorCode.ShouldBe("insufficient_scope");
        }
        (await tenant.Admin.GetJsonAsync($"{AuditPath}/{entry}")).Str("action").ShouldBe("points.adjusted");
    }

    [Theory, DatabaseData]
    public async Task Another_programs_audit_events_are_never_visible(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var mine = await server.NewTenantAsync("mine");
        var theirs = await server.NewTenantAsync("theirs");
        var tier = await TestKit.CreatedIdAsync(theirs.Admin, $"{V1}/vip_tiers", new { name = "Gold", points_required = 100 });
        var theirEntry = Single(await EntriesAsync(theirs.Admin, "vip_tier.created"), tier).GetProperty("id").GetString();

        (await mine.Admin.GetJsonAsync($"{AuditPath}/{theirEntry}")).Code.ShouldBe(404);
        var filtered = await mine.Admin.GetJsonAsync($"{AuditPath}?subject_id={tier}");
        filtered.Code.ShouldBe(200, filtered.Raw);
        filtered.Long("total_count").ShouldBe(0);
        var everything = await mine.Admin.AllAsync(AuditPath);
        everything.ShouldNotBeEmpty("the tenant's own program and keys were created");
        everything.ShouldAllBe(e => e.GetProperty("subject_id").GetString() != tier && e.GetProperty("id").GetString() != theirEntry);
        everything.Select(e => e.GetProperty("subject_id").GetString()).ShouldNotContain(theirs.ProgramId);
    }

    [Theory, DatabaseData]
    public async Task Erasing_a_customer_keeps_their_audit_events_and_redacts_their_personal_data(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tenant = await server.NewTenantAsync("shop");
        var email = TestKit.UniqueEmail();
        var customer = await TestKit.NewCustomerAsync(tenant.Write, email);
        var patched = await tenant.Write.PatchJsonAsync($"{TestKit.CustomersPath}/{customer}",
            new { first_name = "Ada", phone = "+44 7700 900123", notes = "Allergic to nuts", status = "blocked" });
        patched.Code.ShouldBe(200, patched.Raw);
        await TestKit.PostPointsAsync(tenant.Write, customer, 7, "adjusted");

        var update = Single(await EntriesAsync(tenant.Admin, "customer.updated"), customer);
        After(update).GetProperty("first_name").GetString().ShouldBe("Ada");
        After(update).GetProperty("notes").GetString().ShouldBe("Allergic to nuts");

        (await tenant.Write.DeleteJsonAsync($"{TestKit.CustomersPath}/{customer}")).Code.ShouldBe(200);

        var trail = await tenant.Admin.GetJsonAsync($"{AuditPath}?subject_id={customer}");
        trail.Code.ShouldBe(200, trail.Raw);
        var actions = trail["data"].EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        actions.ShouldBe(["customer.erased", "points.adjusted", "customer.updated"]);
        // Case-sensitive, and phrases no generated id can hold: ids are upper-case letters and digits.
        trail.Raw.ShouldNotContain("Ada", Case.Sensitive);
        trail.Raw.ShouldNotContain("Allergic to nuts", Case.Sensitive);
        trail.Raw.ShouldNotContain("7700 900123", Case.Sensitive);
        trail.Raw.ShouldNotContain(email);
        var redacted = Single(await EntriesAsync(tenant.Admin, "customer.updated"), customer);
        After(redacted).GetProperty("first_name").GetString().ShouldBe("[erased]");
        After(redacted).GetProperty("notes").GetString().ShouldBe("[erased]");
        Before(redacted).GetProperty("status").GetString().ShouldBe("active");
        After(redacted).GetProperty("status").GetString().ShouldBe("blocked");
        After(Single(await EntriesAsync(tenant.Admin, "points.adjusted"), customer)).GetProperty("points").GetInt64().ShouldBe(7);
    }

    [Theory, DatabaseData]
    public async Task The_audit_trail_pages_like_the_other_lists(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tenant = await server.NewTenantAsync("shop");
        var customer = await TestKit.NewCustomerAsync(tenant.Write);
        for (var i = 1; i <= 5; i++)
        {
            await TestKit.PostPointsAsync(tenant.Write, customer, i, "adjusted");
        }
        var filter = $"{AuditPath}?action=points.adjusted&actor_id={tenant.WriteKeyId}";

        var first = await tenant.Admin.GetJsonAsync($"{filter}&limit=2");
        first.Code.ShouldBe(200, first.Raw);
        first.Str("object").ShouldBe("list");
        first.Long("total_count").ShouldBe(5);
        first["has_more"].GetBoolean().ShouldBeTrue();
        var page1 = first["data"].EnumerateArray().ToList();
        page1.Select(e => After(e).GetProperty("points").GetInt64()).ShouldBe([5, 4]);

        var second = await tenant.Admin.GetJsonAsync($"{filter}&limit=2&starting_after={page1[^1].GetProperty("id").GetString()}");
        second["data"].EnumerateArray().Select(e => After(e).GetProperty("points").GetInt64()).ShouldBe([3, 2]);
        second["has_more"].GetBoolean().ShouldBeTrue();
        var third = await tenant.Admin.GetJsonAsync($"{filter}&limit=2&page=3");
        third["data"].EnumerateArray().Select(e => After(e).GetProperty("points").GetInt64()).ShouldBe([1]);
        third["has_more"].GetBoolean().ShouldBeFalse();

        (await tenant.Admin.GetJsonAsync($"{AuditPath}?limit=0")).Code.ShouldBe(422);
        (await tenant.Admin.GetJsonAsync($"{AuditPath}?starting_after=nonsense")).Code.ShouldBe(422);
    }

    [Theory, DatabaseData]
    public async Task Unknown_filter_values_answer_like_the_other_lists(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tenant = await server.NewTenantAsync("shop");

        var action = await tenant.Admin.GetJsonAsync($"{AuditPath}?action=points.stolen");
        action.Code.ShouldBe(422, action.Raw);
        action.Raw.ShouldContain("action");
        (await tenant.Admin.GetJsonAsync($"{AuditPath}?subject_type=spaceship")).Code.ShouldBe(422);
        (await tenant.Admin.TotalAsync($"{AuditPath}?actor_id=key_nobody")).ShouldBe(0);
        (await tenant.Admin.TotalAsync($"{AuditPath}?subject_id=cus_nobody")).ShouldBe(0);
        (await tenant.Admin.TotalAsync($"{AuditPath}?subject_type=api_key")).ShouldBe(3, "the tenant's three keys");
    }

    [Theory, DatabaseData]
    public async Task A_refused_change_leaves_no_audit_event(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var tenant = await server.NewTenantAsync("shop");
        var admin = tenant.Admin;
        var customer = await TestKit.NewCustomerAsync(tenant.Write, points: 5);
        var tier = await TestKit.CreatedIdAsync(admin, $"{V1}/vip_tiers", new { name = "Gold", points_required = 100 });
        await TestKit.CreatedIdAsync(admin, $"{V1}/vip_tiers", new { name = "Silver", points_required = 50 });
        var before = await admin.TotalAsync(AuditPath);

        (await TestKit.SpendAsync(tenant.Write, customer, 50)).Code.ShouldBeInRange(400, 499);
        (await admin.PatchJsonAsync($"{V1}/vip_tiers/{tier}", new { name = "Silver" })).Code.ShouldBeInRange(400, 499);
        (await admin.PatchJsonAsync($"{V1}/program", new { currency = "EURO" })).Code.ShouldBeInRange(400, 499);
        (await admin.PostJsonAsync($"{V1}/api_keys", new { scope = "root" })).Code.ShouldBeInRange(400, 499);
        (await admin.DeleteJsonAsync($"{V1}/earn_rules/rule_01ARZ3NDEKTSV4RRFFQ69G5FAV")).Code.ShouldBe(404);
        (await tenant.Write.PatchJsonAsync($"{V1}/program", new { name = "Mine now" })).Code.ShouldBe(403);

        (await admin.TotalAsync(AuditPath)).ShouldBe(before);
        (await admin.TotalAsync($"{AuditPath}?action=vip_tier.updated")).ShouldBe(0);
    }
}
