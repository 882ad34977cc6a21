using System.Net;
using System.Text.Json;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Earning.EarningTestData;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Earning;

/// <summary>Earn rules and campaigns over HTTP (docs/API.md, Earn rules).</summary>
public sealed class EarnRulesApiTests
{
    [Theory, DatabaseData]
    public async Task An_admin_creates_reads_changes_and_deletes_a_rule(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var created = await server.Client.PostJsonAsync(Rules, new
        {
            name = "Product review",
            type = "review",
            points = 50,
            limit_period = "day",
            limit_count = 3,
            starts_at = "2026-02-01T00:00:00Z",
            ends_at = "2026-03-01T00:00:00Z",
        });

        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        created.Str("object").ShouldBe("earn_rule");
        var id = created.Str("id");
        id.ShouldStartWith("rule_");
        created.Str("name").ShouldBe("Product review");
        created.Str("type").ShouldBe("review");
        created.Long("points").ShouldBe(50);
        created["points_per_unit"].ValueKind.ShouldBe(JsonValueKind.Null);
        created["multiplier"].GetDecimal().ShouldBe(1m);
        created["campaign"].GetBoolean().ShouldBeFalse();
        created.Str("limit_period").ShouldBe("day");
        created.Long("limit_count").ShouldBe(3);
        created["tier_ids"].GetArrayLength().ShouldBe(0);
        created.Str("starts_at").ShouldBe("2026-02-01T00:00:00.000Z");
        created.Str("ends_at").ShouldBe("2026-03-01T00:00:00.000Z");
        created["enabled"].GetBoolean().ShouldBeTrue();

        var read = await server.Client.GetJsonAsync($"{Rules}/{id}");
        read.Status.ShouldBe(HttpStatusCode.OK);
        read.Raw.ShouldBe(created.Raw);

        var changed = await server.Client.PatchJsonAsync($"{Rules}/{id}", new { points = 75, limit_period = "", ends_at = "", enabled = false });
        changed.Status.ShouldBe(HttpStatusCode.OK, changed.Raw);
        changed.Long("points").ShouldBe(75);
        changed["limit_period"].ValueKind.ShouldBe(JsonValueKind.Null);
        changed["limit_count"].ValueKind.ShouldBe(JsonValueKind.Null);
        changed["ends_at"].ValueKind.ShouldBe(JsonValueKind.Null);
        changed.Str("starts_at").ShouldBe("2026-02-01T00:00:00.000Z");
        changed["enabled"].GetBoolean().ShouldBeFalse();
        changed.Str("name").ShouldBe("Product review");
        (await server.Client.GetJsonAsync($"{Rules}/{id}")).Long("points").ShouldBe(75);

        var deleted = await server.Client.DeleteJsonAsync($"{Rules}/{id}");
        deleted.Status.ShouldBe(HttpStatusCode.OK);
        deleted.Str("id").ShouldBe(id);
        deleted.Str("object").ShouldBe("earn_rule");
        deleted["deleted"].GetBoolean().ShouldBeTrue();
        (await server.Client.GetJsonAsync($"{Rules}/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.DeleteJsonAsync($"{Rules}/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.PatchJsonAsync($"{Rules}/{id}", new { points = 1 })).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory, DatabaseData]
    public async Task The_spec_types_custom_names_place_order_and_campaigns_are_accepted(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        foreach (var type in new[] { "signup", "birthday", "newsletter_signup", "review", "social_follow", "watched_video", "quiz.completed" })
        {
            var rule = await server.Client.PostJsonAsync(Rules, new { type, points = 10 });
            rule.Status.ShouldBe(HttpStatusCode.Created, rule.Raw);
            rule.Str("type").ShouldBe(type);
        }

        var signup = await server.Client.PostJsonAsync(Rules, new { type = "$signup", points = 100, limit_period = "once" });
        signup.Str("type").ShouldBe("signup");
        signup.Long("limit_count").ShouldBe(1);

        var order = await server.Client.PostJsonAsync(Rules, new { type = "place_order", points_per_unit = 2.5 });
        order.Status.ShouldBe(HttpStatusCode.Created, order.Raw);
        order["points_per_unit"].GetDecimal().ShouldBe(2.5m);
        order.Long("points").ShouldBe(0);

        var campaign = await server.Client.PostJsonAsync(Rules, new
        {
            name = "Double review week",
            type = "review",
            multiplier = 2,
            starts_at = "2026-02-01T00:00:00Z",
            ends_at = "2026-02-08T00:00:00Z",
        });
        campaign.Status.ShouldBe(HttpStatusCode.Created, campaign.Raw);
        campaign["multiplier"].GetDecimal().ShouldBe(2m);
        campaign["campaign"].GetBoolean().ShouldBeTrue();
        campaign.Long("points").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task The_list_filters_by_enabled_and_type_and_pages_newest_first(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var review = await CreateRuleAsync(server.Client, new { type = "review", points = 5 });
        var disabled = await CreateRuleAsync(server.Client, new { type = "review", points = 7, enabled = false });
        var signup = await CreateRuleAsync(server.Client, new { type = "signup", points = 100 });

        var all = await server.Client.GetJsonAsync(Rules);
        all.Str("object").ShouldBe("list");
        all.Long("total_count").ShouldBe(3);
        Ids(all).ShouldBe([signup, disabled, review]);

        Ids(await server.Client.GetJsonAsync($"{Rules}?enabled=true")).ShouldBe([signup, review]);
        Ids(await server.Client.GetJsonAsync($"{Rules}?enabled=false")).ShouldBe([disabled]);
        Ids(await server.Client.GetJsonAsync($"{Rules}?enabled=true&type=review")).ShouldBe([review]);
        Ids(await server.Client.GetJsonAsync($"{Rules}?type=%24signup")).ShouldBe([signup]);

        var first = await server.Client.GetJsonAsync($"{Rules}?limit=2");
        first["has_more"].GetBoolean().ShouldBeTrue();
        var next = await server.Client.GetJsonAsync($"{Rules}?limit=2&starting_after={disabled}");
        Ids(next).ShouldBe([review]);

        var bad = await server.Client.GetJsonAsync($"{Rules}?enabled=yes");
        bad.Code.ShouldBe(422);
        bad.ErrorCode.ShouldBe("parameter_invalid");
    }

    // name of the case, JSON body, expected code, expected param
    private static readonly (string Name, string Body, string Code, string Param)[] InvalidRules =
    [
        ("no type", """{"points":10}""", "parameter_missing", "type"),
        ("bad type", """{"type":"has space","points":10}""", "parameter_invalid", "type"),
        ("no points", """{"type":"review"}""", "parameter_missing", "points"),
        ("negative points", """{"type":"review","points":-5}""", "parameter_invalid", "points"),
        ("points of the wrong type", """{"type":"review","points":"ten"}""", "parameter_invalid", "points"),
        ("place_order without rate", """{"type":"place_order"}""", "parameter_missing", "points_per_unit"),
        ("place_order with points", """{"type":"place_order","points_per_unit":1,"points":5}""", "parameter_invalid", "points"),
        ("place_order with limit", """{"type":"place_order","points_per_unit":1,"limit_period":"day"}""", "parameter_invalid", "limit_period"),
        ("rate on an activity", """{"type":"review","points":5,"points_per_unit":2}""", "parameter_invalid", "points_per_unit"),
        ("zero rate", """{"type":"place_order","points_per_unit":0}""", "parameter_invalid", "points_per_unit"),
        ("campaign with points", """{"type":"review","multiplier":2,"points":5}""", "parameter_invalid", "points"),
        ("campaign with limit", """{"type":"review","multiplier":2,"limit_period":"once"}""", "parameter_invalid", "limit_period"),
        ("multiplier too big", """{"type":"review","multiplier":101}""", "parameter_invalid", "multiplier"),
        ("multiplier zero", """{"type":"review","multiplier":0}""", "parameter_invalid", "multiplier"),
        ("multiplier too precise", """{"type":"review","multiplier":1.23456}""", "parameter_invalid", "multiplier"),
        ("unknown period", """{"type":"review","points":5,"limit_period":"year"}""", "parameter_invalid", "limit_period"),
        ("count without period", """{"type":"review","points":5,"limit_count":2}""", "parameter_invalid", "limit_count"),
        ("once twice", """{"type":"review","points":5,"limit_period":"once","limit_count":2}""", "parameter_invalid", "limit_count"),
        ("count zero", """{"type":"review","points":5,"limit_period":"day","limit_count":0}""", "parameter_invalid", "limit_count"),
        ("count too big", """{"type":"review","points":5,"limit_period":"week","limit_count":1001}""", "parameter_invalid", "limit_count"),
        ("birthday with limit", """{"type":"birthday","points":5,"limit_period":"month"}""", "parameter_invalid", "limit_period"),
        ("end before start", """{"type":"review","points":5,"starts_at":"2026-03-01T00:00:00Z","ends_at":"2026-02-01T00:00:00Z"}""", "parameter_invalid", "ends_at"),
        ("not a timestamp", """{"type":"review","points":5,"starts_at":"next tuesday"}""", "parameter_invalid", "starts_at"),
        ("unknown tier", """{"type":"review","points":5,"tier_ids":["tier_nope"]}""", "parameter_invalid", "tier_ids"),
        ("tier ids not a list", """{"type":"review","points":5,"tier_ids":"tier_x"}""", "parameter_invalid", "tier_ids"),
        ("long name", $$"""{"type":"review","points":5,"name":"{{new string('x', 201)}}"}""", "parameter_invalid", "name"),
    ];

    [Theory, DatabaseData]
    public async Task Invalid_rules_are_422_naming_the_parameter_and_nothing_is_created(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        foreach (var (name, body, code, param) in InvalidRules)
        {
            var answer = await server.Client.SendRawAsync(HttpMethod.Post, Rules, body);
            answer.Code.ShouldBe(422, $"{name}: {answer.Raw}");
            answer.ErrorType.ShouldBe("invalid_request_error", name);
            answer.ErrorCode.ShouldBe(code, name);
            answer.Body.GetProperty("error").GetProperty("param").GetString().ShouldBe(param, name);
        }

        (await server.Client.GetJsonAsync(Rules)).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_patch_is_validated_as_a_whole_and_cannot_change_the_type_or_kind(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var rule = await CreateRuleAsync(server.Client, new { type = "review", points = 5 });
        var campaign = await CreateRuleAsync(server.Client, new { type = "review", multiplier = 3 });

        async Task Refused(string id, object body, string param)
        {
            var answer = await server.Client.PatchJsonAsync($"{Rules}/{id}", body);
            answer.Code.ShouldBe(422, answer.Raw);
            answer.Body.GetProperty("error").GetProperty("param").GetString().ShouldBe(param);
        }

        await Refused(rule, new { type = "signup" }, "type");
        await Refused(rule, new { multiplier = 2 }, "multiplier");
        await Refused(campaign, new { multiplier = 1 }, "multiplier");
        await Refused(campaign, new { points = 10 }, "points");
        await Refused(rule, new { points = 0 }, "points");
        await Refused(rule, new { starts_at = "2026-05-01T00:00:00Z", ends_at = "2026-04-01T00:00:00Z" }, "ends_at");
        await Refused(rule, new { limit_count = 4 }, "limit_count");

        (await server.Client.GetJsonAsync($"{Rules}/{rule}")).Long("points").ShouldBe(5);
        var faster = await server.Client.PatchJsonAsync($"{Rules}/{campaign}", new { multiplier = 1.5 });
        faster.Status.ShouldBe(HttpStatusCode.OK, faster.Raw);
        faster["multiplier"].GetDecimal().ShouldBe(1.5m);
        var limited = await server.Client.PatchJsonAsync($"{Rules}/{rule}", new { limit_period = "week", limit_count = 2 });
        limited.Str("limit_period").ShouldBe("week");
        limited.Long("limit_count").ShouldBe(2);
    }

    [Theory, DatabaseData]
    public async Task A_tier_filter_takes_the_program_s_tiers_only(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var gold = await CreateTierAsync(server.Client, new { name = "Gold", points_required = 1000, multiplier = 1m });

        var rule = await server.Client.PostJsonAsync(Rules, new { type = "review", points = 5, tier_ids = new[] { gold, gold } });
        rule.Status.ShouldBe(HttpStatusCode.Created, rule.Raw);
        rule["tier_ids"].EnumerateArray().Select(t => t.GetString()).ShouldBe([gold]);

        var (_, other) = await server.CreateProgramAsync();
        var foreign = await other.PostJsonAsync(Rules, new { type = "review", points = 5, tier_ids = new[] { gold } });
        foreign.Code.ShouldBe(422);
        foreign.Body.GetProperty("error").GetProperty("param").GetString().ShouldBe("tier_ids");

        var cleared = await server.Client.PatchJsonAsync($"{Rules}/{rule.Str("id")}", new { tier_ids = Array.Empty<string>() });
        cleared["tier_ids"].GetArrayLength().ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Only_admin_keys_change_rules_while_any_key_reads_them(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var rule = await CreateRuleAsync(server.Client, new { type = "review", points = 5 });
        var write = await server.ClientWithScopeAsync(Scope.Write);
        var read = await server.ClientWithScopeAsync(Scope.Read);

        foreach (var client in new[] { write, read })
        {
            var create = await client.PostJsonAsync(Rules, new { type = "signup", points = 10 });
            create.Code.ShouldBe(403);
            create.ErrorType.ShouldBe("permission_error");
            (await client.PatchJsonAsync($"{Rules}/{rule}", new { points = 1 })).Code.ShouldBe(403);
            (await client.DeleteJsonAsync($"{Rules}/{rule}")).Code.ShouldBe(403);

            (await client.GetJsonAsync(Rules)).Long("total_count").ShouldBe(1);
            (await client.GetJsonAsync($"{Rules}/{rule}")).Long("points").ShouldBe(5);
        }
        (await write.PostJsonAsync(Rules, new { type = "signup", points = 10 })).ErrorCode.ShouldBe("insufficient_scope");
        (await server.Client.GetJsonAsync($"{Rules}/{rule}")).Long("points").ShouldBe(5);
    }

    [Theory, DatabaseData]
    public async Task Another_program_s_rule_is_not_found(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var rule = await CreateRuleAsync(server.Client, new { type = "review", points = 5 });
        var (_, other) = await server.CreateProgramAsync();

        (await other.GetJsonAsync($"{Rules}/{rule}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.PatchJsonAsync($"{Rules}/{rule}", new { points = 1 })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.DeleteJsonAsync($"{Rules}/{rule}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.GetJsonAsync(Rules)).Long("total_count").ShouldBe(0);
        (await server.Client.GetJsonAsync($"{Rules}/{rule}")).Long("points").ShouldBe(5);
    }

    private static List<string> Ids(ApiResponse list) =>
        list["data"].EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToList();
}
