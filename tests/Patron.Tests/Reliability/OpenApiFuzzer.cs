using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Patron.Tests.Reliability;

/// <summary>
/// Walks every operation of one OpenAPI document of a running Patron with generated requests: bodies
/// built from the request schemas (with ids the server handed out earlier, so that path parameters
/// resolve), and broken ones (wrong types, missing fields, huge and negative numbers, long strings,
/// unknown fields, NUL characters, malformed JSON, wrong content types, garbage query parameters and
/// path ids, missing or invalid keys). Every answer is checked: no 5xx; a 4xx of the native API is the
/// error envelope; a 2xx JSON body matches the documented response schema. Everything random comes
/// from one seeded <see cref="Random"/>, so a failure names the seed and the request that broke.
/// </summary>
public sealed class OpenApiFuzzer
{
    private const int MaxFailures = 25;
    private static readonly string[] Verbs = ["get", "post", "put", "patch", "delete"];

    private readonly HttpClient _client;
    private readonly string _adminKey;
    private readonly string? _readKey;
    private readonly Random _random;
    private readonly int _seed;
    private readonly JsonElement _document;
    private readonly SchemaChecker _schemas;
    private readonly bool _nativeErrors;
    private readonly string _name;

    /// <summary>Ids and codes the server handed out, by the collection they belong to (customers, rewards, ...).</summary>
    private readonly Dictionary<string, List<string>> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _codes = new(StringComparer.Ordinal);
    /// <summary>String values seen in answers, by property name: the words the API itself uses (types, statuses).</summary>
    private readonly Dictionary<string, List<string>> _words = new(StringComparer.Ordinal);
    private int _counter;
    /// <summary>The collection the request being built goes to, for words that depend on it (a ledger entry's type).</summary>
    private string _context = "";
    /// <summary>The last id BuildPath put in a path, and its collection: a successful DELETE takes it out of the pool.</summary>
    private (string Collection, string Value) _lastPathId;

    private readonly HashSet<string> _keep;

    /// <param name="keep">Ids the fuzzer must never put in a path (its own keys: it would revoke itself).</param>
    public OpenApiFuzzer(string name, HttpClient client, string adminKey, string? readKey, IEnumerable<string> keep, JsonElement document, int seed, bool nativeErrors)
    {
        _keep = [.. keep];
        _name = name;
        _client = client;
        _adminKey = adminKey;
        _readKey = readKey;
        _document = document;
        _schemas = new SchemaChecker(document);
        _seed = seed;
        _random = new Random(seed);
        _nativeErrors = nativeErrors;
        foreach (var (property, words) in Hints)
        {
            _words[property] = [.. words];
        }
    }

    public List<string> Failures { get; } = [];
    public int Requests { get; private set; }
    public Dictionary<int, int> ByStatusClass { get; } = [];
    public Dictionary<string, int> PerOperation { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, int> SuccessesPerOperation { get; } = new(StringComparer.Ordinal);

    /// <summary>Properties a valid request nearly always needs (the schemas mark nothing required): never left out.</summary>
    private static readonly HashSet<string> Core = new(StringComparer.Ordinal)
    {
        "points", "amount", "total", "customer_id", "customerId", "reward_id", "email", "name", "url", "initial_balance", "stamps",
    };

    /// <summary>A few words each property is known to take, before the answers teach more.</summary>
    private static readonly Dictionary<string, string[]> Hints = new(StringComparer.Ordinal)
    {
        ["type"] = ["earned", "redeemed", "adjusted", "review", "place_order", "$signup", "birthday", "fixed_discount", "percent_discount", "free_product", "points"],
        ["status"] = ["active", "blocked", "pending", "paid", "cancelled", "refunded"],
        ["currency"] = ["EUR", "USD", "GBP"],
        ["limit_period"] = ["once", "day", "week", "month", "year"],
        ["code_source"] = ["generated", "imported"],
        ["scope"] = ["read", "write", "admin"],
    };

    public sealed record Operation(string Method, string Template, JsonElement Definition)
    {
        public string Key => $"{Method.ToUpperInvariant()} {Template}";
    }

    public List<Operation> Operations()
    {
        var operations = new List<Operation>();
        foreach (var path in _document.GetProperty("paths").EnumerateObject())
        {
            foreach (var verb in Verbs)
            {
                if (path.Value.TryGetProperty(verb, out var definition))
                {
                    operations.Add(new Operation(verb, path.Name, definition));
                }
            }
        }
        return operations;
    }

    /// <summary>Tells the fuzzer an id it cannot learn from answers (e.g. the program id a dialect puts in its paths).</summary>
    public void Know(string collection, string id) => Remember(_ids, collection, id);

    /// <summary>A camelCase name (customerId) as snake_case (customer_id).</summary>
    private static string Snake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>Sends requests round the operations until <paramref name="until"/>; each round in a new random order.</summary>
    public async Task RunAsync(DateTimeOffset until, CancellationToken cancellation)
    {
        var operations = Operations();
        // One valid request of each operation first, reads before writes before deletes, so the pools fill.
        foreach (var operation in operations.OrderBy(o => o.Method switch { "post" => 0, "get" => 1, "patch" => 2, "put" => 2, _ => 3 }))
        {
            await SendAsync(operation, Mutation.None, cancellation);
        }
        while (DateTimeOffset.UtcNow < until && Failures.Count < MaxFailures)
        {
            // The writes that move balances go round more often, so the ledger check afterwards has entries to check.
            foreach (var operation in operations.SelectMany(o => Enumerable.Repeat(o, MovesPoints(o) ? 4 : 1)).OrderBy(_ => _random.Next()))
            {
                var mutation = _random.NextDouble() < 0.45 ? Mutation.None : (Mutation)_random.Next(1, Enum.GetValues<Mutation>().Length);
                await SendAsync(operation, mutation, cancellation);
                if (DateTimeOffset.UtcNow >= until || Failures.Count >= MaxFailures)
                {
                    break;
                }
            }
        }
    }

    private static bool MovesPoints(Operation operation) =>
        operation.Method == "post" && CollectionOf(operation.Template) is "points_transactions" or "orders" or "paid" or "refunds" or "cancel"
            or "redemptions" or "activities" or "transactions" or "points" or "stamps";

    public enum Mutation
    {
        None,
        WrongType,
        MissingFields,
        HugeNumber,
        NegativeNumber,
        LongString,
        UnknownField,
        NulCharacter,
        MalformedJson,
        WrongContentType,
        GarbageQuery,
        GarbagePathId,
        MissingKey,
        InvalidKey,
        ReadKey,
        NotAnObject,
        UnpairedSurrogate,
    }

    /// <summary>Sends one request (valid or broken by <paramref name="mutation"/>) and checks the answer.</summary>
    public async Task SendAsync(Operation operation, Mutation mutation, CancellationToken cancellation)
    {
        _lastPathId = ("", "");
        var path = BuildPath(operation, mutation == Mutation.GarbagePathId);
        var query = BuildQuery(mutation == Mutation.GarbageQuery);
        var bodySchema = RequestSchema(operation.Definition);
        string? body = null;
        var contentType = "application/json";
        _context = CollectionOf(operation.Template);
        if (bodySchema is { } schema)
        {
            var node = Generate(schema, NameOf(operation), 0);
            body = Mutate(node, mutation, ref contentType);
        }
        else if (mutation is Mutation.MalformedJson or Mutation.NotAnObject && _random.Next(2) == 0)
        {
            body = mutation == Mutation.MalformedJson ? "{\"x\":" : "[1,2]";
        }

        var request = new HttpRequestMessage(new HttpMethod(operation.Method.ToUpperInvariant()), path + query);
        var key = mutation switch
        {
            Mutation.MissingKey => null,
            Mutation.InvalidKey => "sk_" + RandomString(40),
            Mutation.ReadKey => _readKey ?? _adminKey,
            _ => _adminKey,
        };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            request.Headers.TryAddWithoutValidation("X-API-Key", key);
        }
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        if (operation.Method is "post" && _random.Next(4) == 0)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", "fuzz-" + _random.Next(50).ToString(CultureInfo.InvariantCulture));
        }

        Requests++;
        PerOperation[operation.Key] = PerOperation.GetValueOrDefault(operation.Key) + 1;
        var described = $"[{_name} seed={_seed} request #{Requests} mutation={mutation} key={(key is null ? "none" : key == _adminKey ? "admin" : key == _readKey ? "read" : "invalid")}] "
            + $"{request.Method} {path + query} content-type={contentType} body={Truncate(body, 1500)}";
        int status;
        string raw;
        string? responseType;
        try
        {
            using var response = await _client.SendAsync(request, cancellation);
            status = (int)response.StatusCode;
            raw = await response.Content.ReadAsStringAsync(cancellation);
            responseType = response.Content.Headers.ContentType?.MediaType;
        }
        catch (HttpRequestException e)
        {
            Failures.Add($"{described}\n  -> the connection failed: {e.Message}");
            return;
        }
        finally
        {
            request.Dispose();
        }
        ByStatusClass[status / 100] = ByStatusClass.GetValueOrDefault(status / 100) + 1;
        var problem = Judge(operation, status, raw, responseType);
        if (problem is not null)
        {
            Failures.Add($"{described}\n  -> {status} {Truncate(raw, 1500)}\n  -> {problem}");
        }
        if (status is >= 200 and < 300)
        {
            SuccessesPerOperation[operation.Key] = SuccessesPerOperation.GetValueOrDefault(operation.Key) + 1;
            if (operation.Method == "delete" && _ids.TryGetValue(_lastPathId.Collection, out var deleted))
            {
                // Gone (an erased customer, a deleted reward): later valid requests should not keep meeting a 404.
                deleted.Remove(_lastPathId.Value);
            }
            if (responseType is not null && responseType.Contains("json", StringComparison.Ordinal) && raw.Length > 0)
            {
                using var parsed = JsonDocument.Parse(raw);
                Harvest(CollectionOf(operation.Template), parsed.RootElement, top: true);
            }
        }
    }

    /// <summary>What is wrong with an answer, or null.</summary>
    private string? Judge(Operation operation, int status, string raw, string? responseType)
    {
        if (status >= 500)
        {
            return "a 5xx answer";
        }
        if (status is >= 400 and < 500)
        {
            if (!_nativeErrors)
            {
                return null;
            }
            try
            {
                using var parsed = JsonDocument.Parse(raw);
                var root = parsed.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
                {
                    return "a 4xx that is not the error envelope";
                }
                foreach (var field in new[] { "type", "code", "message" })
                {
                    if (!error.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
                    {
                        return $"a 4xx whose error envelope lacks '{field}'";
                    }
                }
                return null;
            }
            catch (JsonException)
            {
                return "a 4xx whose body is not JSON";
            }
        }
        if (status is < 200 or >= 300)
        {
            return null;
        }
        var responses = operation.Definition.GetProperty("responses");
        if (!responses.TryGetProperty(status.ToString(CultureInfo.InvariantCulture), out var documented))
        {
            return $"a {status} that the document does not list for this operation (it lists {string.Join(", ", responses.EnumerateObject().Select(r => r.Name))})";
        }
        if (!documented.TryGetProperty("content", out var content) || !content.TryGetProperty("application/json", out var json)
            || !json.TryGetProperty("schema", out var schema))
        {
            return null;
        }
        if (responseType is null || !responseType.Contains("json", StringComparison.Ordinal))
        {
            return $"a {status} documented as JSON but sent as {responseType ?? "no content type"}";
        }
        try
        {
            using var parsed = JsonDocument.Parse(raw);
            var problems = _schemas.Check(schema, parsed.RootElement);
            return problems.Count == 0 ? null : "the body does not match its documented schema: " + string.Join("; ", problems.Take(5));
        }
        catch (JsonException e)
        {
            return "a 2xx documented as JSON whose body is not JSON: " + e.Message;
        }
    }

    private static JsonElement? RequestSchema(JsonElement definition)
    {
        if (!definition.TryGetProperty("requestBody", out var body) || !body.TryGetProperty("content", out var content))
        {
            return null;
        }
        foreach (var type in content.EnumerateObject())
        {
            if (type.Name.Contains("json", StringComparison.Ordinal) && type.Value.TryGetProperty("schema", out var schema))
            {
                return schema;
            }
        }
        return null;
    }

    private static string NameOf(Operation operation) => CollectionOf(operation.Template);

    /// <summary>The collection a template's answers belong to: its last literal segment (customers, points_transactions, ...).</summary>
    private static string CollectionOf(string template)
    {
        var literal = template.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(s => !s.StartsWith('{')) ?? "";
        return literal switch
        {
            "deliveries" => "webhook_deliveries",
            _ => literal,
        };
    }

    private string BuildPath(Operation operation, bool garbage)
    {
        var segments = operation.Template.Split('/');
        var parameters = segments.Count(s => s.StartsWith('{'));
        var garbled = garbage ? _random.Next(Math.Max(1, parameters)) : -1;
        var index = 0;
        for (var i = 0; i < segments.Length; i++)
        {
            if (!segments[i].StartsWith('{'))
            {
                continue;
            }
            var collection = i > 0 ? segments[i - 1] : "";
            if (collection == "programs")
            {
                segments[i] = index++ == garbled ? Uri.EscapeDataString(GarbageId()) : Pick(_ids.GetValueOrDefault("programs") ?? ["missing"]);
                continue;
            }
            string value;
            if (index++ == garbled)
            {
                value = GarbageId();
            }
            else
            {
                var wantsCode = segments[i].Contains("code", StringComparison.OrdinalIgnoreCase);
                var pool = wantsCode
                    ? _codes.GetValueOrDefault(collection) ?? _codes.GetValueOrDefault("any")
                    : _ids.GetValueOrDefault(collection) ?? (collection.Contains("customer", StringComparison.Ordinal) || collection.Contains("member", StringComparison.Ordinal)
                        ? _ids.GetValueOrDefault("customers") : null);
                pool ??= _ids.GetValueOrDefault("customers");
                pool = pool?.Where(v => !_keep.Contains(v)).ToList();
                value = pool is { Count: > 0 }
                    ? (_random.Next(10) == 0 && collection == "customers" && _words.TryGetValue("email", out var emails) && emails.Count > 0
                        ? Pick(emails) : Pick(pool))
                    : "missing-" + _random.Next(1000).ToString(CultureInfo.InvariantCulture);
            }
            _lastPathId = (collection, value);
            segments[i] = Uri.EscapeDataString(value);
        }
        return string.Join('/', segments);
    }

    // No "." or "..": the client would resolve them away and reach another route, not a garbage id.
    private string GarbageId() => _random.Next(9) switch
    {
        0 => " ",
        1 => "...",
        2 => new string('9', 400),
        3 => "' OR 1=1 --",
        4 => "\u0000nul",
        5 => "ünï©ødé💥",
        6 => "-1",
        7 => "9223372036854775808",
        _ => RandomString(_random.Next(1, 30)),
    };

    private string BuildQuery(bool garbage)
    {
        if (!garbage)
        {
            return _random.Next(3) == 0 ? $"?limit={_random.Next(1, 101)}" : "";
        }
        string[] names = ["limit", "page", "starting_after", "ending_before", "customer_id", "status", "type", "since", "until", "created_after", "email", "q", RandomString(5)];
        string[] values = ["-1", "0", "99999999999999999999", "1e20", "abc", "", "%00", "9223372036854775807", "-9223372036854775808", "2026-13-45", new string('x', 3000), "true", "null"];
        var parts = Enumerable.Range(0, _random.Next(1, 4)).Select(_ => $"{Uri.EscapeDataString(Pick(names))}={Uri.EscapeDataString(Pick(values))}");
        return "?" + string.Join('&', parts);
    }

    /// <summary>A value for a schema, built as a plausible client would: known ids, known words, small numbers.</summary>
    private JsonNode? Generate(JsonElement schema, string name, int depth)
    {
        schema = _schemas.Resolve(schema);
        if (depth > 4)
        {
            return null;
        }
        var types = SchemaChecker.Types(schema)?.Where(t => t != "null").ToList();
        var type = types is { Count: > 0 } ? types[0] : null;
        if (type is null && schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out _))
        {
            type = "object";
        }
        switch (type)
        {
            case "object":
                var result = new JsonObject();
                if (schema.TryGetProperty("properties", out var properties))
                {
                    var required = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()).ToHashSet() : [];
                    foreach (var property in properties.EnumerateObject())
                    {
                        if (!required.Contains(property.Name) && !Core.Contains(property.Name) && _random.Next(10) < 4)
                        {
                            continue;
                        }
                        var value = Generate(property.Value, property.Name, depth + 1);
                        if (value is not null || _random.Next(10) == 0)
                        {
                            result[property.Name] = value;
                        }
                    }
                }
                return result;
            case "array":
                var array = new JsonArray();
                var itemSchema = schema.TryGetProperty("items", out var items) ? items : default;
                for (var i = _random.Next(0, 3); i > 0; i--)
                {
                    array.Add(itemSchema.ValueKind == JsonValueKind.Undefined ? Word(name) : Generate(itemSchema, Singular(name), depth + 1));
                }
                return array;
            case "integer":
                return Integer(name);
            case "number":
                return JsonValue.Create(Math.Round((decimal)_random.NextDouble() * 100m, _random.Next(0, 3)));
            case "boolean":
                return JsonValue.Create(_random.Next(2) == 0);
            case "string":
                return JsonValue.Create(Text(name, schema));
            default:
                // Undocumented shape (a date, a free-form object): a date if the name says so, else leave it out.
                return name.EndsWith("_at", StringComparison.Ordinal) || name.Contains("date", StringComparison.Ordinal)
                    ? JsonValue.Create(Date())
                    : null;
        }
    }

    private JsonValue Integer(string name)
    {
        if (name == "points" && _random.Next(4) == 0)
        {
            return JsonValue.Create(-_random.Next(1, 60));
        }
        if (name.Contains("required", StringComparison.Ordinal))
        {
            return JsonValue.Create(_random.Next(0, 5000));
        }
        return JsonValue.Create(_random.Next(1, 300));
    }

    private string Text(string name, JsonElement schema)
    {
        name = Snake(name);
        if (schema.TryGetProperty("enum", out var choices) && choices.GetArrayLength() > 0)
        {
            return choices[_random.Next(choices.GetArrayLength())].GetString() ?? "";
        }
        if (name == "type" && _context == "points_transactions" && _random.Next(5) > 0)
        {
            // "adjusted" takes either sign, so most of these are accepted and move the balance.
            return Pick(["adjusted", "adjusted", "earned", "redeemed"]);
        }
        var unique = (++_counter).ToString(CultureInfo.InvariantCulture) + "-" + RandomString(6);
        if (name.EndsWith("_id", StringComparison.Ordinal) && name != "external_id" && name != "product_id")
        {
            var collection = Plural(name[..^3]);
            if (_ids.TryGetValue(collection, out var known) && known.Count > 0 && _random.Next(8) != 0)
            {
                return Pick(known);
            }
            return name == "id" ? "fz-" + unique : "fz-" + unique;
        }
        return name switch
        {
            "email" => $"fz{unique}@example.com".ToLowerInvariant(),
            "phone" => "+44 7700 9" + _random.Next(10000, 99999).ToString(CultureInfo.InvariantCulture),
            "birthday" => $"19{_random.Next(50, 99)}-{_random.Next(1, 13):00}-{_random.Next(1, 29):00}",
            "url" => $"https://example.com/hooks/{unique}",
            "id" or "reference" or "external_id" or "name" or "code_prefix" or "description" or "product_id" or "first_name" or "last_name" or "notes" => "fz-" + unique,
            _ when name.EndsWith("_at", StringComparison.Ordinal) || name.Contains("date", StringComparison.Ordinal) => Date(),
            _ when name.Contains("code", StringComparison.Ordinal) && _codes.TryGetValue("any", out var codes) && codes.Count > 0 => Pick(codes),
            _ => Word(name)?.GetValue<string>() ?? "fz-" + unique,
        };
    }

    private JsonValue? Word(string name) =>
        _words.TryGetValue(name, out var words) && words.Count > 0 ? JsonValue.Create(Pick(words)) : JsonValue.Create("fz-" + RandomString(8));

    private string Date() => DateTimeOffset.UtcNow.AddDays(_random.Next(-30, 400)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Breaks a generated body as the mutation says; returns the text to send.</summary>
    private string Mutate(JsonNode? node, Mutation mutation, ref string contentType)
    {
        var target = node as JsonObject;
        var keys = target?.Select(p => p.Key).ToList() ?? [];
        switch (mutation)
        {
            case Mutation.WrongType when target is not null && keys.Count > 0:
                target[Pick(keys)] = _random.Next(5) switch
                {
                    0 => JsonValue.Create("not-a-number"),
                    1 => JsonValue.Create(12345),
                    2 => new JsonArray(1, "two"),
                    3 => new JsonObject { ["nested"] = true },
                    _ => JsonValue.Create(true),
                };
                break;
            case Mutation.MissingFields when target is not null:
                foreach (var key in keys.Where(_ => _random.Next(2) == 0))
                {
                    target.Remove(key);
                }
                if (_random.Next(3) == 0)
                {
                    target.Clear();
                }
                break;
            case Mutation.HugeNumber when target is not null && keys.Count > 0:
                var huge = Pick(["1e20", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e308", "79228162514264337593543950336", "0.00000000000000000001", "123456789012345678901234567890"]);
                return ReplaceRaw(target, Pick(keys), huge);
            case Mutation.NegativeNumber when target is not null && keys.Count > 0:
                target[Pick(keys)] = JsonValue.Create(-_random.Next(1, 1_000_000));
                break;
            case Mutation.LongString when target is not null:
                // Long, but under the server's body limit (a larger body is refused before it is read, which closes the connection).
                var length = Pick([300, 1_000, 10_000, 100_000]);
                target[keys.Count > 0 && _random.Next(3) > 0 ? Pick(keys) : "description"] = JsonValue.Create(new string(length > 1_000 ? 'x' : 'é', length));
                break;
            case Mutation.UnknownField when target is not null:
                target["fz_unknown_" + RandomString(4)] = JsonValue.Create(RandomString(10));
                break;
            case Mutation.NulCharacter when target is not null:
                // In a field, in a list, or in a free-form object's value or key.
                return ReplaceRaw(target, keys.Count > 0 ? Pick(keys) : "name",
                    Pick(["\"nul\\u0000inside\"", "[\"a\\u0000\"]", "{\"k\":\"\\u0000\"}", "{\"\\u0000\":1}"]));
            case Mutation.UnpairedSurrogate when target is not null:
                // Valid JSON, not Unicode text: a high or low surrogate alone, in a field, a list or a free-form object.
                return ReplaceRaw(target, keys.Count > 0 ? Pick(keys) : "name",
                    Pick(["\"\\ud800\"", "\"a\\udc00b\"", "[\"\\ud83d\"]", "{\"k\":\"\\udfff\"}", "{\"\\ud800\":1}"]));
            case Mutation.MalformedJson:
                var text = node?.ToJsonString() ?? "{}";
                return Pick([text[..Math.Max(1, text.Length / 2)], text + "}", "{'single':'quotes'}", "{\"a\":1,}", "\uFEFF" + text + "garbage", "{\"a\":\"\\uZZZZ\"}"]);
            case Mutation.WrongContentType:
                contentType = Pick(["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin-7"]);
                break;
            case Mutation.NotAnObject:
                return Pick(["null", "[]", "42", "\"text\"", "true", "[{}]"]);
        }
        return node?.ToJsonString() ?? "null";
    }

    /// <summary>The object's JSON with one property's value replaced by a raw JSON literal.</summary>
    private static string ReplaceRaw(JsonObject target, string key, string literal)
    {
        target[key] = JsonValue.Create("__fuzz_raw__");
        return target.ToJsonString().Replace("\"__fuzz_raw__\"", literal, StringComparison.Ordinal);
    }

    /// <summary>Remembers the ids, codes and words of an answer, for later requests.</summary>
    private void Harvest(string collection, JsonElement element, bool top, int depth = 0)
    {
        if (depth > 4)
        {
            return;
        }
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Harvest(collection, item, top, depth + 1);
            }
            return;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            var name = Snake(property.Name);
            if (name == "data" && value.ValueKind == JsonValueKind.Array)
            {
                Harvest(collection, value, top, depth + 1);
                continue;
            }
            if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 and < 200 } text)
            {
                if (top && name == "id")
                {
                    Remember(_ids, collection, text);
                }
                else if (top && name == "code")
                {
                    Remember(_codes, collection, text);
                    Remember(_codes, "any", text);
                }
                else if (name.EndsWith("_id", StringComparison.Ordinal))
                {
                    Remember(_ids, Plural(name[..^3]), text);
                }
                else if (name.EndsWith("_code", StringComparison.Ordinal) || name == "code")
                {
                    Remember(_codes, Plural(name.Replace("_code", "", StringComparison.Ordinal)), text);
                    Remember(_codes, "any", text);
                }
                else if (name is "type" or "status" or "email" or "limit_period" or "currency" or "apply_mode" or "code_source" or "scope")
                {
                    Remember(_words, name, text);
                }
            }
            else if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                Harvest(collection, value, top: false, depth + 1);
            }
        }
    }

    private static void Remember(Dictionary<string, List<string>> pool, string key, string value)
    {
        if (!pool.TryGetValue(key, out var list))
        {
            pool[key] = list = [];
        }
        if (list.Count < 200 && !list.Contains(value))
        {
            list.Add(value);
        }
    }

    private static string Plural(string singular) => singular switch
    {
        "" => "",
        "delivery" or "webhook_delivery" => "webhook_deliveries",
        "activity" => "activities",
        "order" or "customer" or "reward" or "redemption" or "voucher" or "gift_card" or "vip_tier" or "earn_rule" or "api_key" or "webhook_endpoint" or "referral" or "event" => singular + "s",
        "points_transaction" => "points_transactions",
        "tier" or "min_tier" => "vip_tiers",
        "key" => "api_keys",
        "endpoint" => "webhook_endpoints",
        "rule" => "earn_rules",
        _ when singular.EndsWith('s') => singular,
        _ => singular + "s",
    };

    private static string Singular(string plural) => plural.EndsWith("ies", StringComparison.Ordinal) ? plural[..^3] + "y" : plural.TrimEnd('s');

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private string RandomString(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(length, _random, (span, random) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[random.Next(alphabet.Length)];
            }
        });
    }

    private static string Truncate(string? text, int length) =>
        text is null ? "(none)" : text.Length > length ? text[..length] + $"... ({text.Length} chars)" : text;
}
