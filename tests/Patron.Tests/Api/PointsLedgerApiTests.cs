using System.Net;
using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Api;

/// <summary>The points ledger over HTTP (docs/API.md, Points ledger and Events; section 5, guarantees 1 and 5).</summary>
public sealed class PointsLedgerApiTests
{
    private const string Customers = "/api/v1/customers";

    [Theory, DatabaseData]
    public async Task An_award_is_201_with_the_entry_and_moves_the_balance(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        var award = await Post(server.Client, id, new { points = 120, type = "earned", description = "Order #1" });

        award.Status.ShouldBe(HttpStatusCode.Created);
        award.Str("object").ShouldBe("points_transaction");
        award.Str("id").ShouldStartWith("ptx_");
        award.Str("customer_id").ShouldBe(id);
        award.Long("points").ShouldBe(120);
        award.Str("type").ShouldBe("earned");
        award.Str("description").ShouldBe("Order #1");
        award["reference"].ValueKind.ShouldBe(JsonValueKind.Null);
        award.Long("balance_after").ShouldBe(120);
        award.Str("created_by").ShouldStartWith("key_");
        award.Str("created_at").ShouldMatch(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$");
        (await BalanceAsync(server.Client, id)).ShouldBe(120);
    }

    [Theory, DatabaseData]
    public async Task Awards_and_deductions_keep_balance_after_lifetime_points_and_points_spent(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        (await Post(server.Client, id, new { points = 100, type = "earned" })).Long("balance_after").ShouldBe(100);
        (await Post(server.Client, id, new { points = 50 })).Long("balance_after").ShouldBe(150);
        (await Post(server.Client, id, new { points = -30, type = "redeemed" })).Long("balance_after").ShouldBe(120);
        (await Post(server.Client, id, new { points = -20 })).Long("balance_after").ShouldBe(100);

        var customer = await server.Client.GetJsonAsync($"{Customers}/{id}");
        customer.Long("points_balance").ShouldBe(100);
        customer.Long("lifetime_points").ShouldBe(150);
        customer.Long("points_spent").ShouldBe(50);
        customer.Long("points_expired").ShouldBe(0);
        (await LedgerSumAsync(server.Client, id)).ShouldBe(100);
    }

    [Theory, DatabaseData]
    public async Task The_type_defaults_to_earned_for_positive_and_redeemed_for_negative_points(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        (await Post(server.Client, id, new { points = 10 })).Str("type").ShouldBe("earned");
        (await Post(server.Client, id, new { points = -4 })).Str("type").ShouldBe("redeemed");
    }

    [Theory, DatabaseData]
    public async Task Adjustments_may_go_up_or_down_and_only_upward_ones_count_as_lifetime_points(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        (await Post(server.Client, id, new { points = 40, type = "adjusted" })).Status.ShouldBe(HttpStatusCode.Created);
        (await Post(server.Client, id, new { points = -15, type = "adjusted" })).Long("balance_after").ShouldBe(25);

        var customer = await server.Client.GetJsonAsync($"{Customers}/{id}");
        customer.Long("points_balance").ShouldBe(25);
        customer.Long("lifetime_points").ShouldBe(40);
        customer.Long("points_spent").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_deduction_below_zero_is_refused_with_insufficient_points_and_writes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);
        await Post(server.Client, id, new { points = 30 });
        var eventsBefore = (await server.Client.GetJsonAsync("/api/v1/events")).Long("total_count");

        foreach (var body in new object[] { new { points = -31 }, new { points = -31, type = "adjusted" }, new { points = -1000, type = "redeemed" } })
        {
            var refused = await Post(server.Client, id, body);
            refused.Code.ShouldBe(422);
            refused.ErrorType.ShouldBe("invalid_request_error");
            refused.ErrorCode.ShouldBe("insufficient_points");
        }

        var customer = await server.Client.GetJsonAsync($"{Customers}/{id}");
        customer.Long("points_balance").ShouldBe(30);
        customer.Long("points_spent").ShouldBe(0);
        (await server.Client.GetJsonAsync($"{Customers}/{id}/points_transactions")).Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync("/api/v1/events")).Long("total_count").ShouldBe(eventsBefore);

        // Exactly the balance may be spent.
        (await Post(server.Client, id, new { points = -30 })).Long("balance_after").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Earned_must_be_positive_and_redeemed_negative(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);
        await Post(server.Client, id, new { points = 100 });

        var negativeEarn = await Post(server.Client, id, new { points = -5, type = "earned" });
        negativeEarn.Code.ShouldBe(422);
        negativeEarn.ErrorCode.ShouldBe("parameter_invalid");
        negativeEarn["error"].GetProperty("param").GetString().ShouldBe("points");

        var positiveRedeem = await Post(server.Client, id, new { points = 5, type = "redeemed" });
        positiveRedeem.Code.ShouldBe(422);
        positiveRedeem.ErrorCode.ShouldBe("parameter_invalid");
        positiveRedeem["error"].GetProperty("param").GetString().ShouldBe("points");

        (await BalanceAsync(server.Client, id)).ShouldBe(100);
    }

    [Theory, DatabaseData]
    public async Task System_types_and_malformed_labels_cannot_be_posted(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);
        await Post(server.Client, id, new { points = 100 });

        foreach (var (type, points) in new[] { ("expired", -10L), ("reversed", -10L), ("refunded", 10L), ("EXPIRED", -10L), (" bonus", 10L), ("bonus\n", 10L), (new string('b', 51), 10L) })
        {
            var response = await Post(server.Client, id, new { points, type });
            response.Code.ShouldBe(422, type);
            response.ErrorCode.ShouldBe("parameter_invalid", type);
            response["error"].GetProperty("param").GetString().ShouldBe("type", type);
        }
        (await BalanceAsync(server.Client, id)).ShouldBe(100);
        (await server.Client.GetJsonAsync($"{Customers}/{id}/points_transactions")).Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Zero_or_missing_points_are_422(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        var zero = await Post(server.Client, id, new { points = 0, type = "earned" });
        zero.Code.ShouldBe(422);
        zero.ErrorCode.ShouldBe("parameter_invalid");
        zero["error"].GetProperty("param").GetString().ShouldBe("points");

        var missing = await Post(server.Client, id, new { type = "earned" });
        missing.Code.ShouldBe(422);
        missing.ErrorCode.ShouldBe("parameter_missing");
        missing["error"].GetProperty("param").GetString().ShouldBe("points");

        foreach (var raw in new[] { """{"points":"10"}""", """{"points":1.5}""", """{"points":true}""" })
        {
            var wrongType = await server.Client.SendRawAsync(HttpMethod.Post, $"{Customers}/{id}/points_transactions", raw);
            wrongType.Code.ShouldBe(422, raw);
            wrongType["error"].GetProperty("param").GetString().ShouldBe("points", raw);
        }
        (await server.Client.GetJsonAsync($"{Customers}/{id}/points_transactions")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Out_of_range_points_overlong_descriptions_and_empty_references_are_422(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        foreach (var (param, body) in new (string, object)[]
                 {
                     ("points", new { points = long.MaxValue }),
                     ("points", new { points = long.MinValue, type = "adjusted" }),
                     ("description", new { points = 1, description = new string('d', 501) }),
                     ("reference", new { points = 1, reference = "" }),
                     ("reference", new { points = 1, reference = new string('r', 201) }),
                 })
        {
            var response = await Post(server.Client, id, body);
            response.Code.ShouldBe(422, param);
            response.ErrorCode.ShouldBe("parameter_invalid", param);
            response["error"].GetProperty("param").GetString().ShouldBe(param);
        }
        (await server.Client.GetJsonAsync($"{Customers}/{id}/points_transactions")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Points_for_an_unknown_customer_are_404(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var response = await Post(server.Client, "cus_missing", new { points = 10 });

        response.Status.ShouldBe(HttpStatusCode.NotFound);
        response.ErrorType.ShouldBe("not_found_error");
        (await server.Client.GetJsonAsync("/api/v1/points_transactions")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_blocked_customer_earns_and_redeems_nothing_but_may_be_adjusted(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);
        await Post(server.Client, id, new { points = 50 });
        (await server.Client.PatchJsonAsync($"{Customers}/{id}", new { status = "blocked" })).Status.ShouldBe(HttpStatusCode.OK);

        foreach (var body in new object[] { new { points = 10, type = "earned" }, new { points = -10, type = "redeemed" }, new { points = 10 } })
        {
            var refused = await Post(server.Client, id, body);
            refused.Status.ShouldBe(HttpStatusCode.Forbidden);
            refused.ErrorType.ShouldBe("permission_error");
            refused.ErrorCode.ShouldBe("customer_blocked");
        }
        (await BalanceAsync(server.Client, id)).ShouldBe(50);

        (await Post(server.Client, id, new { points = 5, type = "adjusted" })).Long("balance_after").ShouldBe(55);
        (await Post(server.Client, id, new { points = -15, type = "adjusted" })).Long("balance_after").ShouldBe(40);

        await server.Client.PatchJsonAsync($"{Customers}/{id}", new { status = "active" });
        (await Post(server.Client, id, new { points = 10 })).Long("balance_after").ShouldBe(50);
    }

    [Theory, DatabaseData]
    public async Task A_repeated_reference_returns_the_original_entry_with_200_and_credits_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        var first = await Post(server.Client, id, new { points = 25, reference = "order-1001" });
        first.Status.ShouldBe(HttpStatusCode.Created);
        first.Str("reference").ShouldBe("order-1001");

        var repeat = await Post(server.Client, id, new { points = 25, reference = "order-1001" });
        repeat.Status.ShouldBe(HttpStatusCode.OK);
        repeat.Str("id").ShouldBe(first.Str("id"));
        repeat.Long("balance_after").ShouldBe(25);
        repeat.Header("Idempotent-Replayed").ShouldBeNull();

        // Even a different amount under the same reference is the same transaction.
        var different = await Post(server.Client, id, new { points = 999, reference = "order-1001" });
        different.Status.ShouldBe(HttpStatusCode.OK);
        different.Str("id").ShouldBe(first.Str("id"));
        different.Long("points").ShouldBe(25);

        (await BalanceAsync(server.Client, id)).ShouldBe(25);
        (await server.Client.GetJsonAsync($"{Customers}/{id}/points_transactions")).Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync("/api/v1/events?type=points.created")).Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task A_repeated_reference_still_returns_the_original_entry_after_the_customer_is_blocked(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);
        var first = await Post(server.Client, id, new { points = 25, reference = "order-1001" });
        await server.Client.PatchJsonAsync($"{Customers}/{id}", new { status = "blocked" });

        var retry = await Post(server.Client, id, new { points = 25, reference = "order-1001" });

        retry.Status.ShouldBe(HttpStatusCode.OK);
        retry.Str("id").ShouldBe(first.Str("id"));
        (await Post(server.Client, id, new { points = 25, reference = "order-1002" })).ErrorCode.ShouldBe("customer_blocked");
        (await BalanceAsync(server.Client, id)).ShouldBe(25);
    }

    [Theory, DatabaseData]
    public async Task Points_posted_by_any_kind_of_reference_go_to_the_customer_it_names_first_and_never_to_an_erased_one(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ada = await server.Client.PostJsonAsync(Customers,
            new { email = "ada@example.com", phone = "+44 7700 900123", external_id = "shop-42" });
        var adaId = ada.Str("id");
        // Another customer whose external id is Ada's email and Ada's Patron id: the id outranks the external
        // id, which outranks the email (docs/API.md, Customers).
        var grace = (await server.Client.PostJsonAsync(Customers, new { email = "grace@example.com", external_id = "ADA@example.com" })).Str("id");
        var impostor = (await server.Client.PostJsonAsync(Customers, new { email = "imp@example.com", external_id = adaId })).Str("id");

        foreach (var reference in new[] { adaId, "shop-42", "%2B447700900123", ada.Str("qr_code"), "ada@EXAMPLE.com" })
        {
            var posted = await Post(server.Client, reference, new { points = 10 });
            posted.Status.ShouldBe(HttpStatusCode.Created, reference);
            posted.Str("customer_id").ShouldBe(adaId, reference);
        }
        (await Post(server.Client, "ADA@example.com", new { points = 7 })).Str("customer_id").ShouldBe(grace);
        (await BalanceAsync(server.Client, adaId)).ShouldBe(50);
        (await BalanceAsync(server.Client, grace)).ShouldBe(7);
        (await BalanceAsync(server.Client, impostor)).ShouldBe(0);

        await server.Client.PatchJsonAsync($"{Customers}/{adaId}", new { status = "blocked" });
        (await Post(server.Client, "shop-42", new { points = 10 })).ErrorCode.ShouldBe("customer_blocked");
        (await Post(server.Client, "shop-42", new { points = -10 })).ErrorCode.ShouldBe("customer_blocked");
        (await Post(server.Client, "shop-42", new { points = -10, type = "adjusted" })).Long("balance_after").ShouldBe(40);

        (await server.Client.DeleteJsonAsync($"{Customers}/{grace}")).Status.ShouldBe(HttpStatusCode.OK);
        var toErased = await Post(server.Client, grace, new { points = 10 });
        toErased.Status.ShouldBe(HttpStatusCode.NotFound);
        toErased.ErrorCode.ShouldBe("resource_missing");
    }

    [Theory, DatabaseData]
    public async Task The_Patron_id_of_an_erased_customer_names_no_one_for_points_not_even_for_a_retry_of_its_reference(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ada = await NewCustomerAsync(server.Client);
        var linus = await NewCustomerAsync(server.Client);
        (await Post(server.Client, ada, new { points = 30, reference = "till-7" })).Status.ShouldBe(HttpStatusCode.Created);
        (await server.Client.DeleteJsonAsync($"{Customers}/{ada}")).Status.ShouldBe(HttpStatusCode.OK);

        var retry = await Post(server.Client, ada, new { points = 30, reference = "till-7" });
        var award = await Post(server.Client, ada, new { points = 30 });

        retry.Status.ShouldBe(HttpStatusCode.NotFound);
        award.Status.ShouldBe(HttpStatusCode.NotFound);
        // Once no live customer has the id, it is looked up as the other kinds of reference, like any other.
        (await server.Client.PatchJsonAsync($"{Customers}/{linus}", new { external_id = ada })).Status.ShouldBe(HttpStatusCode.OK);
        (await Post(server.Client, ada, new { points = 30, reference = "till-7" })).Str("customer_id").ShouldBe(linus);
        (await Post(server.Client, ada, new { points = 5 })).Long("balance_after").ShouldBe(35);
        (await BalanceAsync(server.Client, linus)).ShouldBe(35);
    }

    [Theory, DatabaseData]
    public async Task A_reference_is_unique_per_customer_not_per_program(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var a = await NewCustomerAsync(server.Client, "a@example.com");
        var b = await NewCustomerAsync(server.Client, "b@example.com");

        (await Post(server.Client, a, new { points = 10, reference = "shared" })).Status.ShouldBe(HttpStatusCode.Created);
        (await Post(server.Client, b, new { points = 10, reference = "shared" })).Status.ShouldBe(HttpStatusCode.Created);

        (await BalanceAsync(server.Client, a)).ShouldBe(10);
        (await BalanceAsync(server.Client, b)).ShouldBe(10);
    }

    [Theory, DatabaseData]
    public async Task A_refused_deduction_does_not_use_up_its_reference(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        var refused = await Post(server.Client, id, new { points = -10, reference = "redeem-1" });
        refused.ErrorCode.ShouldBe("insufficient_points");
        await Post(server.Client, id, new { points = 10 });

        var retried = await Post(server.Client, id, new { points = -10, reference = "redeem-1" });
        retried.Status.ShouldBe(HttpStatusCode.Created);
        retried.Long("balance_after").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task The_per_customer_list_is_most_recent_first_with_the_envelope(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client, "ada@example.com");
        var other = await NewCustomerAsync(server.Client, "other@example.com");
        var entries = new List<string>();
        foreach (var points in new[] { 10, 20, -5, 30 })
        {
            entries.Add((await Post(server.Client, id, new { points })).Str("id"));
        }
        await Post(server.Client, other, new { points = 99 });

        foreach (var reference in new[] { id, "ada@example.com" })
        {
            var list = await server.Client.GetJsonAsync($"{Customers}/{reference}/points_transactions");
            list.Status.ShouldBe(HttpStatusCode.OK);
            list.Str("object").ShouldBe("list");
            list.Long("page").ShouldBe(1);
            list.Long("limit").ShouldBe(20);
            list.Long("total_count").ShouldBe(4);
            list["has_more"].GetBoolean().ShouldBeFalse();
            Ids(list).ShouldBe(Enumerable.Reverse(entries).ToList());
            list["data"].EnumerateArray().Select(e => e.GetProperty("balance_after").GetInt64()).ShouldBe([55, 25, 30, 10]);
        }

        var page = await server.Client.GetJsonAsync($"{Customers}/{id}/points_transactions?limit=3");
        page["has_more"].GetBoolean().ShouldBeTrue();
        var rest = await server.Client.GetJsonAsync($"{Customers}/{id}/points_transactions?limit=3&starting_after={Ids(page)[^1]}");
        Ids(rest).ShouldBe([entries[0]]);
        rest["has_more"].GetBoolean().ShouldBeFalse();

        (await server.Client.GetJsonAsync($"{Customers}/cus_missing/points_transactions")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory, DatabaseData]
    public async Task The_global_list_filters_by_customer_id_and_type(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var a = await NewCustomerAsync(server.Client, "a@example.com");
        var b = await NewCustomerAsync(server.Client, "b@example.com");
        var a1 = (await Post(server.Client, a, new { points = 100 })).Str("id");
        var a2 = (await Post(server.Client, a, new { points = -40 })).Str("id");
        var a3 = (await Post(server.Client, a, new { points = 7, type = "adjusted" })).Str("id");
        var b1 = (await Post(server.Client, b, new { points = 50 })).Str("id");
        var b2 = (await Post(server.Client, b, new { points = -10 })).Str("id");

        var all = await server.Client.GetJsonAsync("/api/v1/points_transactions");
        all.Str("object").ShouldBe("list");
        all.Long("total_count").ShouldBe(5);
        Ids(all).ShouldBe([b2, b1, a3, a2, a1]);

        Ids(await server.Client.GetJsonAsync($"/api/v1/points_transactions?customer_id={a}")).ShouldBe([a3, a2, a1]);
        Ids(await server.Client.GetJsonAsync("/api/v1/points_transactions?customer_id=b@example.com")).ShouldBe([b2, b1]);
        Ids(await server.Client.GetJsonAsync("/api/v1/points_transactions?type=earned")).ShouldBe([b1, a1]);
        Ids(await server.Client.GetJsonAsync("/api/v1/points_transactions?type=redeemed")).ShouldBe([b2, a2]);
        Ids(await server.Client.GetJsonAsync("/api/v1/points_transactions?type=adjusted")).ShouldBe([a3]);

        var both = await server.Client.GetJsonAsync($"/api/v1/points_transactions?customer_id={b}&type=redeemed");
        Ids(both).ShouldBe([b2]);
        both.Long("total_count").ShouldBe(1);

        var unknown = await server.Client.GetJsonAsync("/api/v1/points_transactions?customer_id=cus_unknown");
        unknown.Status.ShouldBe(HttpStatusCode.OK);
        unknown.Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_single_entry_is_found_by_its_id(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);
        var posted = await Post(server.Client, id, new { points = 42, description = "Welcome", reference = "welcome" });

        var fetched = await server.Client.GetJsonAsync($"/api/v1/points_transactions/{posted.Str("id")}");

        fetched.Status.ShouldBe(HttpStatusCode.OK);
        fetched.Raw.ShouldBe(posted.Raw);

        var missing = await server.Client.GetJsonAsync("/api/v1/points_transactions/ptx_missing");
        missing.Status.ShouldBe(HttpStatusCode.NotFound);
        missing.ErrorType.ShouldBe("not_found_error");
    }

    [Theory, DatabaseData]
    public async Task Another_programs_entries_are_invisible(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);
        var ptx = (await Post(server.Client, id, new { points = 10 })).Str("id");
        var (_, other) = await server.CreateProgramAsync();

        (await other.GetJsonAsync($"/api/v1/points_transactions/{ptx}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await other.GetJsonAsync("/api/v1/points_transactions")).Long("total_count").ShouldBe(0);
        (await other.GetJsonAsync($"/api/v1/points_transactions?customer_id={id}")).Long("total_count").ShouldBe(0);
        (await other.PostJsonAsync($"{Customers}/{id}/points_transactions", new { points = 10 })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await BalanceAsync(server.Client, id)).ShouldBe(10);
    }

    [Theory, DatabaseData]
    public async Task Writes_emit_customer_and_points_events_with_the_object_as_data(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com" });
        var id = created.Str("id");
        var patched = await server.Client.PatchJsonAsync($"{Customers}/{id}", new { first_name = "Ada" });
        var posted = await Post(server.Client, id, new { points = 15, reference = "r-1" });

        var events = await server.Client.GetJsonAsync("/api/v1/events");
        events.Status.ShouldBe(HttpStatusCode.OK);
        events.Str("object").ShouldBe("list");
        events.Long("total_count").ShouldBe(3);
        var list = events["data"].EnumerateArray().ToList();
        list.Select(e => e.GetProperty("type").GetString()).ShouldBe(["points.created", "customer.updated", "customer.created"]);
        foreach (var e in list)
        {
            e.GetProperty("object").GetString().ShouldBe("event");
            e.GetProperty("id").GetString()!.ShouldStartWith("evt_");
            e.GetProperty("created_at").GetString()!.ShouldMatch(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$");
        }

        var points = list[0].GetProperty("data");
        points.GetProperty("object").GetString().ShouldBe("points_transaction");
        points.GetProperty("id").GetString().ShouldBe(posted.Str("id"));
        points.GetProperty("points").GetInt64().ShouldBe(15);
        points.GetProperty("balance_after").GetInt64().ShouldBe(15);
        points.GetProperty("reference").GetString().ShouldBe("r-1");

        var updated = list[1].GetProperty("data");
        updated.GetProperty("object").GetString().ShouldBe("customer");
        updated.GetProperty("id").GetString().ShouldBe(id);
        updated.GetProperty("first_name").GetString().ShouldBe("Ada");
        updated.GetRawText().ShouldBe(patched.Body.GetRawText());

        var createdData = list[2].GetProperty("data");
        createdData.GetProperty("object").GetString().ShouldBe("customer");
        createdData.GetProperty("id").GetString().ShouldBe(id);
        createdData.GetProperty("email").GetString().ShouldBe("ada@example.com");
        createdData.GetRawText().ShouldBe(created.Body.GetRawText());

        var one = await server.Client.GetJsonAsync($"/api/v1/events/{list[0].GetProperty("id").GetString()}");
        one.Status.ShouldBe(HttpStatusCode.OK);
        one.Body.GetRawText().ShouldBe(list[0].GetRawText());

        var filtered = await server.Client.GetJsonAsync("/api/v1/events?type=customer.created");
        filtered.Long("total_count").ShouldBe(1);
        filtered["data"][0].GetProperty("data").GetProperty("id").GetString().ShouldBe(id);

        (await server.Client.GetJsonAsync("/api/v1/events/evt_missing")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory, DatabaseData]
    public async Task Initial_points_emit_a_points_event_and_refused_writes_emit_none(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = (await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", initial_points = 10 })).Str("id");
        await server.Client.PatchJsonAsync($"{Customers}/{id}", new { status = "blocked" });

        await Post(server.Client, id, new { points = 10 });
        await Post(server.Client, id, new { points = -1000, type = "adjusted" });
        await server.Client.PatchJsonAsync($"{Customers}/{id}", new { status = "nope" });
        await server.Client.PostJsonAsync(Customers, new { email = "broken" });

        var types = (await server.Client.GetJsonAsync("/api/v1/events"))["data"].EnumerateArray()
            .Select(e => e.GetProperty("type").GetString()).ToList();
        types.ShouldBe(["customer.updated", "customer.created", "points.created"], ignoreOrder: true);
    }

    [Theory, DatabaseData]
    public async Task A_patch_that_changes_nothing_emits_no_event(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = (await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", first_name = "Ada" })).Str("id");

        var same = await server.Client.PatchJsonAsync($"{Customers}/{id}", new { first_name = "Ada", email = "ADA@example.com" });

        same.Status.ShouldBe(HttpStatusCode.OK);
        (await server.Client.GetJsonAsync("/api/v1/events?type=customer.updated")).Long("total_count").ShouldBe(0);
    }

    private static Task<ApiResponse> Post(HttpClient client, string customer, object body) =>
        client.PostJsonAsync($"{Customers}/{customer}/points_transactions", body);

    private static async Task<long> LedgerSumAsync(HttpClient client, string id) =>
        (await client.GetJsonAsync($"{Customers}/{id}/points_transactions?limit=100"))["data"].EnumerateArray()
            .Sum(e => e.GetProperty("points").GetInt64());

    private static List<string> Ids(ApiResponse list) =>
        list["data"].EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();
}
