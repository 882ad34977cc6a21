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
        RejectUnstorableText(bytes);
        return body;
    }

    /// <summary>
    /// The body of a route that takes no fields (an order's <c>paid</c> and <c>cancel</c>, a redemption's <c>cancel</c>):
    /// none, or a JSON object, checked as any other body, so that a request meant for another route is not taken for this one.
    /// On the native API a field is 400 <c>parameter_unknown</c>.
    /// </summary>
    public static Task<NoFields> ReadNoFieldsAsync(this HttpContext http) => http.ReadJsonAsync<NoFields>();

    /// <summary>A body without fields.</summary>
    public sealed class NoFields;

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
    /// Text no database keeps as sent is refused anywhere in a JSON body, on both databases alike: a NUL character
    /// (<c>\u0000</c>, valid JSON but no text PostgreSQL can store) and an unpaired surrogate (<c>\ud800</c>, valid
    /// JSON but not Unicode text), in a field, in a list, in a nested object's keys and values. The refusal (422)
    /// names the top-level field as sent, or <paramref name="rootParam"/> when the body is not an object.
    /// Both can only be written as escapes, so a body without a <c>\u0000</c> or <c>\uD8</c>-<c>\uDF</c> escape is not read again.
    /// </summary>
    public static void RejectUnstorableText(byte[] bytes, string rootParam = "body")
    {
        if (!HasSuspectEscape(bytes))
        {
            return;
        }
        // Called on a body that was read already, within the same depth limit, so this parse does not fail.
        using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = PatronJson.Options.MaxDepth });
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            if (Unstorable(root) is { } what)
            {
                throw ApiException.Invalid(rootParam, $"Parameter '{rootParam}' contains {what}.");
            }
            return;
        }
        foreach (var property in root.EnumerateObject())
        {
            if (Unstorable(property, out var name) is { } what)
            {
                var param = name?.Replace("\0", "", StringComparison.Ordinal) ?? "body";
                throw ApiException.Invalid(param, $"Parameter '{param}' contains {what}.");
            }
        }
    }

    /// <summary>Whether the body holds <c>\u0000</c> or an escape in the surrogate range (<c>\uD800</c>-<c>\uDFFF</c>, any case).</summary>
    private static bool HasSuspectEscape(ReadOnlySpan<byte> bytes)
    {
        for (var i = bytes.IndexOf(@"\u"u8); i >= 0 && i + 5 < bytes.Length;)
        {
            var hex = bytes.Slice(i + 2, 4);
            if (hex.SequenceEqual("0000"u8) || ((hex[0] | 0x20) == 'd' && (hex[1] is >= (byte)'8' and <= (byte)'9' || (hex[1] | 0x20) is >= 'a' and <= 'f')))
            {
                return true;
            }
            var next = bytes[(i + 2)..].IndexOf(@"\u"u8);
            i = next < 0 ? -1 : i + 2 + next;
        }
        return false;
    }

    /// <summary>Whether <paramref name="value"/> holds a NUL character or an unpaired surrogate, for a route that reads its JSON itself.</summary>
    public static bool HasUnstorableText(JsonElement value) => Unstorable(value) is not null;

    /// <summary>What in <paramref name="value"/> cannot be stored, or null when it all can.</summary>
    private static string? Unstorable(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                string text;
                try
                {
                    text = value.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    return "an unpaired surrogate";
                }
                return text.Contains('\0', StringComparison.Ordinal) ? "a NUL character" : null;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    if (Unstorable(item) is { } what)
                    {
                        return what;
                    }
                }
                return null;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    if (Unstorable(property, out _) is { } what)
                    {
                        return what;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>What in the property's name or value cannot be stored; <paramref name="name"/> is null when the name itself cannot.</summary>
    private static string? Unstorable(JsonProperty property, out string? name)
    {
        try
        {
            name = property.Name;
        }
        catch (InvalidOperationException)
        {
            name = null;
            return "an unpaired surrogate";
        }
        return name.Contains('\0', StringComparison.Ordinal) ? "a NUL character" : Unstorable(property.Value);
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
