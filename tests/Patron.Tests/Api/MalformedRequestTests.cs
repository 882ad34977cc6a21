using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Api;

/// <summary>
/// docs/API.md and docs/ARCHITECTURE.md: no request, however malformed, gets a 500 or an HTML page; bad input gets a
/// 4xx with the error envelope, and nothing is half-written.
/// </summary>
public sealed class MalformedRequestTests
{
    private const string V1 = "/api/v1";

    /// <summary>One malformed request, what it must answer, and (when docs/API.md fixes it) its code and param.</summary>
    private sealed record Case(string Name, Func<HttpRequestMessage> Request, int Status, string? Code = null, string? Param = null, HttpClient? Client = null);

    [Theory, DatabaseData]
    public async Task Every_malformed_request_is_a_4xx_error_envelope_in_JSON_and_changes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var admin = server.Client;
        var anonymous = server.ClientWithKey(null);
        var readOnly = await server.ClientWithScopeAsync(Scope.Read);
        var writeOnly = await server.ClientWithScopeAsync(Scope.Write);

        // The world the table must leave as it found it.
        var ada = await admin.PostJsonAsync($"{V1}/customers",
            new { email = "ada@example.com", phone = "+447700900123", external_id = "shop-1", first_name = "Ada", initial_points = 100 });
        ada.Code.ShouldBe(201, ada.Raw);
        var grace = await admin.PostJsonAsync($"{V1}/customers", new { email = "grace@example.com" });
        grace.Code.ShouldBe(201, grace.Raw);
        var blocked = await admin.PostJsonAsync($"{V1}/customers", new { email = "blocked@example.com", status = "blocked" });
        blocked.Code.ShouldBe(201, blocked.Raw);
        var earned = await admin.PostJsonAsync($"{V1}/customers/{ada.Str("id")}/points_transactions",
            new { points = 25, reference = "setup-1" }, idempotencyKey: "setup-key");
        earned.Code.ShouldBe(201, earned.Raw);
        var id = ada.Str("id");
        var customer = $"{V1}/customers/{id}";
        var points = $"{customer}/points_transactions";

        var before = await SnapshotAsync(admin, [id, grace.Str("id"), blocked.Str("id")]);
        before.Balance.ShouldBe(125);

        var cases = new List<Case>
        {
            // Bodies that are not a JSON object: 400.
            new("truncated JSON", () => Json(HttpMethod.Post, $"{V1}/customers", """{"email":"new1@example.com" """), 400, "invalid_json"),
            new("truncated JSON on points", () => Json(HttpMethod.Post, points, """{"points": 5"""), 400, "invalid_json"),
            new("JSON array as body", () => Json(HttpMethod.Post, $"{V1}/customers", """[{"email":"new2@example.com"}]"""), 400),
            new("JSON number as body", () => Json(HttpMethod.Post, points, "42"), 400),
            new("JSON string as body", () => Json(HttpMethod.Post, $"{V1}/customers", "\"new3@example.com\""), 400),
            new("JSON null as body", () => Json(HttpMethod.Post, points, "null"), 400),
            new("JSON array as PATCH body", () => Json(HttpMethod.Patch, customer, "[]"), 400),
            new("trailing garbage after the object", () => Json(HttpMethod.Post, points, """{"points":5} {"points":6}"""), 400),
            new("single quotes", () => Json(HttpMethod.Post, points, "{'points':5}"), 400),
            new("trailing comma", () => Json(HttpMethod.Post, points, """{"points":5,}"""), 400),
            new("comments in JSON", () => Json(HttpMethod.Post, points, """{"points":5 /* five */}"""), 400),
            new("invalid UTF-8", () => Bytes(HttpMethod.Post, $"{V1}/customers",
                [.. "{\"email\":\""u8.ToArray(), 0xff, 0xfe, .. "@example.com\"}"u8.ToArray()]), 400),
            new("nesting deeper than any parser allows", () => Json(HttpMethod.Post, $"{V1}/customers",
                "{\"email\":" + new string('[', 5000) + new string(']', 5000) + "}"), 400),

            // Fields of the wrong type: 422 naming the field.
            new("points as a string", () => Json(HttpMethod.Post, points, """{"points":"10"}"""), 422, "parameter_invalid", "points"),
            new("points as a fraction", () => Json(HttpMethod.Post, points, """{"points":1.5}"""), 422, "parameter_invalid", "points"),
            new("points as a boolean", () => Json(HttpMethod.Post, points, """{"points":true}"""), 422, "parameter_invalid", "points"),
            new("points as an object", () => Json(HttpMethod.Post, points, """{"points":{"value":10}}"""), 422, "parameter_invalid", "points"),
            new("points as an array", () => Json(HttpMethod.Post, points, """{"points":[10]}"""), 422, "parameter_invalid", "points"),
            new("points in exponent notation", () => Json(HttpMethod.Post, points, """{"points":1e3}"""), 422, "parameter_invalid", "points"),
            new("points beyond a 64-bit integer", () => Json(HttpMethod.Post, points, """{"points":99999999999999999999999}"""), 422, "parameter_invalid", "points"),
            new("points beyond the allowed range", () => Json(HttpMethod.Post, points, """{"points":10000000000000}"""), 422, "parameter_invalid", "points"),
            new("points below the allowed range", () => Json(HttpMethod.Post, points, """{"points":-10000000000000,"type":"adjusted"}"""), 422, "parameter_invalid", "points"),
            new("email as a number", () => Json(HttpMethod.Post, $"{V1}/customers", """{"email":42}"""), 422, "parameter_invalid", "email"),
            new("phone as a boolean on PATCH", () => Json(HttpMethod.Patch, customer, """{"phone":true}"""), 422, "parameter_invalid", "phone"),
            new("external_id as an object", () => Json(HttpMethod.Post, $"{V1}/customers", """{"external_id":{"id":1}}"""), 422, "parameter_invalid", "external_id"),
            new("initial_points as a string", () => Json(HttpMethod.Post, $"{V1}/customers", """{"email":"new4@example.com","initial_points":"5"}"""), 422, "parameter_invalid", "initial_points"),
            new("description as a number", () => Json(HttpMethod.Post, points, """{"points":5,"description":7}"""), 422, "parameter_invalid", "description"),
            new("reference as an array", () => Json(HttpMethod.Post, points, """{"points":5,"reference":["a"]}"""), 422, "parameter_invalid", "reference"),

            // Values of the right type that break a rule: 422.
            new("null points", () => Json(HttpMethod.Post, points, """{"points":null}"""), 422, "parameter_missing", "points"),
            new("no points at all", () => Json(HttpMethod.Post, points, """{"description":"nothing"}"""), 422, "parameter_missing", "points"),
            new("empty body on points", () => Json(HttpMethod.Post, points, ""), 422, "parameter_missing", "points"),
            new("points 0", () => Json(HttpMethod.Post, points, """{"points":0}"""), 422, "parameter_invalid", "points"),
            new("points type label too long", () => Json(HttpMethod.Post, points, JsonSerializer.Serialize(new { points = 5, type = new string('t', 51) })), 422, "parameter_invalid", "type"),
            new("a type clients may not post", () => Json(HttpMethod.Post, points, """{"points":-5,"type":"expired"}"""), 422, "parameter_invalid", "type"),
            new("earned with negative points", () => Json(HttpMethod.Post, points, """{"points":-5,"type":"earned"}"""), 422, "parameter_invalid", "points"),
            new("redeemed with positive points", () => Json(HttpMethod.Post, points, """{"points":5,"type":"redeemed"}"""), 422, "parameter_invalid", "points"),
            new("empty reference", () => Json(HttpMethod.Post, points, """{"points":5,"reference":""}"""), 422, "parameter_invalid", "reference"),
            new("reference too long", () => Json(HttpMethod.Post, points, JsonSerializer.Serialize(new { points = 5, reference = new string('r', 201) })), 422, "parameter_invalid", "reference"),
            new("description too long", () => Json(HttpMethod.Post, points, JsonSerializer.Serialize(new { points = 5, description = new string('d', 501) })), 422, "parameter_invalid", "description"),
            new("deduction beyond the balance", () => Json(HttpMethod.Post, points, """{"points":-126}"""), 422, "insufficient_points", "points"),
            new("customer without external_id, email or phone", () => Json(HttpMethod.Post, $"{V1}/customers", """{"first_name":"Nobody"}"""), 422, "parameter_missing"),
            new("empty customer body", () => Json(HttpMethod.Post, $"{V1}/customers", ""), 422, "parameter_missing"),
            new("invalid email", () => Json(HttpMethod.Post, $"{V1}/customers", """{"email":"not-an-email"}"""), 422, "parameter_invalid", "email"),
            new("invalid email on PATCH", () => Json(HttpMethod.Patch, customer, """{"email":"ada@@example.com"}"""), 422, "parameter_invalid", "email"),
            new("invalid phone", () => Json(HttpMethod.Post, $"{V1}/customers", """{"phone":"12345"}"""), 422, "parameter_invalid", "phone"),
            new("invalid birthday", () => Json(HttpMethod.Post, $"{V1}/customers", """{"email":"new5@example.com","birthday":"1990-02-30"}"""), 422, "parameter_invalid", "birthday"),
            new("birthday in another format on PATCH", () => Json(HttpMethod.Patch, customer, """{"birthday":"30/01/1990"}"""), 422, "parameter_invalid", "birthday"),
            new("invalid status", () => Json(HttpMethod.Post, $"{V1}/customers", """{"email":"new6@example.com","status":"vip"}"""), 422, "parameter_invalid", "status"),
            new("status deleted on PATCH", () => Json(HttpMethod.Patch, customer, """{"status":"deleted"}"""), 422, "parameter_invalid", "status"),
            new("negative initial_points", () => Json(HttpMethod.Post, $"{V1}/customers", """{"email":"new7@example.com","initial_points":-5}"""), 422, "parameter_invalid", "initial_points"),
            new("first_name too long", () => Json(HttpMethod.Patch, customer, JsonSerializer.Serialize(new { first_name = new string('n', 201) })), 422, "parameter_invalid", "first_name"),
            new("external_id too long", () => Json(HttpMethod.Post, $"{V1}/customers", JsonSerializer.Serialize(new { external_id = new string('x', 201) })), 422, "parameter_invalid", "external_id"),
            new("unknown referral code", () => Json(HttpMethod.Post, $"{V1}/customers", """{"email":"new8@example.com","referred_by":"NOSUCHCODE"}"""), 422, "parameter_invalid", "referred_by"),
            new("api key with an unknown scope", () => Json(HttpMethod.Post, $"{V1}/api_keys", """{"scope":"root"}"""), 422, "parameter_invalid", "scope"),
            new("api key expiring in the past", () => Json(HttpMethod.Post, $"{V1}/api_keys", """{"scope":"read","expires_at":"2001-01-01T00:00:00Z"}"""), 422, "parameter_invalid", "expires_at"),
            new("api key with a malformed expiry", () => Json(HttpMethod.Post, $"{V1}/api_keys", """{"scope":"read","expires_at":"tomorrow"}"""), 422, "parameter_invalid", "expires_at"),
            new("api key with a negative rate limit", () => Json(HttpMethod.Post, $"{V1}/api_keys", """{"rate_limit_per_minute":-1}"""), 422, "parameter_invalid", "rate_limit_per_minute"),

            // Not JSON at all: 415; too big: 413.
            new("form-urlencoded customer", () => Raw(HttpMethod.Post, $"{V1}/customers", "email=new9%40example.com", "application/x-www-form-urlencoded"), 415, "unsupported_media_type"),
            new("text/plain points", () => Raw(HttpMethod.Post, points, """{"points":5}""", "text/plain"), 415, "unsupported_media_type"),
            new("XML customer", () => Raw(HttpMethod.Post, $"{V1}/customers", "<customer><email>new10@example.com</email></customer>", "application/xml"), 415, "unsupported_media_type"),
            new("XML sent to an order's cancel", () => Raw(HttpMethod.Post, $"{V1}/orders/missing/cancel", "<a/>", "application/xml"), 415, "unsupported_media_type"),
            new("text sent to an order's paid", () => Raw(HttpMethod.Post, $"{V1}/orders/missing/paid", "paid", "text/plain"), 415, "unsupported_media_type"),
            new("malformed JSON sent to a redemption's cancel", () => Json(HttpMethod.Post, $"{V1}/redemptions/red_missing/cancel", """{"a":"""), 400),
            new("XML sent to a webhook delivery's retry", () => Raw(HttpMethod.Post, $"{V1}/webhook_deliveries/whd_missing/retry", "<a/>", "application/xml"), 415, "unsupported_media_type"),
            new("an array sent to an order's cancel", () => Json(HttpMethod.Post, $"{V1}/orders/missing/cancel", "[1]"), 400),
            new("a field sent to an order's cancel, which takes none", () => Json(HttpMethod.Post, $"{V1}/orders/missing/cancel", """{"reason":"x"}"""), 400, "parameter_unknown", "reason"),
            new("multipart PATCH", () => Raw(HttpMethod.Patch, customer, "--x\r\n\r\nfirst_name=Eve\r\n--x--", "multipart/form-data; boundary=x"), 415, "unsupported_media_type"),
            new("body over 1 MiB with a length", () => ExpectingContinue(Json(HttpMethod.Post, $"{V1}/customers",
                JsonSerializer.Serialize(new { email = "new11@example.com", first_name = new string('a', RequestBody.MaxBytes) }))), 413, "request_too_large"),
            new("body of 1 MiB + 1 byte chunked", () => Chunked(HttpMethod.Post, points, Padded("""{"points":0}""", RequestBody.MaxBytes + 1)), 413, "request_too_large"),
            new("body of exactly 1 MiB is read", () => Json(HttpMethod.Post, points, Padded("""{"points":0}""", RequestBody.MaxBytes)), 422, "parameter_invalid", "points"),

            // Query parameters.
            new("limit 0", () => Get($"{V1}/customers?limit=0"), 422, "parameter_invalid", "limit"),
            new("limit 101", () => Get($"{V1}/customers?limit=101"), 422, "parameter_invalid", "limit"),
            new("limit not a number", () => Get($"{V1}/points_transactions?limit=ten"), 422, "parameter_invalid", "limit"),
            new("limit negative", () => Get($"{V1}/events?limit=-5"), 422, "parameter_invalid", "limit"),
            new("limit a fraction", () => Get($"{points}?limit=2.5"), 422, "parameter_invalid", "limit"),
            new("limit beyond an integer", () => Get($"{V1}/customers?limit=99999999999999999999"), 422, "parameter_invalid", "limit"),
            new("page 0", () => Get($"{V1}/customers?page=0"), 422, "parameter_invalid", "page"),
            new("page negative", () => Get($"{V1}/points_transactions?page=-1"), 422, "parameter_invalid", "page"),
            new("page not a number", () => Get($"{V1}/events?page=two"), 422, "parameter_invalid", "page"),
            new("page on api keys not a number", () => Get($"{V1}/api_keys?page=%20"), 422, "parameter_invalid", "page"),
            new("unknown status filter", () => Get($"{V1}/customers?status=gold"), 422, "parameter_invalid", "status"),

            // Routes, methods and missing objects.
            new("unknown route", () => Get($"{V1}/nothing_here"), 404, "route_not_found"),
            new("unknown sub-route of a customer", () => Get($"{customer}/nothing_here"), 404, "route_not_found"),
            new("route outside the API", () => Get("/nothing_here"), 404, "route_not_found"),
            new("DELETE on the ledger", () => new HttpRequestMessage(HttpMethod.Delete, $"{V1}/points_transactions"), 405, "method_not_allowed"),
            new("PUT on a customer", () => Json(HttpMethod.Put, customer, """{"first_name":"Eve"}"""), 405, "method_not_allowed"),
            new("POST on events", () => Json(HttpMethod.Post, $"{V1}/events", "{}"), 405, "method_not_allowed"),
            new("DELETE on a ledger entry", () => new HttpRequestMessage(HttpMethod.Delete, $"{V1}/points_transactions/{earned.Str("id")}"), 405, "method_not_allowed"),
            new("unknown customer", () => Get($"{V1}/customers/cus_00000000000000000000000000"), 404, "resource_missing"),
            new("unknown customer by email", () => Get($"{V1}/customers/nobody@example.com"), 404, "resource_missing"),
            new("PATCH of an unknown customer", () => Json(HttpMethod.Patch, $"{V1}/customers/no-such-ref", """{"first_name":"Eve"}"""), 404, "resource_missing"),
            new("DELETE of an unknown customer", () => new HttpRequestMessage(HttpMethod.Delete, $"{V1}/customers/no-such-ref"), 404, "resource_missing"),
            new("points for an unknown customer", () => Json(HttpMethod.Post, $"{V1}/customers/no-such-ref/points_transactions", """{"points":5}"""), 404, "resource_missing"),
            new("ledger of an unknown customer", () => Get($"{V1}/customers/no-such-ref/points_transactions"), 404, "resource_missing"),
            new("unknown ledger entry", () => Get($"{V1}/points_transactions/ptx_00000000000000000000000000"), 404, "resource_missing"),
            new("unknown event", () => Get($"{V1}/events/evt_00000000000000000000000000"), 404, "resource_missing"),
            new("revoking an unknown API key", () => new HttpRequestMessage(HttpMethod.Delete, $"{V1}/api_keys/key_00000000000000000000000000"), 404, "resource_missing"),
            new("a NUL character in a list filter", () => Get($"{V1}/customers?email=%00"), 422, "parameter_invalid", "email"),
            new("a NUL character in a search", () => Get($"{V1}/customers?search=a%00b"), 422, "parameter_invalid", "search"),
            new("a NUL character as a ledger customer filter", () => Get($"{V1}/points_transactions?customer_id=%00"), 422, "parameter_invalid", "customer_id"),
            new("a NUL character as a cursor", () => Get($"{V1}/events?starting_after=evt_%00"), 422, "parameter_invalid", "starting_after"),
            new("a NUL character in a name", () => Json(HttpMethod.Post, $"{V1}/customers", """{"email":"new14@example.com","first_name":"a\u0000b"}"""), 422, "parameter_invalid", "first_name"),
            new("a NUL character after another escape", () => Json(HttpMethod.Post, $"{V1}/customers", """{"email":"new15@example.com","first_name":"\u00e9\u0000"}"""), 422, "parameter_invalid", "first_name"),
            new("a NUL character in a reference", () => Json(HttpMethod.Post, points, """{"points":5,"reference":"\u0000"}"""), 422, "parameter_invalid", "reference"),
            new("a NUL character in a list", () => Json(HttpMethod.Post, $"{V1}/orders",
                $$"""{"id":"nul-1","customer_id":"{{id}}","total":10,"status":"paid","discount_codes":["ab\u0000c"]}"""), 422, "parameter_invalid", "discount_codes"),
            new("a NUL character in an order item", () => Json(HttpMethod.Post, $"{V1}/orders",
                $$"""{"id":"nul-2","customer_id":"{{id}}","total":10,"items":[{"name":"a\u0000b","quantity":1,"price":10}]}"""), 422, "parameter_invalid", "items"),
            new("a NUL character in an object's value", () => Json(HttpMethod.Post, $"{V1}/activities",
                $$$"""{"customer_id":"{{{id}}}","type":"review","points":5,"properties":{"k":"a\u0000"}}"""), 422, "parameter_invalid", "properties"),
            new("a NUL character in an object's key", () => Json(HttpMethod.Post, $"{V1}/activities",
                $$$"""{"customer_id":"{{{id}}}","type":"review","points":5,"properties":{"a\u0000":1}}"""), 422, "parameter_invalid", "properties"),
            new("a lone surrogate in an object's value", () => Json(HttpMethod.Post, $"{V1}/activities",
                $$$"""{"customer_id":"{{{id}}}","type":"review","points":5,"reference":"surr-1","properties":{"a":"\ud800"}}"""), 422, "parameter_invalid", "properties"),
            new("a lone surrogate in an object's key", () => Json(HttpMethod.Post, $"{V1}/activities",
                $$$"""{"customer_id":"{{{id}}}","type":"review","points":5,"properties":{"\udc00":1}}"""), 422, "parameter_invalid", "properties"),
            new("a lone surrogate in an order item", () => Json(HttpMethod.Post, $"{V1}/orders",
                $$"""{"id":"surr-2","customer_id":"{{id}}","total":1,"items":[{"name":"\uD800","quantity":1}]}"""), 422, "parameter_invalid", "items"),
            new("a lone surrogate in a name", () => Json(HttpMethod.Patch, customer, """{"first_name":"\ud800"}"""), 422, "parameter_invalid", "first_name"),
            new("a lone surrogate in a description", () => Json(HttpMethod.Post, points, """{"points":5,"description":"x\udc00y"}"""), 422, "parameter_invalid", "description"),

            // Authentication and permission.
            new("no Authorization header", () => Json(HttpMethod.Post, points, """{"points":5}"""), 401, "missing_api_key", Client: anonymous),
            new("Basic instead of Bearer", () => WithAuth(Json(HttpMethod.Post, points, """{"points":5}"""), "Basic YWRtaW46YWRtaW4="), 401, "invalid_api_key", Client: anonymous),
            new("Bearer without a key", () => WithAuth(Get($"{V1}/customers"), "Bearer"), 401, "invalid_api_key", Client: anonymous),
            new("Bearer with blanks only", () => WithAuth(Get($"{V1}/customers"), "Bearer    "), 401, "invalid_api_key", Client: anonymous),
            new("a key alone without the Bearer word", () => WithAuth(Get($"{V1}/customers"), server.AdminKey), 401, "invalid_api_key", Client: anonymous),
            new("an unknown key", () => WithAuth(Json(HttpMethod.Post, $"{V1}/customers", """{"email":"new12@example.com"}"""),
                "Bearer sk_" + new string('x', 40)), 401, "invalid_api_key", Client: anonymous),
            new("an unknown key on an unknown route", () => WithAuth(Get($"{V1}/nothing_here"), "Bearer sk_nope"), 401, "invalid_api_key", Client: anonymous),
            new("a read key posting points", () => Json(HttpMethod.Post, points, """{"points":5}"""), 403, "insufficient_scope", Client: readOnly),
            new("a write key listing API keys", () => Get($"{V1}/api_keys"), 403, "insufficient_scope", Client: writeOnly),
            new("a write key creating an API key", () => Json(HttpMethod.Post, $"{V1}/api_keys", """{"scope":"admin"}"""), 403, "insufficient_scope", Client: writeOnly),
            new("a blocked customer earning", () => Json(HttpMethod.Post, $"{V1}/customers/{blocked.Str("id")}/points_transactions", """{"points":5}"""), 403, "customer_blocked"),

            // Conflicts and idempotency.
            new("PATCH onto another customer's email", () => Json(HttpMethod.Patch, $"{V1}/customers/{grace.Str("id")}", """{"email":"ADA@example.com"}"""), 409, null, "email"),
            new("Idempotency-Key reused with another body", () => WithHeader(Json(HttpMethod.Post, points, """{"points":26,"reference":"setup-1"}"""),
                "Idempotency-Key", "setup-key"), 409, "idempotency_key_reused"),
            new("Idempotency-Key reused on another route", () => WithHeader(Json(HttpMethod.Post, $"{V1}/customers", """{"email":"new13@example.com"}"""),
                "Idempotency-Key", "setup-key"), 409, "idempotency_key_reused"),
            new("Idempotency-Key over 255 characters", () => WithHeader(Json(HttpMethod.Post, points, """{"points":5}"""),
                "Idempotency-Key", new string('k', 256)), 422, "parameter_invalid", "Idempotency-Key"),
        };
        cases.Count.ShouldBeGreaterThanOrEqualTo(30);
        cases.Select(c => c.Name).ShouldBeUnique();

        var failures = new List<string>();
        foreach (var c in cases)
        {
            Answer response;
            try
            {
                response = await SendAsync(c.Client ?? admin, c.Request());
            }
            catch (HttpRequestException e)
            {
                failures.Add($"{c.Name}: no answer ({e.Message} {e.InnerException?.Message})");
                continue;
            }
            var problems = Check(c, response).ToList();
            if (problems.Count > 0)
            {
                failures.Add($"{c.Name}: {string.Join("; ", problems)} — {Shorten(response.Raw)}");
            }
        }
        failures.ShouldBeEmpty();

        var after = await SnapshotAsync(admin, [id, grace.Str("id"), blocked.Str("id")]);
        after.ShouldBe(before);
    }

    private static IEnumerable<string> Check(Case c, Answer response)
    {
        if (response.Status != c.Status)
        {
            yield return $"status {response.Status}, expected {c.Status}";
        }
        if (c.Status < 400)
        {
            // A control row: the request is odd but valid, and must not fail.
            yield break;
        }
        if (response.Status is < 400 or >= 500)
        {
            yield return $"status {response.Status} is not a 4xx";
        }
        if (response.MediaType != "application/json")
        {
            yield return $"Content-Type is {response.MediaType ?? "missing"}";
        }
        if (response.Body.ValueKind != JsonValueKind.Object
            || !response.Body.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
        {
            yield return "the body is not {\"error\":{...}}";
            yield break;
        }
        if (response.Body.EnumerateObject().Count() != 1)
        {
            yield return "the body has more than the error object";
        }
        foreach (var field in new[] { "type", "code", "message" })
        {
            if (!error.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
            {
                yield return $"error.{field} is not a non-empty string";
            }
        }
        if (!error.TryGetProperty("param", out var param) || param.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            yield return "error.param is missing";
        }
        else if (c.Param is not null && (param.ValueKind != JsonValueKind.String || param.GetString() != c.Param))
        {
            yield return $"error.param is {param}, expected {c.Param}";
        }
        var type = error.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type != TypeFor(response.Status))
        {
            yield return $"error.type {type} does not fit status {response.Status}";
        }
        var code = error.TryGetProperty("code", out var k) ? k.GetString() : null;
        if (c.Code is not null && code != c.Code)
        {
            yield return $"error.code {code}, expected {c.Code}";
        }
        if (code is not null && !System.Text.RegularExpressions.Regex.IsMatch(code, "^[a-z][a-z0-9]*(_[a-z0-9]+)*$"))
        {
            yield return $"error.code {code} is not a snake_case word";
        }
    }

    /// <summary>The error type docs/API.md gives each status.</summary>
    public static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        409 => "conflict_error",
        429 => "rate_limit_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    private sealed record Snapshot(string Customers, long Balance, long CustomerCount, long LedgerCount, long EventCount, long KeyCount);

    private static async Task<Snapshot> SnapshotAsync(HttpClient admin, string[] customerIds)
    {
        var customers = new StringBuilder();
        long balance = 0;
        foreach (var customerId in customerIds)
        {
            var c = await admin.GetJsonAsync($"{V1}/customers/{customerId}");
            c.Code.ShouldBe(200, c.Raw);
            customers.AppendLine(c.Raw);
            if (balance == 0)
            {
                balance = c.Long("points_balance");
            }
        }
        return new Snapshot(customers.ToString(), balance,
            await admin.TotalAsync($"{V1}/customers?limit=1"), await admin.TotalAsync($"{V1}/points_transactions?limit=1"),
            await admin.TotalAsync($"{V1}/events?limit=1"), await admin.TotalAsync($"{V1}/api_keys?limit=1"));
    }

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path);

    private static HttpRequestMessage Json(HttpMethod method, string path, string body) => Raw(method, path, body, "application/json");

    private static HttpRequestMessage Raw(HttpMethod method, string path, string body, string contentType)
    {
        var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return request;
    }

    private static HttpRequestMessage Bytes(HttpMethod method, string path, byte[] body)
    {
        var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return request;
    }

    /// <summary>A body without Content-Length (chunked transfer), so only reading it can find it too big.</summary>
    private static HttpRequestMessage Chunked(HttpMethod method, string path, string body)
    {
        var request = new HttpRequestMessage(method, path) { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body))) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        return request;
    }

    /// <summary>
    /// Sends the headers first and the body only on <c>100 Continue</c>, as curl does for large uploads:
    /// the 413 then arrives before the client writes a byte of the body. (Without it, the server's answer
    /// races the client's writes into a connection the server has closed.)
    /// </summary>
    private static HttpRequestMessage ExpectingContinue(HttpRequestMessage request)
    {
        request.Headers.ExpectContinue = true;
        return request;
    }

    /// <summary>JSON followed by blanks up to exactly <paramref name="bytes"/> bytes.</summary>
    private static string Padded(string json, int bytes) => json + new string(' ', bytes - json.Length);

    private static HttpRequestMessage WithAuth(HttpRequestMessage request, string authorization) =>
        WithHeader(request, "Authorization", authorization);

    private static HttpRequestMessage WithHeader(HttpRequestMessage request, string name, string value)
    {
        request.Headers.TryAddWithoutValidation(name, value).ShouldBeTrue(name);
        return request;
    }

    private static string Shorten(string raw) => raw.Length > 300 ? raw[..300] + "..." : raw;

    /// <summary>An answer with its content type, which <see cref="ApiResponse"/> does not keep.</summary>
    public sealed record Answer(int Status, string? MediaType, JsonElement Body, string Raw);

    public static async Task<Answer> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            var raw = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            var body = default(JsonElement);
            try
            {
                using var doc = JsonDocument.Parse(raw);
                body = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
            }
            return new Answer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, raw);
        }
    }
}
