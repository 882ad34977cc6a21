using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.OpenApi;

namespace Patron.Api;

/// <summary>
/// A description and an example for every schema of the OpenAPI document that has none: the description
/// says what the object is from its name (<c>CustomerDto</c> is a customer as answered, <c>CustomerInput</c>
/// the fields sent), and the example is built from its properties, with values that look like Patron's own
/// (prefixed ids, ISO-8601 UTC timestamps, E.164 phones).
/// </summary>
public static partial class SchemaDocumentation
{
    private static readonly Dictionary<string, string> IdPrefixes = new(StringComparer.Ordinal)
    {
        ["customer"] = "cus",
        ["points_transaction"] = "ptx",
        ["event"] = "evt",
        ["api_key"] = "key",
        ["program"] = "prog",
        ["reward"] = "rwd",
        ["redemption"] = "rdm",
        ["earn_rule"] = "rule",
        ["activity"] = "act",
        ["vip_tier"] = "tier",
        ["webhook_endpoint"] = "we",
        ["webhook_delivery"] = "whd",
        ["referral"] = "ref",
        ["gift_card"] = "gc",
        ["order"] = "ord",
    };

    public static void Describe(IDictionary<string, IOpenApiSchema> schemas)
    {
        foreach (var (name, schema) in schemas)
        {
            if (schema is not OpenApiSchema concrete)
            {
                continue;
            }
            concrete.Description ??= DescriptionOf(name);
            if (concrete.Examples is not { Count: > 0 } && Example(concrete, schemas, Subject(name), depth: 0) is { } example)
            {
                concrete.Examples = [example];
            }
        }
    }

    private static string DescriptionOf(string name)
    {
        if (name.StartsWith("ListEnvelopeOf", StringComparison.Ordinal))
        {
            return $"One page of a list of {Plural(Words(Subject(name["ListEnvelopeOf".Length..])))}, most recent first: "
                + "has_more says whether another page follows; continue with starting_after set to the last id.";
        }
        if (name.EndsWith("Dto", StringComparison.Ordinal))
        {
            return $"A {Words(Subject(name))} as the API answers it.";
        }
        if (name.EndsWith("Input", StringComparison.Ordinal))
        {
            return $"The fields of a {Words(Subject(name))} request; unknown fields are ignored.";
        }
        return $"{Capitalised(Words(name))}.";
    }

    private static string Subject(string name) =>
        name.EndsWith("Dto", StringComparison.Ordinal) ? name[..^3]
        : name.EndsWith("Input", StringComparison.Ordinal) ? name[..^5]
        : name;

    private static string Words(string pascal) => WordBoundary().Replace(pascal, " $1").Trim().ToLowerInvariant();

    private static string Snake(string pascal) => Words(pascal).Replace(' ', '_');

    private static string Plural(string noun) =>
        noun.EndsWith('y') && !noun.EndsWith("ey", StringComparison.Ordinal) ? noun[..^1] + "ies"
        : noun.EndsWith('s') ? noun : noun + "s";

    private static string Capitalised(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    [GeneratedRegex("(?<!^)([A-Z][a-z])", RegexOptions.CultureInvariant)]
    private static partial Regex WordBoundary();

    private static JsonNode? Example(IOpenApiSchema schema, IDictionary<string, IOpenApiSchema> schemas, string subject, int depth)
    {
        if (schema is OpenApiSchemaReference { Reference.Id: { } id })
        {
            if (depth > 3 || !schemas.TryGetValue(id, out var target) || target is not OpenApiSchema concrete)
            {
                return null;
            }
            return FirstExample(concrete) ?? Example(concrete, schemas, Subject(id), depth + 1);
        }
        if (schema is not OpenApiSchema s)
        {
            return null;
        }
        if (FirstExample(s) is { } given)
        {
            return given;
        }
        if (s.OneOf is { Count: > 0 } oneOf)
        {
            return oneOf.Where(o => o is not OpenApiSchema { Type: JsonSchemaType.Null }).Select(o => Example(o, schemas, subject, depth)).FirstOrDefault(e => e is not null);
        }
        if (s.Enum is { Count: > 0 } values)
        {
            return values.First(v => v is not null)?.DeepClone();
        }
        if (s.Properties is { Count: > 0 } properties)
        {
            var example = new JsonObject();
            foreach (var (property, propertySchema) in properties)
            {
                example[property] = Value(property, propertySchema, schemas, subject, depth);
            }
            return example;
        }
        var type = s.Type ?? 0;
        if (type.HasFlag(JsonSchemaType.Array))
        {
            var item = s.Items is null ? null : Example(s.Items, schemas, subject, depth + 1);
            return item is null ? new JsonArray() : new JsonArray(item);
        }
        if (type.HasFlag(JsonSchemaType.Object))
        {
            return new JsonObject();
        }
        return Scalar("value", s);
    }

    private static JsonNode? Value(string property, IOpenApiSchema schema, IDictionary<string, IOpenApiSchema> schemas, string subject, int depth)
    {
        if (schema is OpenApiSchemaReference || schema is OpenApiSchema { Properties.Count: > 0 } || schema is OpenApiSchema { OneOf.Count: > 0 }
            || (schema is OpenApiSchema { Type: { } t } && (t.HasFlag(JsonSchemaType.Array) || t.HasFlag(JsonSchemaType.Object))))
        {
            return Example(schema, schemas, subject, depth + 1);
        }
        if (schema is OpenApiSchema { Enum.Count: > 0 })
        {
            return Example(schema, schemas, subject, depth);
        }
        if (property == "object")
        {
            return JsonValue.Create(Snake(subject) == "list_envelope" ? "list" : Snake(subject));
        }
        if (property == "id")
        {
            var snake = Snake(subject);
            return JsonValue.Create((IdPrefixes.TryGetValue(snake, out var prefix) ? prefix : snake.Split('_')[0]) + "_01JD5C8W3ZK9QF2N7M4XYTB6RA");
        }
        if (property.EndsWith("_id", StringComparison.Ordinal) && property != "external_id")
        {
            var owner = property[..^3];
            return JsonValue.Create((IdPrefixes.TryGetValue(owner, out var prefix) ? prefix : owner) + "_01JD5C8W3ZK9QF2N7M4XYTB6RA");
        }
        return Scalar(property, schema as OpenApiSchema);
    }

    private static JsonNode? FirstExample(OpenApiSchema schema) =>
        schema.Examples is { Count: > 0 } examples ? examples[0]?.DeepClone() : null;

    private static JsonValue? Scalar(string property, OpenApiSchema? schema)
    {
        var type = schema?.Type ?? 0;
        if (schema?.Format == "date-time" || property.EndsWith("_at", StringComparison.Ordinal))
        {
            return JsonValue.Create("2026-11-22T09:15:02.123Z");
        }
        if (type.HasFlag(JsonSchemaType.Boolean))
        {
            return JsonValue.Create(property is "enabled" or "has_more");
        }
        if (type.HasFlag(JsonSchemaType.Integer))
        {
            return JsonValue.Create(property switch
            {
                "limit" => 20,
                "page" => 1,
                _ when property.Contains("points", StringComparison.Ordinal) => 120,
                _ => 1,
            });
        }
        if (type.HasFlag(JsonSchemaType.Number))
        {
            return JsonValue.Create(54.20m);
        }
        if (type.HasFlag(JsonSchemaType.String) || type == 0)
        {
            return JsonValue.Create(property switch
            {
                "email" => "ada@example.com",
                "phone" => "+447700900123",
                "first_name" => "Ada",
                "last_name" => "Lovelace",
                "birthday" => "1990-12-10",
                "currency" => "EUR",
                "status" => "active",
                "url" => "https://shop.example.com/patron/webhooks",
                "external_id" => "shop-customer-1001",
                _ when property.EndsWith("code", StringComparison.Ordinal) => "WELCOME-7K2Q",
                _ => Sentence(property),
            });
        }
        return null;
    }

    private static string Sentence(string property)
    {
        var text = new StringBuilder(property.Replace('_', ' '));
        if (text.Length > 0)
        {
            text[0] = char.ToUpperInvariant(text[0]);
        }
        return text.ToString();
    }
}
