using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Patron.Api;

/// <summary>
/// Reads a JSON request body with the error rules (docs/API.md): malformed JSON or a body that is not an
/// object is 400, a field of the wrong type is 422 naming the field, an empty body reads as <c>{}</c>.
/// On the native API (<c>/api/v1</c>) a field the operation does not take is 400 <c>parameter_unknown</c>
/// naming it (a nested one by its path: <c>referral.pionts</c>, <c>[i]</c> for an array element); free-form objects
/// (an activity's <c>properties</c>, an order's <c>items</c>) take any key. Dialects follow their own service and
/// ignore unknown fields. It also remembers a hash of the body for idempotency.
/// </summary>
public static class RequestBody
{
    public const int MaxBytes = 1024 * 1024;
    private const string HashItem = "patron.body-hash";
    private static readonly PathString NativeApi = "/api/v1";

    /// <summary>The native API's options: the same, but a field no property maps is an error.</summary>
    private static readonly JsonSerializerOptions Strict = new(PatronJson.Options)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static async Task<T> ReadJsonAsync<T>(this HttpContext http) where T : class, new()
    {
        var bytes = await ReadBytesAsync(http);
        if (bytes.Length == 0 || IsWhitespace(bytes))
        {
            return new T();
        }
        if (!IsJson(http.Request.ContentType))
        {
            throw new ApiException(415, "invalid_request_error", "unsupported_media_type",
                "Request bodies must be JSON, sent with Content-Type: application/json.");
        }

        var strict = http.Request.Path.StartsWithSegments(NativeApi);
        T body;
        try
        {
            body = JsonSerializer.Deserialize<T>(bytes, strict ? Strict : PatronJson.Options)
                ?? throw ApiException.Malformed("The request body must be a JSON object.", "invalid_body");
        }
        catch (JsonException e)
        {
            // Invalid UTF-8 inside a string fails as that field; it is malformed JSON, not a wrong type.
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
            {
                throw ApiException.Malformed("The request body is not valid UTF-8.");
            }
            JsonValueKind kind;
            try
            {
                using var doc = JsonDocument.Parse(bytes);
                kind = doc.RootElement.ValueKind;
            }
            catch (JsonException)
            {
                throw ApiException.Malformed("The request body is not valid JSON.");
            }
            if (kind != JsonValueKind.Object)
            {
                throw ApiException.Malformed("The request body must be a JSON object.", "invalid_body");
            }
            var param = ParamFromPath(e.Path);
            if (strict && param is not null && ReadsWithUnknownFields<T>(bytes))
            {
                // Only the unknown field failed: the same body read leniently is fine.
                throw ApiException.UnknownParameter(param);
            }
            throw ApiException.Invalid(param ?? "body", param is null
                ? "The request body has a value of the wrong type."
                : $"Parameter '{param}' has the wrong type.");
        }
        if (bytes.AsSpan().IndexOf(@"\u0000"u8) >= 0)
        {
            RejectNul(body);
        }
        return body;
    }

    private static bool ReadsWithUnknownFields<T>(byte[] bytes)
    {
        try
        {
            JsonSerializer.Deserialize<T>(bytes, PatronJson.Options);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// A NUL character (<c>\u0000</c>) is valid JSON but no text PostgreSQL can store (SQLite would keep it),
    /// so it is refused in every field alike, on both databases.
    /// </summary>
    private static void RejectNul<T>(T body)
    {
        foreach (var property in typeof(T).GetProperties())
        {
            if (property.PropertyType == typeof(string) && property.GetValue(body) is string value && value.Contains('\0', StringComparison.Ordinal))
            {
                var param = JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
                throw ApiException.Invalid(param, $"Parameter '{param}' contains a NUL character.");
            }
        }
    }

    /// <summary>The same rule for query parameters (a <c>%00</c> in the query string).</summary>
    public static void RejectNulInQuery(HttpRequest request)
    {
        if (!request.QueryString.HasValue || !request.QueryString.Value!.Contains("%00", StringComparison.Ordinal))
        {
            return;
        }
        foreach (var (name, values) in request.Query)
        {
            if (name.Contains('\0', StringComparison.Ordinal) || values.Any(v => v is not null && v.Contains('\0', StringComparison.Ordinal)))
            {
                var param = name.Replace("\0", "", StringComparison.Ordinal);
                throw ApiException.Invalid(param, $"Query parameter '{param}' contains a NUL character.");
            }
        }
    }

    /// <summary>The raw body, at most 1 MiB (larger is 413), hashed with method and path for idempotency.</summary>
    public static async Task<byte[]> ReadBytesAsync(HttpContext http)
    {
        var request = http.Request;
        if (request.ContentLength > MaxBytes)
        {
            throw TooLarge();
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > MaxBytes)
                {
                    throw TooLarge();
                }
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            throw TooLarge();
        }
        var bytes = buffer.ToArray();
        // Only a request that may be replayed needs the hash of its body.
        if (request.Headers.ContainsKey("Idempotency-Key"))
        {
            http.Items[HashItem] = Hash(request.Method, request.Path.Value ?? "", bytes);
        }
        return bytes;
    }

    /// <summary>The hash of this request (method, path, body) for <c>Idempotency-Key</c> comparison.</summary>
    public static string RequestHash(HttpContext http) =>
        http.Items.TryGetValue(HashItem, out var hash) && hash is string s
            ? s
            : Hash(http.Request.Method, http.Request.Path.Value ?? "", []);

    private static string Hash(string method, string path, byte[] body)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{method} {path}\n"));
        sha.AppendData(body);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static ApiException TooLarge() =>
        new(413, "invalid_request_error", "request_too_large", $"Request bodies are limited to {MaxBytes} bytes.");

    private static bool IsWhitespace(byte[] bytes) => bytes.All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t');

    private static bool IsJson(string? contentType) =>
        contentType is null
        || contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
        || (contentType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
            && contentType.Contains("+json", StringComparison.OrdinalIgnoreCase));

    private static string? ParamFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }
        var p = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return p.Length == 0 ? null : p;
    }

    /// <summary>Kestrel's own body limit, so that a chunked body cannot grow past it either.</summary>
    public static void LimitBody(HttpContext http)
    {
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = MaxBytes + 1;
        }
    }
}
