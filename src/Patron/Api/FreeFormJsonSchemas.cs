using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Patron.Api;

/// <summary>
/// A property typed <see cref="System.Text.Json.JsonElement"/> carries the caller's own JSON (an
/// activity's <c>properties</c>, an event's <c>data</c>, an order's <c>items</c>), which the generator
/// points at an empty, typeless <c>JsonElement</c> schema. Each such property is documented instead as a
/// free-form object (<c>additionalProperties: true</c>), or a free-form array for the list-valued ones.
/// </summary>
public static class FreeFormJsonSchemas
{
    private const string JsonElement = "JsonElement";
    private static readonly HashSet<string> ArrayValued = ["items", "discount_codes"];

    public static Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var schemas = document.Components?.Schemas;
        if (schemas is null)
        {
            return Task.CompletedTask;
        }
        foreach (var schema in schemas.Values)
        {
            if (schema is not OpenApiSchema { Properties: { } properties })
            {
                continue;
            }
            foreach (var name in properties.Keys.ToList())
            {
                var property = properties[name];
                var nullable = property is OpenApiSchema { OneOf: { } oneOf } && oneOf.Any(IsJsonElement)
                    && oneOf.Any(s => s is OpenApiSchema { Type: JsonSchemaType.Null });
                if (IsJsonElement(property) || nullable)
                {
                    properties[name] = FreeForm(ArrayValued.Contains(name), nullable, property.Description);
                }
            }
        }
        return Task.CompletedTask;
    }

    private static bool IsJsonElement(IOpenApiSchema schema) =>
        schema is OpenApiSchemaReference { Reference.Id: JsonElement };

    private static OpenApiSchema FreeForm(bool array, bool nullable, string? description)
    {
        var orNull = nullable ? JsonSchemaType.Null : 0;
        return array
            ? new OpenApiSchema { Type = JsonSchemaType.Array | orNull, Items = new OpenApiSchema(), Description = description }
            : new OpenApiSchema
            {
                Type = JsonSchemaType.Object | orNull,
                AdditionalPropertiesAllowed = true,
                AdditionalProperties = new OpenApiSchema(),
                Description = description,
            };
    }
}
