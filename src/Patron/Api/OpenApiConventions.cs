using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Patron.Api;

/// <summary>
/// What the generated <c>/openapi/v1.json</c> lacks, added in one place (docs/API.md): the bearer
/// security scheme applied to every operation, stable operationIds, the paging and filter query
/// parameters of each list, the error envelope on every error answer, the <c>Idempotency-Key</c>
/// request header on writes, the <c>Request-Id</c> and rate-limit response headers, and a description
/// and example on every schema.
/// </summary>
public static class OpenApiConventions
{
    public const string BearerScheme = "bearer";
    public const string ErrorSchema = "Error";

    /// <summary>The error answers every operation documents, with what they mean.</summary>
    private static readonly (string Status, string Description)[] ErrorResponses =
    [
        ("400", "The request could not be read (malformed JSON, headers or framing)."),
        ("401", "No API key, or one that is unknown, revoked or expired."),
        ("403", "The key's scope does not allow this call (read keys may only GET; some calls need admin), or the customer is blocked."),
        ("404", "No such object in this program, or no such route."),
        ("409", "A conflict: an Idempotency-Key reused with another request, or an identifier another object already has."),
        ("422", "A parameter is missing or invalid, or the operation is refused (for example insufficient_points); `param` names the field."),
        ("429", "Too many requests for this key, or too many failed authentications from this address; retry after `Retry-After` seconds."),
    ];

    private static readonly string[] ErrorTypes =
        ["invalid_request_error", "authentication_error", "permission_error", "not_found_error", "conflict_error", "rate_limit_error", "api_error"];

    /// <summary>Verbs for action routes (<c>POST /orders/{id}/paid</c>) whose last segment is not a verb already.</summary>
    private static readonly Dictionary<string, string> ActionVerbs = new(StringComparer.Ordinal) { ["paid"] = "pay" };

    public static Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        AddSecurityScheme(document, "A secret API key: `Authorization: Bearer sk_...`. Read keys may only GET; admin keys may also configure the program.");
        document.Components!.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ErrorSchema] = ErrorEnvelopeSchema();
        SchemaDocumentation.Describe(document.Components.Schemas);
        AddComponents(document);
        foreach (var (path, method, operation, description) in Operations(document, context))
        {
            Describe(document, path, method, operation, description);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// A dialect's document gets the security scheme every dialect accepts (a Patron key as a bearer token)
    /// and operationIds; its errors and lists keep the shapes of the service it mirrors.
    /// </summary>
    public static Task TransformDialectAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        AddSecurityScheme(document, "A Patron secret API key as a bearer token, which every dialect accepts; some also take it where the "
            + "service they mirror expects it (docs/migrate/).");
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, method, operation, description) in Operations(document, context))
        {
            var basePath = string.Join('/', path.Split('/').Take(4));
            var id = operation.OperationId ?? OperationId(method, path[basePath.Length..], IsList(operation));
            for (var n = 2; !taken.Add(id); n++)
            {
                id = OperationId(method, path[basePath.Length..], IsList(operation)) + n.ToString(CultureInfo.InvariantCulture);
            }
            operation.OperationId = id;
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
        }
        return Task.CompletedTask;
    }

    private static void AddSecurityScheme(OpenApiDocument document, string description)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "sk_...",
            Description = description,
        };
    }

    private static List<(string Path, HttpMethod Method, OpenApiOperation Operation, ApiDescription? Description)> Operations(
        OpenApiDocument document, OpenApiDocumentTransformerContext context)
    {
        var descriptions = context.DescriptionGroups.SelectMany(g => g.Items).ToList();
        return [.. from path in document.Paths
                   from operation in path.Value.Operations ?? []
                   select (path.Key, operation.Key, operation.Value, descriptions.FirstOrDefault(d =>
                       string.Equals(d.HttpMethod, operation.Key.Method, StringComparison.OrdinalIgnoreCase) && NormalPath(d.RelativePath) == path.Key))];
    }

    private static string NormalPath(string? relativePath)
    {
        var path = "/" + (relativePath ?? "").Trim('/');
        var query = path.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? path : path[..query];
    }

    private static void Describe(OpenApiDocument document, string path, HttpMethod method, OpenApiOperation operation, ApiDescription? description)
    {
        var isList = IsList(operation);
        operation.OperationId ??= OperationId(method, path, isList);
        var isPublic = description?.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Authorization.IAllowAnonymous>().Any() ?? false;
        operation.Security = isPublic
            ? []
            : [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];

        operation.Parameters ??= [];
        if (isList)
        {
            AddQuery(operation, QueryParameter.Integer("limit", "How many objects to answer, from 1 to 100 (default 20).", 1, 100), 20);
            AddQuery(operation, QueryParameter.Integer("page", "The 1-based page, counted (answers total_count); ignored with starting_after.", 1, 1_000_000), 1);
            AddQuery(operation, new QueryParameter("starting_after",
                "A cursor: the id of the last object of the previous page. The list continues after it without counting (page and total_count are null)."), null);
        }
        foreach (var parameter in description?.ActionDescriptor.EndpointMetadata.OfType<QueryParametersMetadata>().SelectMany(m => m.Parameters) ?? [])
        {
            AddQuery(operation, parameter, null);
        }
        if (method != HttpMethod.Get && method != HttpMethod.Head)
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "Idempotency-Key",
                In = ParameterLocation.Header,
                Description = "Any unique string up to 255 characters. A retry with the same key and body replays the first answer "
                    + "(Idempotent-Replayed: true) instead of writing twice; the same key with another request is 409 idempotency_key_reused. Keys live 24 hours.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255 },
                Example = JsonValue.Create("7f3c9a52-order-1001"),
            });
        }

        operation.Responses ??= [];
        foreach (var response in operation.Responses.Values.OfType<OpenApiResponse>())
        {
            AddHeaders(document, response);
        }
        foreach (var (status, _) in ErrorResponses)
        {
            operation.Responses.TryAdd(status, new OpenApiResponseReference(ErrorResponseName(status), document));
        }
    }

    private static string ErrorResponseName(string status) => "Error" + status;

    /// <summary>The shared response headers and error answers, each defined once under components.</summary>
    private static void AddComponents(OpenApiDocument document)
    {
        var components = document.Components!;
        components.Headers ??= new Dictionary<string, IOpenApiHeader>();
        components.Headers["Request-Id"] = Header("This request's id, also in the log line and in an error's request_id: quote it when asking for help.", JsonSchemaType.String);
        components.Headers["RateLimit-Limit"] = Header("Requests this key may make a minute (absent when the key has no limit).", JsonSchemaType.Integer);
        components.Headers["RateLimit-Remaining"] = Header("Requests left in the current minute.", JsonSchemaType.Integer);
        components.Headers["RateLimit-Reset"] = Header("Seconds until the current minute's window ends.", JsonSchemaType.Integer);
        components.Headers["Retry-After"] = Header("Seconds to wait before retrying.", JsonSchemaType.Integer);
        components.Responses ??= new Dictionary<string, IOpenApiResponse>();
        foreach (var (status, text) in ErrorResponses)
        {
            var response = new OpenApiResponse
            {
                Description = text,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new OpenApiSchemaReference(ErrorSchema, document) },
                },
            };
            AddHeaders(document, response);
            if (status == "429")
            {
                response.Headers!["Retry-After"] = new OpenApiHeaderReference("Retry-After", document);
            }
            components.Responses[ErrorResponseName(status)] = response;
        }
    }

    private static bool IsList(OpenApiOperation operation) =>
        operation.Responses is { } responses && responses.TryGetValue("200", out var ok)
        && ok.Content is { } content && content.Values.Any(m => m.Schema is OpenApiSchemaReference { Reference.Id: { } id }
            && id.StartsWith("ListEnvelopeOf", StringComparison.Ordinal));

    private static void AddQuery(OpenApiOperation operation, QueryParameter parameter, int? fallback)
    {
        if (operation.Parameters!.Any(p => p.Name == parameter.Name && p.In == ParameterLocation.Query))
        {
            return;
        }
        var schema = new OpenApiSchema
        {
            Type = parameter.Type switch
            {
                "integer" => JsonSchemaType.Integer,
                "boolean" => JsonSchemaType.Boolean,
                _ => JsonSchemaType.String,
            },
            Minimum = parameter.Minimum?.ToString(CultureInfo.InvariantCulture),
            Maximum = parameter.Maximum?.ToString(CultureInfo.InvariantCulture),
        };
        if (parameter.Type == "integer")
        {
            schema.Format = "int32";
        }
        if (fallback is { } value)
        {
            schema.Default = JsonValue.Create(value);
        }
        if (parameter.Values is { } values)
        {
            schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
        }
        if (parameter.Type == "string" && parameter.Values is null)
        {
            schema.MaxLength = 500;
        }
        operation.Parameters!.Add(new OpenApiParameter
        {
            Name = parameter.Name,
            In = ParameterLocation.Query,
            Required = false,
            Description = parameter.Description,
            Schema = schema,
        });
    }

    private static void AddHeaders(OpenApiDocument document, OpenApiResponse response)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        foreach (var name in (string[])["Request-Id", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"])
        {
            response.Headers[name] = new OpenApiHeaderReference(name, document);
        }
    }

    private static OpenApiHeader Header(string description, JsonSchemaType type) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = type } };

    private static OpenApiSchema ErrorEnvelopeSchema()
    {
        var nullableString = JsonSchemaType.String | JsonSchemaType.Null;
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Every error answer of the native API (docs/API.md).",
            Required = new HashSet<string> { "error" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["error"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "type", "code", "message", "param" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["type"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String,
                            Description = "The kind of error.",
                            Enum = [.. ErrorTypes.Select(t => (JsonNode)JsonValue.Create(t))],
                        },
                        ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A stable, machine-readable code, such as insufficient_points." },
                        ["message"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A sentence for a developer; not for display to customers." },
                        ["param"] = new OpenApiSchema { Type = nullableString, Description = "The parameter or field at fault, if any." },
                        ["retry_after"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Seconds to wait before retrying (429, 503)." },
                        ["request_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's id, as in the Request-Id header." },
                    },
                },
            },
            Examples =
            [
                JsonNode.Parse("""
                {"error":{"type":"invalid_request_error","code":"insufficient_points","message":"The customer has 120 points; 500 cannot be deducted.","param":"points","request_id":"req_9f86d081884c7d65"}}
                """)!,
            ],
        };
    }

    /// <summary>
    /// <c>listCustomers</c>, <c>getCustomer</c>, <c>createCustomerPointsTransaction</c>, <c>cancelOrder</c>:
    /// a verb from the method (or the action segment) and the path's literal segments, singular before an id.
    /// </summary>
    public static string OperationId(HttpMethod method, string path, bool isList)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (segments is ["api", "v1", ..])
        {
            segments.RemoveRange(0, 2);
        }
        var nouns = new List<string>();
        string? action = null;
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            if (segment.StartsWith('{'))
            {
                continue;
            }
            var last = i == segments.Count - 1;
            var beforeId = !last && segments[i + 1].StartsWith('{');
            if (last && method == HttpMethod.Post && i > 0 && segments[i - 1].StartsWith('{') && !segment.EndsWith('s'))
            {
                action = ActionVerbs.GetValueOrDefault(segment, segment);
                continue;
            }
            nouns.Add(beforeId || (last && method == HttpMethod.Post) ? Singular(segment) : segment);
        }
        var targetsOne = segments.Count > 0 && segments[^1].StartsWith('{');
        var verb = action ?? (method.Method switch
        {
            "GET" => isList ? "list" : "get",
            "POST" => targetsOne ? "update" : "create",
            "PATCH" or "PUT" => "update",
            "DELETE" => "delete",
            var other => other.ToLowerInvariant(),
        });
        var id = new StringBuilder(Camel(verb));
        foreach (var noun in nouns)
        {
            foreach (var word in noun.Split(['_', '.', '-'], StringSplitOptions.RemoveEmptyEntries))
            {
                id.Append(char.ToUpperInvariant(word[0])).Append(word[1..]);
            }
        }
        return id.ToString();
    }

    private static string Camel(string verb) => verb.Length == 0 ? verb : char.ToLowerInvariant(verb[0]) + verb[1..];

    private static string Singular(string noun) =>
        noun.EndsWith("ies", StringComparison.Ordinal) ? noun[..^3] + "y"
        : noun.EndsWith('s') && !noun.EndsWith("ss", StringComparison.Ordinal) && noun != "analytics" ? noun[..^1]
        : noun;
}
