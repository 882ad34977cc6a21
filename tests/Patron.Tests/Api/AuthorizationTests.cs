using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Api;

/// <summary>
/// docs/API.md (scopes, key lifecycle, tenancy), section 5 guarantee 4 and section 7 (broken
/// object-level authorisation): a key only does what its scope allows, only while it is valid, and
/// only ever inside its own program.
/// </summary>
public sealed partial class AuthorizationTests(SharedServers servers) : IClassFixture<SharedServers>
{
    private const string V1 = "/api/v1";

    [Theory, DatabaseData]
    public async Task A_read_key_gets_403_on_every_write_route_and_200_on_every_read(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewTenantAsync("read scope");
        var (customerId, entryId, eventId) = await SeedAsync(tenant.Admin, "ada@example.com", "+447700900123", "ada-1");
        var before = await StateAsync(tenant.Admin, customerId);

        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
                 {
                     (HttpMethod.Post, $"{V1}/customers", """{"email":"new@example.com"}"""),
                     (HttpMethod.Post, $"{V1}/customers", """{"email":"ada@example.com","first_name":"Changed"}"""),
                     (HttpMethod.Patch, $"{V1}/customers/{customerId}", """{"first_name":"Changed"}"""),
                     (HttpMethod.Delete, $"{V1}/customers/{customerId}", null),
                     (HttpMethod.Post, $"{V1}/customers/{customerId}/points_transactions", """{"points":10}"""),
                     (HttpMethod.Post, $"{V1}/customers/ada@example.com/points_transactions", """{"points":-10}"""),
                     (HttpMethod.Post, $"{V1}/api_keys", """{"scope":"admin"}"""),
                     (HttpMethod.Delete, $"{V1}/api_keys/{tenant.WriteKeyId}", null),
                     (HttpMethod.Delete, $"{V1}/api_keys/{tenant.ReadKeyId}", null),
                     (HttpMethod.Get, $"{V1}/api_keys", null),
                 })
        {
            var response = await tenant.Read.SendRawAsync(method, path, body);
            response.Code.ShouldBe(403, $"{method} {path}: {response.Raw}");
            response.ErrorType.ShouldBe("permission_error");
            response.ErrorCode.ShouldBe("insufficient_scope");
        }

        foreach (var path in new[]
                 {
                     $"{V1}/program", $"{V1}/customers", $"{V1}/customers?email=ada@example.com", $"{V1}/customers/{customerId}",
                     $"{V1}/customers/ada-1", $"{V1}/customers/{customerId}/points_transactions", $"{V1}/points_transactions",
                     $"{V1}/points_transactions?customer_id={customerId}", $"{V1}/points_transactions/{entryId}", $"{V1}/events",
                     $"{V1}/events/{eventId}",
                 })
        {
            var response = await tenant.Read.GetJsonAsync(path);
            response.Code.ShouldBe(200, $"{path}: {response.Raw}");
        }

        (await StateAsync(tenant.Admin, customerId)).ShouldBe(before);
        (await tenant.Write.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200, "the write key was not revoked");
        (await tenant.Read.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200, "the read key did not revoke itself");
    }

    [Theory, DatabaseData]
    public async Task A_write_key_gets_403_on_admin_routes_and_may_do_every_customer_facing_write(string database)
    {
        var server = await servers.ForAsync(database);
        var tenant = await server.NewTenantAsync("write scope");
        var keysBefore = (await tenant.Admin.GetJsonAsync($"{V1}/api_keys")).Raw;

        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
                 {
                     (HttpMethod.Get, $"{V1}/api_keys", null),
                     (HttpMethod.Post, $"{V1}/api_keys", """{"scope":"admin"}"""),
                     (HttpMethod.Post, $"{V1}/api_keys", """{"scope":"read"}"""),
                     (HttpMethod.Delete, $"{V1}/api_keys/{tenant.AdminKeyId}", null),
                     (HttpMethod.Delete, $"{V1}/api_keys/{tenant.WriteKeyId}", null),
                 })
        {
            var response = await tenant.Write.SendRawAsync(method, path, body);
            response.Code.ShouldBe(403, $"{method} {path}: {response.Raw}");
            response.ErrorType.ShouldBe("permission_error");
            response.ErrorCode.ShouldBe("insufficient_scope");
        }
        (await tenant.Admin.GetJsonAsync($"{V1}/api_keys")).Raw.ShouldBe(keysBefore);

        var created = await tenant.Write.PostJsonAsync($"{V1}/customers", new { email = "w@example.com" });
        created.Code.ShouldBe(201, created.Raw);
        (await tenant.Write.PatchJsonAsync($"{V1}/customers/w@example.com", new { first_name = "W" })).Code.ShouldBe(200);
        (await tenant.Write.PostJsonAsync($"{V1}/customers/w@example.com/points_transactions", new { points = 5 })).Code.ShouldBe(201);
        (await tenant.Write.GetJsonAsync($"{V1}/customers/w@example.com/points_transactions")).Code.ShouldBe(200);
        (await tenant.Write.DeleteJsonAsync($"{V1}/customers/{created.Str("id")}")).Code.ShouldBe(200);
        (await tenant.Admin.GetJsonAsync($"{V1}/api_keys")).Code.ShouldBe(200);
    }

    [Theory, DatabaseData]
    public async Task Unknown_revoked_and_expired_keys_get_401_authentication_error(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);

        var unknown = await server.ClientWithKey("sk_" + new string('A', 40)).GetJsonAsync($"{V1}/customers");
        unknown.Code.ShouldBe(401);
        unknown.ErrorType.ShouldBe("authentication_error");
        unknown.ErrorCode.ShouldBe("invalid_api_key");
        var missing = await server.ClientWithKey(null).GetJsonAsync($"{V1}/customers");
        missing.Code.ShouldBe(401);
        missing.ErrorType.ShouldBe("authentication_error");

        // Revoked through the API: refused from the very next request, although it was just used.
        var viaApi = await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Write);
        var viaApiClient = server.ClientWithKey(viaApi!.Value.Secret);
        (await viaApiClient.GetJsonAsync($"{V1}/customers")).Code.ShouldBe(200);
        (await server.Client.DeleteJsonAsync($"{V1}/api_keys/{viaApi.Value.Key.Id}")).Code.ShouldBe(200);
        await ShouldBeRefusedAsync(viaApiClient, "api_key_revoked");

        // Revoked as the CLI does (straight in the database): never used, so refused at once.
        var unused = await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Admin);
        (await Admin.RevokeKeyAsync(server.WritePath, unused!.Value.Key.Id)).ShouldBeTrue();
        await ShouldBeRefusedAsync(server.ClientWithKey(unused.Value.Secret), "api_key_revoked");

        // Revoked by the CLI while in use: refused once this process's key cache has expired.
        var inUse = await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Write);
        var inUseClient = server.ClientWithKey(inUse!.Value.Secret);
        (await inUseClient.GetJsonAsync($"{V1}/customers")).Code.ShouldBe(200);
        (await Admin.RevokeKeyAsync(server.WritePath, inUse.Value.Key.Id)).ShouldBeTrue();
        clock.Advance(ApiKeyService.CacheTtl + TimeSpan.FromMilliseconds(1));
        await ShouldBeRefusedAsync(inUseClient, "api_key_revoked");

        // Expired: valid until its expiry, refused right after.
        var expiring = await server.ClientWithScopeAsync(Scope.Write, expiresAt: clock.GetUtcNow().AddSeconds(5));
        (await expiring.GetJsonAsync($"{V1}/customers")).Code.ShouldBe(200);
        clock.Advance(TimeSpan.FromSeconds(4));
        (await expiring.PostJsonAsync($"{V1}/customers", new { email = "before-expiry@example.com" })).Code.ShouldBe(201);
        clock.Advance(TimeSpan.FromSeconds(1));
        await ShouldBeRefusedAsync(expiring, "api_key_expired");

        // Nothing the refused keys attempted was written.
        var customers = await server.Client.GetJsonAsync($"{V1}/customers");
        customers.Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync($"{V1}/events")).Long("total_count").ShouldBe(1);
    }

    private static async Task ShouldBeRefusedAsync(HttpClient client, string code)
    {
        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
                 {
                     (HttpMethod.Get, $"{V1}/customers", null),
                     (HttpMethod.Get, $"{V1}/program", null),
                     (HttpMethod.Post, $"{V1}/customers", """{"email":"refused@example.com"}"""),
                     (HttpMethod.Get, $"{V1}/nothing_here", null),
                 })
        {
            var response = await client.SendRawAsync(method, path, body);
            response.Code.ShouldBe(401, $"{method} {path}: {response.Raw}");
            response.ErrorType.ShouldBe("authentication_error");
            response.ErrorCode.ShouldBe(code);
            response["error"].GetProperty("message").GetString().ShouldNotBeNullOrEmpty();
        }
    }

    [Theory, DatabaseData]
    public async Task A_key_of_one_program_gets_the_same_404_as_for_a_missing_object_for_every_reference_to_another_programs_data(string database)
    {
        var server = await servers.ForAsync(database);
        var a = await server.NewTenantAsync("program A");
        var b = await server.NewTenantAsync("program B");
        var (aCustomer, aEntry, aEvent) = await SeedAsync(a.Admin, "a@example.com", "+447700900111", "a-ext");
        var (bCustomer, bEntry, bEvent) = await SeedAsync(b.Admin, "b@example.com", "+447700900999", "b-ext");
        var bOther = await b.Admin.PostJsonAsync($"{V1}/customers", new { email = "b2@example.com", phone = "+447700900998", external_id = "b2-ext" });
        bOther.Code.ShouldBe(201);
        var bQr = (await b.Admin.GetJsonAsync($"{V1}/customers/{bCustomer}")).Str("qr_code");
        var bBefore = await StateAsync(b.Admin, bCustomer);

        var references = new Dictionary<string, string>
        {
            ["id"] = bCustomer,
            ["external_id"] = "b-ext",
            ["email"] = "b@example.com",
            ["phone"] = "+447700900999",
            ["qr_code"] = bQr,
        };
        // Every customer route, by every kind of reference, with every scope of A's keys.
        async Task<Dictionary<string, ApiResponse>> ProbeAsync()
        {
            var answers = new Dictionary<string, ApiResponse>();
            foreach (var (kind, reference) in references)
            {
                var path = $"{V1}/customers/{Uri.EscapeDataString(reference)}";
                foreach (var client in new[] { a.Admin, a.Write })
                {
                    var scope = client == a.Admin ? "admin" : "write";
                    answers[$"{scope} GET {kind}"] = await client.GetJsonAsync(path);
                    answers[$"{scope} PATCH {kind}"] = await client.PatchJsonAsync(path, new { first_name = "Mallory", email = "mallory@example.com" });
                    answers[$"{scope} DELETE {kind}"] = await client.DeleteJsonAsync(path);
                    answers[$"{scope} POST points {kind}"] = await client.PostJsonAsync($"{path}/points_transactions", new { points = 1000 });
                    answers[$"{scope} POST negative points {kind}"] = await client.PostJsonAsync($"{path}/points_transactions", new { points = -50, type = "adjusted" });
                    answers[$"{scope} GET points {kind}"] = await client.GetJsonAsync($"{path}/points_transactions");
                }
                answers[$"read GET {kind}"] = await a.Read.GetJsonAsync(path);
                answers[$"read GET points {kind}"] = await a.Read.GetJsonAsync($"{path}/points_transactions");
            }
            return answers;
        }

        var whileTheyExist = await ProbeAsync();
        foreach (var (name, response) in whileTheyExist)
        {
            response.Code.ShouldBe(404, $"{name}: {response.Raw}");
            response.ErrorType.ShouldBe("not_found_error", name);
            response.ErrorCode.ShouldBe("resource_missing", name);
        }
        (await StateAsync(b.Admin, bCustomer)).ShouldBe(bBefore);

        // B's ledger entry, event and key by id: the same answer as an id that never existed.
        foreach (var (method, path, realId, fakeId) in new[]
                 {
                     (HttpMethod.Get, $"{V1}/points_transactions/", bEntry, "ptx_00000000000000000000000000"),
                     (HttpMethod.Get, $"{V1}/events/", bEvent, "evt_00000000000000000000000000"),
                     (HttpMethod.Delete, $"{V1}/api_keys/", b.ReadKeyId, "key_00000000000000000000000000"),
                 })
        {
            var real = await a.Admin.SendRawAsync(method, path + realId, null);
            var fake = await a.Admin.SendRawAsync(method, path + fakeId, null);
            real.Code.ShouldBe(404, real.Raw);
            real.ErrorType.ShouldBe("not_found_error");
            WithoutRequestId(real.Raw.Replace(realId, fakeId, StringComparison.Ordinal)).ShouldBe(WithoutRequestId(fake.Raw));
        }
        (await b.Read.GetJsonAsync($"{V1}/program")).Code.ShouldBe(200, "A revoked B's key");

        // Filters by B's customer find nothing in A's ledger.
        foreach (var reference in references.Values)
        {
            var filtered = await a.Admin.GetJsonAsync($"{V1}/points_transactions?customer_id={Uri.EscapeDataString(reference)}");
            filtered.Code.ShouldBe(200, filtered.Raw);
            filtered.Long("total_count").ShouldBe(0, reference);
            filtered["data"].GetArrayLength().ShouldBe(0);
        }
        foreach (var filter in new[] { "email=b%40example.com", "phone=%2B447700900999", "external_id=b-ext", "search=b%40example" })
        {
            var customers = await a.Admin.GetJsonAsync($"{V1}/customers?{filter}");
            customers.Long("total_count").ShouldBe(0, filter);
        }

        // A's lists never contain B's rows, nor B's A's.
        await ShouldBeDisjointAsync(a, b);

        // Once B's customer is erased, the same requests answer byte for byte the same: nothing told A it existed.
        (await b.Admin.DeleteJsonAsync($"{V1}/customers/{bCustomer}")).Code.ShouldBe(200);
        var afterErasure = await ProbeAsync();
        foreach (var (name, response) in afterErasure)
        {
            response.Code.ShouldBe(whileTheyExist[name].Code, name);
            WithoutRequestId(response.Raw).ShouldBe(WithoutRequestId(whileTheyExist[name].Raw), name);
        }

        // B's referral code is unknown to A, exactly as a code nobody has.
        var referralCode = bOther.Str("referral_code");
        var referred = await a.Admin.PostJsonAsync($"{V1}/customers", new { email = "referred@example.com", referred_by = referralCode });
        var unknownCode = await a.Admin.PostJsonAsync($"{V1}/customers", new { email = "referred@example.com", referred_by = "ZZZZZZZZ" });
        referred.Code.ShouldBe(422, referred.Raw);
        referred["error"].GetProperty("param").GetString().ShouldBe("referred_by");
        WithoutRequestId(referred.Raw.Replace(referralCode, "ZZZZZZZZ", StringComparison.Ordinal)).ShouldBe(WithoutRequestId(unknownCode.Raw));
        (await a.Admin.GetJsonAsync($"{V1}/customers/referred@example.com")).Code.ShouldBe(404);

        // Create-or-update matches only inside the caller's program: A gets a new customer, B's is untouched.
        var bOtherBefore = (await b.Admin.GetJsonAsync($"{V1}/customers/{bOther.Str("id")}")).Raw;
        var aCopy = await a.Admin.PostJsonAsync($"{V1}/customers", new { email = "b2@example.com", phone = "+447700900998", external_id = "b2-ext", first_name = "Copy" });
        aCopy.Code.ShouldBe(201, aCopy.Raw);
        aCopy.Str("id").ShouldNotBe(bOther.Str("id"));
        (await b.Admin.GetJsonAsync($"{V1}/customers/{bOther.Str("id")}")).Raw.ShouldBe(bOtherBefore);
        (await a.Admin.GetJsonAsync($"{V1}/customers/{aCustomer}")).Code.ShouldBe(200);
        (await a.Admin.GetJsonAsync($"{V1}/points_transactions/{aEntry}")).Code.ShouldBe(200);
        (await a.Admin.GetJsonAsync($"{V1}/events/{aEvent}")).Code.ShouldBe(200);

        // Idempotency keys belong to one program: the same key in B neither replays A's answer nor conflicts with it.
        var aFirst = await a.Admin.PostJsonAsync($"{V1}/customers", new { email = "idem-a@example.com" }, idempotencyKey: "shared-key");
        var bFirst = await b.Admin.PostJsonAsync($"{V1}/customers", new { email = "idem-b@example.com" }, idempotencyKey: "shared-key");
        aFirst.Code.ShouldBe(201, aFirst.Raw);
        bFirst.Code.ShouldBe(201, bFirst.Raw);
        bFirst.Header("Idempotent-Replayed").ShouldBeNull();
        bFirst.Str("email").ShouldBe("idem-b@example.com");
        await ShouldBeDisjointAsync(a, b);
    }

    private static async Task ShouldBeDisjointAsync(Tenant a, Tenant b)
    {
        foreach (var list in new[] { "customers", "points_transactions", "events", "api_keys" })
        {
            var aIds = await AllIdsAsync(a.Admin, $"{V1}/{list}");
            var bIds = await AllIdsAsync(b.Admin, $"{V1}/{list}");
            aIds.ShouldNotBeEmpty(list);
            bIds.ShouldNotBeEmpty(list);
            aIds.Intersect(bIds).ShouldBeEmpty(list);
        }
        (await AllIdsAsync(a.Admin, $"{V1}/api_keys")).ShouldBe([a.ReadKeyId, a.WriteKeyId, a.AdminKeyId]);
    }

    private static async Task<List<string>> AllIdsAsync(HttpClient client, string path)
    {
        var list = await client.GetJsonAsync($"{path}?limit=100");
        list.Code.ShouldBe(200, list.Raw);
        list["has_more"].GetBoolean().ShouldBeFalse(path);
        return list["data"].EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToList();
    }

    /// <summary>A customer with 100 initial points plus one earned entry; returns its id, that entry's id and an event id.</summary>
    private static async Task<(string Customer, string Entry, string Event)> SeedAsync(HttpClient admin, string email, string phone, string externalId)
    {
        var customer = await admin.PostJsonAsync($"{V1}/customers", new { email, phone, external_id = externalId, first_name = "Seed", initial_points = 100 });
        customer.Code.ShouldBe(201, customer.Raw);
        var entry = await admin.PostJsonAsync($"{V1}/customers/{customer.Str("id")}/points_transactions", new { points = 10, reference = "seed" });
        entry.Code.ShouldBe(201, entry.Raw);
        var events = await admin.GetJsonAsync($"{V1}/events?limit=1");
        return (customer.Str("id"), entry.Str("id"), events["data"][0].GetProperty("id").GetString()!);
    }

    /// <summary>Everything a refused request could have changed: the customer, and the ledger, customer, event and key counts.</summary>
    private static async Task<string> StateAsync(HttpClient admin, string customerId)
    {
        var parts = new List<string> { (await admin.GetJsonAsync($"{V1}/customers/{customerId}")).Raw };
        foreach (var list in new[] { "customers", "points_transactions", "events", "api_keys" })
        {
            var response = await admin.GetJsonAsync($"{V1}/{list}?limit=100");
            response.Code.ShouldBe(200, response.Raw);
            parts.Add(response.Raw);
        }
        return string.Join('\n', parts);
    }

    /// <summary>An answer without its request id, which differs between any two requests.</summary>
    private static string WithoutRequestId(string raw) => RequestId().Replace(raw, "");

    [System.Text.RegularExpressions.GeneratedRegex("\"request_id\":\"[^\"]*\"")]
    private static partial System.Text.RegularExpressions.Regex RequestId();
}
