using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Api;

/// <summary>Customers over HTTP (docs/API.md, Customers): create-or-update, validation, PATCH, lists, erasure.</summary>
public sealed class CustomersApiTests
{
    private const string Customers = "/api/v1/customers";

    [Theory, DatabaseData]
    public async Task A_customer_created_by_email_is_found_by_every_kind_of_reference(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync("/api/v1/customers",
            new { email = " Ada@Example.COM ", phone = "+44 7700 900123", external_id = "shop-42", first_name = "Ada" });

        created.Status.ShouldBe(HttpStatusCode.Created);
        created.Str("email").ShouldBe("ada@example.com");
        created.Str("phone").ShouldBe("+447700900123");
        var id = created.Str("id");
        id.ShouldStartWith("cus_");

        foreach (var reference in new[] { id, "shop-42", "ada@example.com", "ADA@example.com", "%2B447700900123", created.Str("qr_code") })
        {
            var found = await server.Client.GetJsonAsync($"/api/v1/customers/{reference}");
            found.Status.ShouldBe(HttpStatusCode.OK, reference);
            found.Str("id").ShouldBe(id);
        }
    }

    [Theory, DatabaseData]
    public async Task A_new_customer_has_every_documented_field_with_zero_counters(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var created = await server.Client.PostJsonAsync(Customers,
            new { email = "ada@example.com", first_name = "Ada", last_name = "Lovelace", birthday = "1815-12-10" });

        created.Status.ShouldBe(HttpStatusCode.Created);
        created.Str("object").ShouldBe("customer");
        created.Str("first_name").ShouldBe("Ada");
        created.Str("last_name").ShouldBe("Lovelace");
        created.Str("birthday").ShouldBe("1815-12-10");
        created.Str("status").ShouldBe("active");
        foreach (var counter in new[] { "points_balance", "pending_points", "lifetime_points", "current_stamps", "points_spent", "points_expired" })
        {
            created.Long(counter).ShouldBe(0, counter);
        }
        created["total_spent"].GetDecimal().ShouldBe(0m);
        created["vip_tier"].ValueKind.ShouldBe(JsonValueKind.Null);
        created["external_id"].ValueKind.ShouldBe(JsonValueKind.Null);
        created["phone"].ValueKind.ShouldBe(JsonValueKind.Null);
        created.Str("referral_code").ShouldNotBeNullOrEmpty();
        created.Str("qr_code").ShouldNotBeNullOrEmpty();
        created.Str("created_at").ShouldMatch(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$");
        created.Str("updated_at").ShouldMatch(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$");
    }

    [Theory, DatabaseData]
    public async Task Posting_a_known_email_updates_that_customer_with_200_instead_of_creating_another(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", first_name = "Ada" });
        created.Status.ShouldBe(HttpStatusCode.Created);

        var again = await server.Client.PostJsonAsync(Customers, new { email = "ADA@example.com", first_name = "Augusta" });

        again.Status.ShouldBe(HttpStatusCode.OK);
        again.Str("id").ShouldBe(created.Str("id"));
        again.Str("first_name").ShouldBe("Augusta");
        (await CountAsync(server.Client)).ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task An_update_through_create_or_update_emits_customer_updated_only_when_something_changed(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = (await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", first_name = "Ada" })).Str("id");

        (await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", first_name = "Ada" })).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Client.GetJsonAsync("/api/v1/events?type=customer.updated")).Long("total_count").ShouldBe(0);

        var changed = await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", last_name = "Lovelace" });
        changed.Status.ShouldBe(HttpStatusCode.OK);
        var events = await server.Client.GetJsonAsync("/api/v1/events?type=customer.updated");
        events.Long("total_count").ShouldBe(1);
        var data = events["data"][0].GetProperty("data");
        data.GetProperty("id").GetString().ShouldBe(id);
        data.GetProperty("last_name").GetString().ShouldBe("Lovelace");
        data.GetProperty("first_name").GetString().ShouldBe("Ada");
    }

    [Theory, DatabaseData]
    public async Task Posting_a_known_external_id_updates_that_customer_even_with_a_new_email(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Customers, new { external_id = "shop-1", email = "old@example.com" });

        var again = await server.Client.PostJsonAsync(Customers, new { external_id = "shop-1", email = "new@example.com" });

        again.Status.ShouldBe(HttpStatusCode.OK);
        again.Str("id").ShouldBe(created.Str("id"));
        again.Str("email").ShouldBe("new@example.com");
        (await server.Client.GetJsonAsync($"{Customers}/old@example.com")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await CountAsync(server.Client)).ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Posting_a_known_phone_alone_updates_that_customer(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Customers, new { phone = "+49 151 12345678" });
        created.Status.ShouldBe(HttpStatusCode.Created);

        var again = await server.Client.PostJsonAsync(Customers, new { phone = "0049-151-12345678", first_name = "Berta" });

        again.Status.ShouldBe(HttpStatusCode.OK);
        again.Str("id").ShouldBe(created.Str("id"));
        again.Str("first_name").ShouldBe("Berta");
        (await CountAsync(server.Client)).ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Matching_prefers_external_id_over_email_and_email_over_phone(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var byExternal = await server.Client.PostJsonAsync(Customers, new { external_id = "ext-a", first_name = "A" });
        var byEmail = await server.Client.PostJsonAsync(Customers, new { email = "b@example.com", first_name = "B" });
        var byPhone = await server.Client.PostJsonAsync(Customers, new { phone = "+447700900001", first_name = "C" });

        // external_id wins over email: customer A is matched, and taking B's email is a conflict about the email.
        var externalFirst = await server.Client.PostJsonAsync(Customers, new { external_id = "ext-a", email = "b@example.com" });
        externalFirst.Status.ShouldBe(HttpStatusCode.Conflict);
        externalFirst["error"].GetProperty("param").GetString().ShouldBe("email");

        // email wins over phone: customer B is matched, and taking C's phone is a conflict about the phone.
        var emailFirst = await server.Client.PostJsonAsync(Customers, new { email = "b@example.com", phone = "+447700900001" });
        emailFirst.Status.ShouldBe(HttpStatusCode.Conflict);
        emailFirst["error"].GetProperty("param").GetString().ShouldBe("phone");

        // Without a conflict, the preferred match is the one updated.
        var update = await server.Client.PostJsonAsync(Customers, new { external_id = "ext-a", email = "a@example.com" });
        update.Status.ShouldBe(HttpStatusCode.OK);
        update.Str("id").ShouldBe(byExternal.Str("id"));

        (await server.Client.GetJsonAsync($"{Customers}/{byEmail.Str("id")}"))["phone"].ValueKind.ShouldBe(JsonValueKind.Null);
        (await server.Client.GetJsonAsync($"{Customers}/{byPhone.Str("id")}"))["email"].ValueKind.ShouldBe(JsonValueKind.Null);
        (await CountAsync(server.Client)).ShouldBe(3);
    }

    [Theory, DatabaseData]
    public async Task A_create_without_external_id_email_or_phone_is_422_parameter_missing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var response = await server.Client.PostJsonAsync(Customers, new { first_name = "Nobody" });

        response.Code.ShouldBe(422);
        response.ErrorCode.ShouldBe("parameter_missing");
        response.ErrorType.ShouldBe("invalid_request_error");
        (await CountAsync(server.Client)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Emails_are_trimmed_and_lower_cased(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var created = await server.Client.PostJsonAsync(Customers, new { email = "  Grace.Hopper@Navy.MIL\t" });

        created.Status.ShouldBe(HttpStatusCode.Created);
        created.Str("email").ShouldBe("grace.hopper@navy.mil");
    }

    [Theory, DatabaseData]
    public async Task Invalid_emails_are_422_parameter_invalid_naming_email(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        foreach (var email in new[] { "not-an-email", "a@b", "@example.com", "a@@example.com", "a b@example.com", "a@example..com", "a@example.com." })
        {
            var response = await server.Client.PostJsonAsync(Customers, new { email });
            response.Code.ShouldBe(422, email);
            response.ErrorCode.ShouldBe("parameter_invalid", email);
            response["error"].GetProperty("param").GetString().ShouldBe("email", email);
        }
        (await CountAsync(server.Client)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Phones_are_normalised_to_E164(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var cases = new Dictionary<string, string>
        {
            ["+1 (415) 555-0100"] = "+14155550100",
            ["0044 7700 900123"] = "+447700900123",
            ["+49.151.1234.5678"] = "+4915112345678",
        };

        var i = 0;
        foreach (var (input, expected) in cases)
        {
            var created = await server.Client.PostJsonAsync(Customers, new { phone = input, external_id = $"p{i++}" });
            created.Status.ShouldBe(HttpStatusCode.Created, input);
            created.Str("phone").ShouldBe(expected, input);
        }
    }

    [Theory, DatabaseData]
    public async Task Invalid_phones_are_422_parameter_invalid_naming_phone(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        foreach (var phone in new[] { "12345", "07700 900123", "+12", "+1234567890123456", "+44 7700 CALLME", "+0 7700 900123" })
        {
            var response = await server.Client.PostJsonAsync(Customers, new { phone });
            response.Code.ShouldBe(422, phone);
            response.ErrorCode.ShouldBe("parameter_invalid", phone);
            response["error"].GetProperty("param").GetString().ShouldBe("phone", phone);
        }
        (await CountAsync(server.Client)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task An_invalid_birthday_is_422_naming_birthday(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var response = await server.Client.PostJsonAsync(Customers, new { email = "a@example.com", birthday = "1990-02-30" });

        response.Code.ShouldBe(422);
        response.ErrorCode.ShouldBe("parameter_invalid");
        response["error"].GetProperty("param").GetString().ShouldBe("birthday");
    }

    [Theory, DatabaseData]
    public async Task Patching_a_customer_onto_another_customers_email_phone_or_external_id_is_409(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var a = await server.Client.PostJsonAsync(Customers, new { email = "a@example.com", phone = "+447700900001", external_id = "ext-a" });
        var b = await server.Client.PostJsonAsync(Customers, new { email = "b@example.com", phone = "+447700900002", external_id = "ext-b" });

        foreach (var (field, body) in new (string, object)[]
                 {
                     ("email", new { email = "A@Example.com" }),
                     ("phone", new { phone = "+44 7700 900001" }),
                     ("external_id", new { external_id = "ext-a" }),
                 })
        {
            var response = await server.Client.PatchJsonAsync($"{Customers}/{b.Str("id")}", body);
            response.Status.ShouldBe(HttpStatusCode.Conflict, field);
            response.ErrorType.ShouldBe("conflict_error", field);
            response["error"].GetProperty("param").GetString().ShouldBe(field);
        }

        var unchanged = await server.Client.GetJsonAsync($"{Customers}/{b.Str("id")}");
        unchanged.Str("email").ShouldBe("b@example.com");
        unchanged.Str("phone").ShouldBe("+447700900002");
        unchanged.Str("external_id").ShouldBe("ext-b");
        (await server.Client.GetJsonAsync($"{Customers}/a@example.com")).Str("id").ShouldBe(a.Str("id"));
    }

    [Theory, DatabaseData]
    public async Task A_create_or_update_that_would_take_another_customers_phone_is_409_and_changes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await server.Client.PostJsonAsync(Customers, new { email = "a@example.com", phone = "+447700900001" });
        await server.Client.PostJsonAsync(Customers, new { email = "b@example.com" });

        var response = await server.Client.PostJsonAsync(Customers, new { email = "b@example.com", phone = "+447700900001", first_name = "Bea" });

        response.Status.ShouldBe(HttpStatusCode.Conflict);
        response["error"].GetProperty("param").GetString().ShouldBe("phone");
        var b = await server.Client.GetJsonAsync($"{Customers}/b@example.com");
        b["phone"].ValueKind.ShouldBe(JsonValueKind.Null);
        b["first_name"].ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory, DatabaseData]
    public async Task Initial_points_give_a_new_customer_an_adjusted_entry_and_a_balance(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var created = await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", initial_points = 250 });

        created.Status.ShouldBe(HttpStatusCode.Created);
        created.Long("points_balance").ShouldBe(250);
        var ledger = await server.Client.GetJsonAsync($"{Customers}/{created.Str("id")}/points_transactions");
        ledger.Status.ShouldBe(HttpStatusCode.OK);
        var entries = ledger["data"].EnumerateArray().ToList();
        entries.Count.ShouldBe(1);
        entries[0].GetProperty("type").GetString().ShouldBe("adjusted");
        entries[0].GetProperty("points").GetInt64().ShouldBe(250);
        entries[0].GetProperty("balance_after").GetInt64().ShouldBe(250);
        entries[0].GetProperty("customer_id").GetString().ShouldBe(created.Str("id"));
    }

    [Theory, DatabaseData]
    public async Task Initial_points_apply_only_when_the_customer_is_created(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", initial_points = 100 });

        var again = await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", initial_points = 100 });

        again.Status.ShouldBe(HttpStatusCode.OK);
        again.Long("points_balance").ShouldBe(100);
        var ledger = await server.Client.GetJsonAsync($"{Customers}/{created.Str("id")}/points_transactions");
        ledger.Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Negative_initial_points_are_422_and_create_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var response = await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", initial_points = -5 });

        response.Code.ShouldBe(422);
        response.ErrorCode.ShouldBe("parameter_invalid");
        response["error"].GetProperty("param").GetString().ShouldBe("initial_points");
        (await CountAsync(server.Client)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Initial_points_beyond_the_points_range_are_422_and_create_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var response = await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", initial_points = long.MaxValue });

        response.Code.ShouldBe(422);
        response.ErrorCode.ShouldBe("parameter_invalid");
        response["error"].GetProperty("param").GetString().ShouldBe("initial_points");
        (await CountAsync(server.Client)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Patch_changes_only_the_fields_given(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Customers,
            new { email = "ada@example.com", first_name = "Ada", last_name = "Byron", phone = "+447700900123" });
        var id = created.Str("id");

        var patched = await server.Client.PatchJsonAsync($"{Customers}/{id}",
            new { last_name = "Lovelace", birthday = "1815-12-10", email = "Countess@Example.com" });

        patched.Status.ShouldBe(HttpStatusCode.OK);
        patched.Str("id").ShouldBe(id);
        patched.Str("first_name").ShouldBe("Ada");
        patched.Str("last_name").ShouldBe("Lovelace");
        patched.Str("birthday").ShouldBe("1815-12-10");
        patched.Str("email").ShouldBe("countess@example.com");
        patched.Str("phone").ShouldBe("+447700900123");
        var fetched = await server.Client.GetJsonAsync($"{Customers}/countess@example.com");
        fetched.Str("id").ShouldBe(id);
        fetched.Str("last_name").ShouldBe("Lovelace");
        (await server.Client.GetJsonAsync($"{Customers}/ada@example.com")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory, DatabaseData]
    public async Task Patch_with_an_empty_string_clears_a_field(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Customers,
            new { external_id = "ext-1", email = "ada@example.com", phone = "+447700900123", first_name = "Ada", birthday = "1815-12-10" });
        var id = created.Str("id");

        var patched = await server.Client.PatchJsonAsync($"{Customers}/{id}",
            new { email = "", phone = "", first_name = "", birthday = "" });

        patched.Status.ShouldBe(HttpStatusCode.OK);
        foreach (var field in new[] { "email", "phone", "first_name", "birthday" })
        {
            patched[field].ValueKind.ShouldBe(JsonValueKind.Null, field);
        }
        patched.Str("external_id").ShouldBe("ext-1");
        (await server.Client.GetJsonAsync($"{Customers}/ada@example.com")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.GetJsonAsync($"{Customers}/%2B447700900123")).Status.ShouldBe(HttpStatusCode.NotFound);

        // A cleared email is free for another customer.
        (await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com" })).Status.ShouldBe(HttpStatusCode.Created);
    }

    [Theory, DatabaseData]
    public async Task Patch_status_blocks_and_unblocks_a_customer(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = (await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com" })).Str("id");

        var blocked = await server.Client.PatchJsonAsync($"{Customers}/{id}", new { status = "blocked" });
        blocked.Status.ShouldBe(HttpStatusCode.OK);
        blocked.Str("status").ShouldBe("blocked");
        (await server.Client.GetJsonAsync($"{Customers}/{id}")).Str("status").ShouldBe("blocked");

        var active = await server.Client.PatchJsonAsync($"{Customers}/{id}", new { status = "active" });
        active.Status.ShouldBe(HttpStatusCode.OK);
        active.Str("status").ShouldBe("active");
    }

    [Theory, DatabaseData]
    public async Task Patch_with_an_unknown_status_is_422_and_changes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = (await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com" })).Str("id");

        foreach (var status in new[] { "deleted", "suspended", "BLOCKED", "" })
        {
            var response = await server.Client.PatchJsonAsync($"{Customers}/{id}", new { status, first_name = "Changed" });
            response.Code.ShouldBe(422, status);
            response.ErrorCode.ShouldBe("parameter_invalid", status);
            response["error"].GetProperty("param").GetString().ShouldBe("status", status);
        }
        var fetched = await server.Client.GetJsonAsync($"{Customers}/{id}");
        fetched.Str("status").ShouldBe("active");
        fetched["first_name"].ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory, DatabaseData]
    public async Task Patch_of_an_unknown_customer_is_404(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var response = await server.Client.PatchJsonAsync($"{Customers}/cus_nope", new { first_name = "X" });

        response.Status.ShouldBe(HttpStatusCode.NotFound);
        response.ErrorType.ShouldBe("not_found_error");
    }

    [Theory, DatabaseData]
    public async Task Patch_with_an_invalid_email_is_422_naming_email(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = (await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com" })).Str("id");

        var response = await server.Client.PatchJsonAsync($"{Customers}/{id}", new { email = "broken" });

        response.Code.ShouldBe(422);
        response.ErrorCode.ShouldBe("parameter_invalid");
        response["error"].GetProperty("param").GetString().ShouldBe("email");
        (await server.Client.GetJsonAsync($"{Customers}/{id}")).Str("email").ShouldBe("ada@example.com");
    }

    [Theory, DatabaseData]
    public async Task The_list_has_the_envelope_fields_and_is_most_recent_first(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await server.Client.PostJsonAsync(Customers, new { email = $"c{i}@example.com" })).Str("id"));
        }

        var list = await server.Client.GetJsonAsync(Customers);

        list.Status.ShouldBe(HttpStatusCode.OK);
        list.Str("object").ShouldBe("list");
        list.Long("page").ShouldBe(1);
        list.Long("limit").ShouldBe(20);
        list.Long("total_count").ShouldBe(5);
        list["has_more"].GetBoolean().ShouldBeFalse();
        Ids(list).ShouldBe(Enumerable.Reverse(ids).ToList());
        list["data"][0].GetProperty("object").GetString().ShouldBe("customer");

        var page2 = await server.Client.GetJsonAsync($"{Customers}?limit=2&page=2");
        page2.Long("page").ShouldBe(2);
        page2.Long("limit").ShouldBe(2);
        page2.Long("total_count").ShouldBe(5);
        page2["has_more"].GetBoolean().ShouldBeTrue();
        Ids(page2).ShouldBe([ids[2], ids[1]]);

        var page3 = await server.Client.GetJsonAsync($"{Customers}?limit=2&page=3");
        page3["has_more"].GetBoolean().ShouldBeFalse();
        Ids(page3).ShouldBe([ids[0]]);
    }

    [Theory, DatabaseData]
    public async Task Out_of_range_limit_and_page_are_422(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        foreach (var query in new[] { "limit=0", "limit=101", "limit=abc", "page=0", "page=-1" })
        {
            var response = await server.Client.GetJsonAsync($"{Customers}?{query}");
            response.Code.ShouldBe(422, query);
            response.ErrorCode.ShouldBe("parameter_invalid", query);
        }
    }

    [Theory, DatabaseData]
    public async Task Starting_after_pages_through_every_customer_once_without_gaps(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = new List<string>();
        for (var i = 0; i < 23; i++)
        {
            created.Add((await server.Client.PostJsonAsync(Customers, new { external_id = $"x{i:D2}" })).Str("id"));
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        while (true)
        {
            var page = await server.Client.GetJsonAsync($"{Customers}?limit=5" + (cursor is null ? "" : $"&starting_after={cursor}"));
            page.Status.ShouldBe(HttpStatusCode.OK);
            page.Str("object").ShouldBe("list");
            page.Long("limit").ShouldBe(5);
            var ids = Ids(page);
            seen.AddRange(ids);
            pages++;
            pages.ShouldBeLessThan(10);
            if (!page["has_more"].GetBoolean())
            {
                break;
            }
            ids.Count.ShouldBe(5);
            cursor = ids[^1];
        }

        pages.ShouldBe(5);
        seen.Count.ShouldBe(23);
        seen.Distinct().Count().ShouldBe(23);
        seen.ShouldBe(Enumerable.Reverse(created).ToList());
    }

    [Theory, DatabaseData]
    public async Task Page_numbers_page_through_every_customer_once_without_gaps(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            created.Add((await server.Client.PostJsonAsync(Customers, new { external_id = $"x{i:D2}" })).Str("id"));
        }

        var seen = new List<string>();
        for (var page = 1; page <= 3; page++)
        {
            var list = await server.Client.GetJsonAsync($"{Customers}?limit=5&page={page}");
            list.Long("total_count").ShouldBe(12);
            list["has_more"].GetBoolean().ShouldBe(page < 3);
            seen.AddRange(Ids(list));
        }

        seen.ShouldBe(Enumerable.Reverse(created).ToList());
    }

    [Theory, DatabaseData]
    public async Task The_list_filters_by_email_phone_and_external_id_exactly(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ada = await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", phone = "+447700900001", external_id = "ext-ada" });
        await server.Client.PostJsonAsync(Customers, new { email = "ada.b@example.com", phone = "+447700900002", external_id = "ext-ada-2" });
        await server.Client.PostJsonAsync(Customers, new { email = "bob@example.com" });

        foreach (var query in new[] { "email=ada@example.com", "email=ADA%40Example.com", "phone=%2B447700900001", "phone=%2B44%207700%20900001", "external_id=ext-ada" })
        {
            var list = await server.Client.GetJsonAsync($"{Customers}?{query}");
            list.Status.ShouldBe(HttpStatusCode.OK, query);
            Ids(list).ShouldBe([ada.Str("id")], query);
            list.Long("total_count").ShouldBe(1, query);
        }

        var none = await server.Client.GetJsonAsync($"{Customers}?email=nobody@example.com");
        Ids(none).ShouldBeEmpty();
        none.Long("total_count").ShouldBe(0);
        none["has_more"].GetBoolean().ShouldBeFalse();
    }

    [Theory, DatabaseData]
    public async Task The_list_search_matches_a_substring_of_name_or_email_case_insensitively(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ada = (await server.Client.PostJsonAsync(Customers, new { email = "countess@example.com", first_name = "Ada", last_name = "Lovelace" })).Str("id");
        var grace = (await server.Client.PostJsonAsync(Customers, new { email = "grace@navy.mil", first_name = "Grace", last_name = "Hopper" })).Str("id");
        var alan = (await server.Client.PostJsonAsync(Customers, new { email = "alan@example.com", first_name = "Alan", last_name = "Turing" })).Str("id");
        var percent = (await server.Client.PostJsonAsync(Customers, new { email = "p@example.com", first_name = "100%", last_name = "Sure_" })).Str("id");

        async Task<List<string>> Search(string term) => Ids(await server.Client.GetJsonAsync($"{Customers}?search={Uri.EscapeDataString(term)}"));

        (await Search("LOVE")).ShouldBe([ada]);
        (await Search("Hop")).ShouldBe([grace]);
        (await Search("navy")).ShouldBe([grace]);
        (await Search("example.com")).ShouldBe([percent, alan, ada]);
        (await Search("ac")).ShouldBe([grace, ada]);
        (await Search("%")).ShouldBe([percent]);
        (await Search("_")).ShouldBe([percent]);
        (await Search("zzz")).ShouldBeEmpty();
    }

    [Theory, DatabaseData]
    public async Task The_list_filters_by_status(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var a = (await server.Client.PostJsonAsync(Customers, new { email = "a@example.com" })).Str("id");
        var b = (await server.Client.PostJsonAsync(Customers, new { email = "b@example.com" })).Str("id");
        var c = (await server.Client.PostJsonAsync(Customers, new { email = "c@example.com", status = "blocked" })).Str("id");
        await server.Client.PatchJsonAsync($"{Customers}/{a}", new { status = "blocked" });

        var blocked = await server.Client.GetJsonAsync($"{Customers}?status=blocked");
        Ids(blocked).ShouldBe([c, a]);
        blocked.Long("total_count").ShouldBe(2);
        Ids(await server.Client.GetJsonAsync($"{Customers}?status=active")).ShouldBe([b]);

        var combined = await server.Client.GetJsonAsync($"{Customers}?status=blocked&search=c%40");
        Ids(combined).ShouldBe([c]);

        var invalid = await server.Client.GetJsonAsync($"{Customers}?status=deleted");
        invalid.Code.ShouldBe(422);
        invalid["error"].GetProperty("param").GetString().ShouldBe("status");
    }

    [Theory, DatabaseData]
    public async Task Delete_erases_the_customer_but_keeps_the_ledger_and_records_an_event(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Customers,
            new { email = "ada@example.com", phone = "+447700900123", external_id = "ext-ada", first_name = "Ada", initial_points = 40 });
        var id = created.Str("id");
        (await server.Client.PostJsonAsync($"{Customers}/{id}/points_transactions", new { points = 60, type = "earned" }))
            .Status.ShouldBe(HttpStatusCode.Created);

        var deleted = await server.Client.DeleteJsonAsync($"{Customers}/{id}");

        deleted.Status.ShouldBe(HttpStatusCode.OK);
        deleted.Str("id").ShouldBe(id);
        deleted.Str("object").ShouldBe("customer");
        deleted["deleted"].GetBoolean().ShouldBeTrue();

        foreach (var reference in new[] { id, "ada@example.com", "ext-ada", "%2B447700900123", created.Str("qr_code") })
        {
            var found = await server.Client.GetJsonAsync($"{Customers}/{reference}");
            found.Status.ShouldBe(HttpStatusCode.NotFound, reference);
            found.ErrorType.ShouldBe("not_found_error", reference);
        }
        Ids(await server.Client.GetJsonAsync(Customers)).ShouldNotContain(id);
        (await server.Client.GetJsonAsync($"{Customers}?email=ada@example.com"))["data"].GetArrayLength().ShouldBe(0);

        var ledger = await server.Client.GetJsonAsync($"/api/v1/points_transactions?customer_id={id}");
        ledger.Status.ShouldBe(HttpStatusCode.OK);
        var entries = ledger["data"].EnumerateArray().ToList();
        entries.Count.ShouldBe(2);
        entries.ShouldAllBe(e => e.GetProperty("customer_id").GetString() == id);
        entries.Sum(e => e.GetProperty("points").GetInt64()).ShouldBe(100);

        var events = await server.Client.GetJsonAsync("/api/v1/events?type=customer.deleted");
        var deletedEvents = events["data"].EnumerateArray().ToList();
        deletedEvents.Count.ShouldBe(1);
        deletedEvents[0].GetProperty("type").GetString().ShouldBe("customer.deleted");
        deletedEvents[0].GetProperty("data").GetProperty("id").GetString().ShouldBe(id);
        deletedEvents[0].GetProperty("data").GetProperty("deleted").GetBoolean().ShouldBeTrue();
    }

    [Theory, DatabaseData]
    public async Task After_erasure_the_email_phone_and_external_id_can_be_used_by_a_new_customer(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var old = (await server.Client.PostJsonAsync(Customers,
            new { email = "ada@example.com", phone = "+447700900123", external_id = "ext-ada", initial_points = 10 })).Str("id");
        (await server.Client.DeleteJsonAsync($"{Customers}/ada@example.com")).Status.ShouldBe(HttpStatusCode.OK);

        var fresh = await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com", phone = "+447700900123", external_id = "ext-ada" });

        fresh.Status.ShouldBe(HttpStatusCode.Created);
        fresh.Str("id").ShouldNotBe(old);
        fresh.Long("points_balance").ShouldBe(0);
        (await server.Client.GetJsonAsync($"{Customers}/ada@example.com")).Str("id").ShouldBe(fresh.Str("id"));
        (await server.Client.GetJsonAsync($"{Customers}/{fresh.Str("id")}/points_transactions")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task An_erased_customer_cannot_be_deleted_again_patched_or_credited(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = (await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com" })).Str("id");
        await server.Client.DeleteJsonAsync($"{Customers}/{id}");

        (await server.Client.DeleteJsonAsync($"{Customers}/{id}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.PatchJsonAsync($"{Customers}/{id}", new { first_name = "X" })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.PostJsonAsync($"{Customers}/{id}/points_transactions", new { points = 5 })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await server.Client.GetJsonAsync($"/api/v1/points_transactions?customer_id={id}")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Referred_by_an_unknown_code_is_422_and_creates_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var response = await server.Client.PostJsonAsync(Customers, new { email = "new@example.com", referred_by = "NOSUCHCODE" });

        response.Code.ShouldBe(422);
        response.ErrorType.ShouldBe("invalid_request_error");
        response["error"].GetProperty("param").GetString().ShouldBe("referred_by");
        (await CountAsync(server.Client)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Referred_by_a_known_code_creates_the_customer(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var referrer = await server.Client.PostJsonAsync(Customers, new { email = "referrer@example.com" });

        var referee = await server.Client.PostJsonAsync(Customers,
            new { email = "friend@example.com", referred_by = referrer.Str("referral_code").ToLowerInvariant() });

        referee.Status.ShouldBe(HttpStatusCode.Created);
        referee.Str("referral_code").ShouldNotBe(referrer.Str("referral_code"));
    }

    [Theory, DatabaseData]
    public async Task A_customer_of_another_program_is_not_matched_by_create_or_update(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var mine = await server.Client.PostJsonAsync(Customers, new { email = "ada@example.com" });
        var (_, other) = await server.CreateProgramAsync();

        var theirs = await other.PostJsonAsync(Customers, new { email = "ada@example.com" });

        theirs.Status.ShouldBe(HttpStatusCode.Created);
        theirs.Str("id").ShouldNotBe(mine.Str("id"));
    }

    private static List<string> Ids(ApiResponse list) =>
        list["data"].EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToList();

    [Theory, DatabaseData]
    public async Task Erasure_removes_personal_data_from_events_and_stored_idempotent_answers(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Customers,
            new { email = "erase.me@example.com", phone = "+4915112345678", first_name = "Erin", external_id = "erase-1" },
            idempotencyKey: "create-erin");
        created.Status.ShouldBe(HttpStatusCode.Created);
        var id = created.Str("id");
        (await server.Client.PatchJsonAsync($"{Customers}/{id}", new { last_name = "Mustermann" })).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Client.PostJsonAsync($"{Customers}/{id}/points_transactions", new { points = 5 })).Status.ShouldBe(HttpStatusCode.Created);

        (await server.Client.DeleteJsonAsync($"{Customers}/{id}")).Status.ShouldBe(HttpStatusCode.OK);

        var events = await server.Client.GetJsonAsync("/api/v1/events?limit=100");
        var raw = events.Raw;
        foreach (var personal in new[] { "erase.me@example.com", "+4915112345678", "Erin", "Mustermann", "erase-1" })
        {
            raw.ShouldNotContain(personal);
        }
        var types = events["data"].EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        types.ShouldContain("customer.created");
        types.ShouldContain("customer.updated");
        types.ShouldContain("customer.deleted");
        types.ShouldContain("points.created");

        // The stored answer of the create held the personal data: it is gone, so nothing replays it.
        var retried = await server.Client.PostJsonAsync(Customers,
            new { email = "erase.me@example.com", phone = "+4915112345678", first_name = "Erin", external_id = "erase-1" },
            idempotencyKey: "create-erin");
        retried.Header("Idempotent-Replayed").ShouldBeNull();
        retried.Str("id").ShouldNotBe(id);
    }

    [Theory, DatabaseData]
    public async Task Erasure_finds_the_events_to_redact_through_the_index_of_customer_data_events(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var db = server.App.Services.GetRequiredService<Database>();
        await using var connection = await db.OpenAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var sql = new Sql(connection, transaction);
        if (!db.IsSqlite)
        {
            // The tables are nearly empty: without this, PostgreSQL would rightly read them whole.
            await sql.ExecuteAsync("SET LOCAL enable_seqscan = off");
        }
        var plan = await sql.ListAsync((db.IsSqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + Events.RedactSql,
            r => r.GetString(db.IsSqlite ? 3 : 0), ("data", "{}"), ("p", server.ProgramId), ("c", "cus_any"));
        string.Join(" | ", plan).ShouldContain("ix_events_customer_data");
    }

    [Theory, DatabaseData]
    public async Task A_customers_notes_are_kept_bounded_cleared_by_an_empty_string_and_gone_after_erasure(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Customers, new { email = "notes@example.com", notes = "  VIP customer " });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Raw);
        created.Str("notes").ShouldBe("VIP customer");
        var id = created.Str("id");

        var tooLong = await server.Client.PatchJsonAsync($"{Customers}/{id}", new { notes = new string('n', 2001) });
        tooLong.Status.ShouldBe(HttpStatusCode.UnprocessableEntity, tooLong.Raw);
        tooLong.ErrorCode.ShouldBe("parameter_invalid");
        (await server.Client.GetJsonAsync($"{Customers}/{id}")).Str("notes").ShouldBe("VIP customer");

        var cleared = await server.Client.PatchJsonAsync($"{Customers}/{id}", new { notes = "" });
        cleared["notes"].ValueKind.ShouldBe(JsonValueKind.Null);
        (await server.Client.PatchJsonAsync($"{Customers}/{id}", new { notes = "Allergic to nuts" })).Str("notes").ShouldBe("Allergic to nuts");

        (await server.Client.DeleteJsonAsync($"{Customers}/{id}")).Status.ShouldBe(HttpStatusCode.OK);
        var events = await server.Client.GetJsonAsync("/api/v1/events?type=customer.updated");
        events.Raw.ShouldNotContain("Allergic to nuts");
    }

    private static async Task<long> CountAsync(HttpClient client) =>
        (await client.GetJsonAsync(Customers)).Long("total_count");
}
