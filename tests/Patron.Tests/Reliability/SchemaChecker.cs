using System.Text.Json;

namespace Patron.Tests.Reliability;

/// <summary>
/// A small checker of a JSON value against an OpenAPI 3.1 schema, enough to catch an answer that does
/// not keep its documented shape: <c>$ref</c> is followed, <c>type</c> (a name or a list of names) is
/// checked, an object's <c>required</c> properties must be present and its declared ones have the right
/// type, an array's items are checked. A schema without a type (e.g. <c>{}</c>) accepts anything.
/// </summary>
public sealed class SchemaChecker(JsonElement document)
{
    private const int MaxDepth = 12;

    /// <summary>The schema behind a <c>$ref</c> (or the schema itself).</summary>
    public JsonElement Resolve(JsonElement schema)
    {
        for (var hops = 0; schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference); hops++)
        {
            if (hops > 20)
            {
                throw new InvalidOperationException("$ref cycle in the OpenAPI document");
            }
            var target = document;
            foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/'))
            {
                target = target.GetProperty(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));
            }
            schema = target;
        }
        return schema;
    }

    /// <summary>The JSON type names a schema allows, or null when it does not say.</summary>
    public static IReadOnlyList<string>? Types(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("type", out var type))
        {
            return null;
        }
        return type.ValueKind == JsonValueKind.Array
            ? [.. type.EnumerateArray().Select(t => t.GetString()!)]
            : [type.GetString()!];
    }

    /// <summary>Every place where <paramref name="value"/> breaks <paramref name="schema"/>, as "$.path: problem".</summary>
    public List<string> Check(JsonElement schema, JsonElement value)
    {
        var problems = new List<string>();
        Check(schema, value, "$", 0, problems);
        return problems;
    }

    private void Check(JsonElement schema, JsonElement value, string at, int depth, List<string> problems)
    {
        if (depth > MaxDepth || problems.Count > 20)
        {
            return;
        }
        schema = Resolve(schema);
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (var combinator in new[] { "oneOf", "anyOf" })
        {
            if (schema.TryGetProperty(combinator, out var options))
            {
                var matches = options.EnumerateArray().Any(option => Check(option, value).Count == 0);
                if (!matches)
                {
                    problems.Add($"{at}: matches none of {combinator} ({value.GetRawText()[..Math.Min(200, value.GetRawText().Length)]})");
                }
                return;
            }
        }
        var types = Types(schema);
        if (types is not null && !types.Any(t => IsOfType(value, t)))
        {
            problems.Add($"{at}: expected {string.Join('|', types)}, got {value.ValueKind} {Short(value)}");
            return;
        }
        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out var required))
            {
                foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
                {
                    if (!value.TryGetProperty(name, out _))
                    {
                        problems.Add($"{at}: required property '{name}' is missing");
                    }
                }
            }
            if (schema.TryGetProperty("properties", out var properties))
            {
                foreach (var property in properties.EnumerateObject())
                {
                    if (value.TryGetProperty(property.Name, out var child))
                    {
                        Check(property.Value, child, $"{at}.{property.Name}", depth + 1, problems);
                    }
                }
            }
        }
        else if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                Check(items, item, $"{at}[{index++}]", depth + 1, problems);
            }
        }
    }

    private static bool IsOfType(JsonElement value, string type) => type switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var d) && decimal.Truncate(d) == d,
        _ => true,
    };

    private static string Short(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length > 120 ? raw[..120] + "..." : raw;
    }
}
