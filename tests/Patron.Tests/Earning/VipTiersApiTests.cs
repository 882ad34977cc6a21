using System.Net;
using System.Text.Json;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Earning;

/// <summary>VIP tiers over HTTP (docs/API.md VIP tiers): CRUD, validation, scopes and tenancy.</summary>
public sealed class VipTiersApiTests
{
    private const string Tiers = "/api/v1/vip_tiers";

    private static readonly (string Why, object Body, string Code, string Param)[] InvalidTiers =
    [
        ("no name", new { points_required = 10 }, "parameter_missing", "name"),
        ("blank name", new { name = "  ", points_required = 10 }, "parameter_missing", "name"),
        ("long name", new { name = new string('x', 101), points_required = 10 }, "parameter_invalid", "name"),
        ("no requirement", new { name = "A" }, "parameter_missing", "points_required"),
        ("both requirements", new { name = "A", points_required = 10, spend_required = 10 }, "parameter_invalid", "spend_required"),
        ("zero points", new { name = "A", points_required = 0 }, "parameter_invalid", "points_required"),
        ("negative spend", new { name = "A", spend_required = -1 }, "parameter_invalid", "spend_required"),
        ("spend with five decimals", new { name = "A", spend_required = 1.00001 }, "parameter_invalid", "spend_required"),
        ("window without spend", new { name = "A", points_required = 10, spend_window_days = 30 }, "parameter_invalid", "spend_window_days"),
        ("window of 0 days", new { name = "A", spend_required = 10, spend_window_days = 0 }, "parameter_invalid", "spend_window_days"),
        ("window over ten years", new { name = "A", spend_required = 10, spend_window_days = 3651 }, "parameter_invalid", "spend_window_days"),
        ("zero multiplier", new { name = "A", points_required = 10, multiplier = 0 }, "parameter_invalid", "multiplier"),
        ("huge multiplier", new { name = "A", points_required = 10, multiplier = 101 }, "parameter_invalid", "multiplier"),
        ("unknown discount type", new { name = "A", points_required = 10, discount_type = "bogo", discount_value = 1 }, "parameter_invalid", "discount_type"),
        ("discount type without value", new { name = "A", points_required = 10, discount_type = "amount" }, "parameter_missing", "discount_value"),
        ("discount value without type", new { name = "A", points_required = 10, discount_value = 5 }, "parameter_invalid", "discount_value"),
        ("percentage over 100", new { name = "A", points_required = 10, discount_type = "percentage", discount_value = 101 }, "parameter_invalid", "discount_value"),
        ("zero discount", new { name = "A", points_required = 10, discount_type = "amount", discount_value = 0 }, "parameter_invalid", "discount_value"),
        ("points as text", new { name = "A", points_required = "ten" }, "parameter_invalid", "points_required"),
        ("free_shipping as text", new { name = "A", points_required = 10, free_shipping = "yes" }, "parameter_invalid", "free_shipping"),
    ];

    [Theory, DatabaseData]
    public async Task An_admin_creates_reads_changes_lists_and_deletes_a_points_tier(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var created = await server.Client.PostJsonAsync(Tiers, new
        {
            name = "Gold",
            points_required = 1000,
            multiplier = 1.5,
            discount_type = "percentage",
            discount_value = 10,
            free_shipping = true,
        });

        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        created.Str("object").ShouldBe("vip_tier");
        var id = created.Str("id");
        id.ShouldStartWith("tier_");
        created.Str("name").ShouldBe("Gold");
        created.Long("points_required").ShouldBe(1000);
        created["spend_required"].ValueKind.ShouldBe(JsonValueKind.Null);
        created["spend_window_days"].ValueKind.ShouldBe(JsonValueKind.Null);
        created["multiplier"].GetDecimal().ShouldBe(1.5m);
        created.Str("discount_type").ShouldBe("percentage");
        created["discount_value"].GetDecimal().ShouldBe(10m);
        created["free_shipping"].GetBoolean().ShouldBeTrue();
        created.Str("created_at").ShouldMatch(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$");

        var read = await server.Client.GetJsonAsync($"{Tiers}/{id}");
        read.Status.ShouldBe(HttpStatusCode.OK);
        read.Raw.ShouldBe(created.Raw);

        var changed = await server.Client.PatchJsonAsync($"{Tiers}/{id}", new { name = " Platinum ", multiplier = 2, discount_type = "" });
        changed.Status.ShouldBe(HttpStatusCode.OK, changed.Raw);
        changed.Str("name").ShouldBe("Platinum");
        changed["multiplier"].GetDecimal().ShouldBe(2m);
        changed["discount_type"].ValueKind.ShouldBe(JsonValueKind.Null);
        changed["discount_value"].ValueKind.ShouldBe(JsonValueKind.Null);
        changed.Long("points_required").ShouldBe(1000);
        changed["free_shipping"].GetBoolean().ShouldBeTrue();

        var second = await server.Client.PostJsonAsync(Tiers, new { name = "Silver", points_required = 200 });
        second.Status.ShouldBe(HttpStatusCode.Created, second.Raw);
        second["multiplier"].GetDecimal().ShouldBe(1m);
        second["free_shipping"].GetBoolean().ShouldBeFalse();
        second["discount_type"].ValueKind.ShouldBe(JsonValueKind.Null);

        var list = await server.Client.GetJsonAsync(Tiers);
        list.Status.ShouldBe(HttpStatusCode.OK);
        list.Str("object").ShouldBe("list");
        list.Long("total_count").ShouldBe(2);
        list["data"].EnumerateArray().Select(t => t.GetProperty("id").GetString()).ShouldBe(new[] { second.Str("id"), id });

        var deleted = await server.Client.DeleteJsonAsync($"{Tiers}/{id}");
        deleted.Status.ShouldBe(HttpStatusCode.OK, deleted.Raw);
        deleted.Str("id").ShouldBe(id);
        deleted.Str("object").ShouldBe("vip_tier");
        deleted["deleted"].GetBoolean().ShouldBeTrue();

        (await server.Client.GetJsonAsync($"{Tiers}/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.DeleteJsonAsync($"{Tiers}/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.PatchJsonAsync($"{Tiers}/{id}", new { name = "Again" })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.GetJsonAsync(Tiers)).Long("total_count").ShouldBe(1);

        // A deleted tier's name is free again.
        (await server.Client.PostJsonAsync(Tiers, new { name = "Platinum", points_required = 5000 })).Status.ShouldBe(HttpStatusCode.Created);
    }

    [Theory, DatabaseData]
    public async Task A_spend_tier_has_a_rolling_window_of_365_days_unless_given_and_a_patch_can_switch_its_kind(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var spend = await server.Client.PostJsonAsync(Tiers, new { name = "Big spender", spend_required = 499.99, discount_type = "amount", discount_value = 5.5 });
        spend.Status.ShouldBe(HttpStatusCode.Created, spend.Raw);
        spend["spend_required"].GetDecimal().ShouldBe(499.99m);
        spend.Long("spend_window_days").ShouldBe(365);
        spend["points_required"].ValueKind.ShouldBe(JsonValueKind.Null);
        spend["discount_value"].GetDecimal().ShouldBe(5.5m);
        var id = spend.Str("id");

        var windowed = await server.Client.PatchJsonAsync($"{Tiers}/{id}", new { spend_window_days = 30 });
        windowed.Status.ShouldBe(HttpStatusCode.OK, windowed.Raw);
        windowed.Long("spend_window_days").ShouldBe(30);
        windowed["spend_required"].GetDecimal().ShouldBe(499.99m);

        var points = await server.Client.PatchJsonAsync($"{Tiers}/{id}", new { points_required = 700 });
        points.Status.ShouldBe(HttpStatusCode.OK, points.Raw);
        points.Long("points_required").ShouldBe(700);
        points["spend_required"].ValueKind.ShouldBe(JsonValueKind.Null);
        points["spend_window_days"].ValueKind.ShouldBe(JsonValueKind.Null);

        var windowOnPoints = await server.Client.PatchJsonAsync($"{Tiers}/{id}", new { spend_window_days = 30 });
        windowOnPoints.Code.ShouldBe(422);
        windowOnPoints["error"].GetProperty("param").GetString().ShouldBe("spend_window_days");
        (await server.Client.GetJsonAsync($"{Tiers}/{id}")).Long("points_required").ShouldBe(700);
    }

    [Theory, DatabaseData]
    public async Task Invalid_tiers_are_422_naming_the_field_and_create_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        foreach (var (why, body, code, param) in InvalidTiers)
        {
            var answer = await server.Client.PostJsonAsync(Tiers, body);

            answer.Code.ShouldBe(422, $"{why}: {answer.Raw}");
            answer.ErrorCode.ShouldBe(code, why);
            answer["error"].GetProperty("param").GetString().ShouldBe(param, why);
        }
        (await server.Client.GetJsonAsync(Tiers)).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Tiers_of_a_program_share_one_kind_of_requirement_with_distinct_thresholds_and_names(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var silver = await server.Client.PostJsonAsync(Tiers, new { name = "Silver", points_required = 100 });
        silver.Status.ShouldBe(HttpStatusCode.Created);

        var mixed = await server.Client.PostJsonAsync(Tiers, new { name = "Spender", spend_required = 100 });
        mixed.Code.ShouldBe(422, mixed.Raw);
        mixed["error"].GetProperty("param").GetString().ShouldBe("spend_required");

        var sameName = await server.Client.PostJsonAsync(Tiers, new { name = "Silver", points_required = 500 });
        sameName.Status.ShouldBe(HttpStatusCode.Conflict, sameName.Raw);
        sameName.ErrorCode.ShouldBe("name_in_use");

        var sameThreshold = await server.Client.PostJsonAsync(Tiers, new { name = "Gold", points_required = 100 });
        sameThreshold.Status.ShouldBe(HttpStatusCode.Conflict, sameThreshold.Raw);
        sameThreshold.ErrorCode.ShouldBe("threshold_in_use");

        var gold = await server.Client.PostJsonAsync(Tiers, new { name = "Gold", points_required = 500 });
        gold.Status.ShouldBe(HttpStatusCode.Created, gold.Raw);
        var renamed = await server.Client.PatchJsonAsync($"{Tiers}/{gold.Str("id")}", new { name = "Silver" });
        renamed.Status.ShouldBe(HttpStatusCode.Conflict, renamed.Raw);
        var lowered = await server.Client.PatchJsonAsync($"{Tiers}/{gold.Str("id")}", new { points_required = 100 });
        lowered.Status.ShouldBe(HttpStatusCode.Conflict, lowered.Raw);
        // A tier may keep its own values (no clash with itself).
        (await server.Client.PatchJsonAsync($"{Tiers}/{gold.Str("id")}", new { name = "Gold", points_required = 500 })).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Client.GetJsonAsync(Tiers)).Long("total_count").ShouldBe(2);

        // Once the points tiers are gone, the program may switch to spend tiers.
        (await server.Client.DeleteJsonAsync($"{Tiers}/{silver.Str("id")}")).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Client.DeleteJsonAsync($"{Tiers}/{gold.Str("id")}")).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Client.PostJsonAsync(Tiers, new { name = "Spender", spend_required = 100 })).Status.ShouldBe(HttpStatusCode.Created);
    }

    [Theory, DatabaseData]
    public async Task Any_key_reads_tiers_but_only_an_admin_key_changes_them(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = (await server.Client.PostJsonAsync(Tiers, new { name = "Gold", points_required = 1000 })).Str("id");
        var read = await server.ClientWithScopeAsync(Scope.Read);
        var write = await server.ClientWithScopeAsync(Scope.Write);

        (await read.GetJsonAsync(Tiers)).Long("total_count").ShouldBe(1);
        (await read.GetJsonAsync($"{Tiers}/{id}")).Str("name").ShouldBe("Gold");
        foreach (var client in new[] { read, write })
        {
            var create = await client.PostJsonAsync(Tiers, new { name = "Silver", points_required = 100 });
            create.Status.ShouldBe(HttpStatusCode.Forbidden, create.Raw);
            create.ErrorType.ShouldBe("permission_error");
            (await client.PatchJsonAsync($"{Tiers}/{id}", new { name = "Bronze" })).Status.ShouldBe(HttpStatusCode.Forbidden);
            (await client.DeleteJsonAsync($"{Tiers}/{id}")).Status.ShouldBe(HttpStatusCode.Forbidden);
        }
        (await server.Client.GetJsonAsync($"{Tiers}/{id}")).Str("name").ShouldBe("Gold");
        (await server.Client.GetJsonAsync(Tiers)).Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Another_programs_tier_is_404_and_invisible(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = (await server.Client.PostJsonAsync(Tiers, new { name = "Gold", points_required = 1000 })).Str("id");
        var (_, other) = await server.CreateProgramAsync();

        (await other.GetJsonAsync($"{Tiers}/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.PatchJsonAsync($"{Tiers}/{id}", new { name = "Mine" })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.DeleteJsonAsync($"{Tiers}/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.GetJsonAsync(Tiers)).Long("total_count").ShouldBe(0);
        // Names, thresholds and the kind of requirement are per program.
        (await other.PostJsonAsync(Tiers, new { name = "Gold", spend_required = 10 })).Status.ShouldBe(HttpStatusCode.Created);
        (await server.Client.GetJsonAsync($"{Tiers}/{id}")).Str("name").ShouldBe("Gold");
    }
}
