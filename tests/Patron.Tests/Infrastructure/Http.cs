using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Patron.Tests.Infrastructure;

/// <summary>One HTTP answer: status, parsed JSON body (if any), headers and the raw text.</summary>
public sealed record ApiResponse(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers, string Raw)
{
    public int Code => (int)Status;

    /// <summary>The error envelope's <c>code</c>, or null when this is not an error envelope.</summary>
    public string? ErrorCode =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("error", out var e) ? e.GetProperty("code").GetString() : null;

    /// <summary>The error envelope's <c>param</c>: the request field it names, or null.</summary>
    public string? ErrorParam =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("error", out var e)
            && e.TryGetProperty("param", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    public string? ErrorType =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("error", out var e) ? e.GetProperty("type").GetString() : null;

    public JsonElement this[string property] => Body.GetProperty(property);

    public string Str(string property) => Body.GetProperty(property).GetString()!;

    public long Long(string property) => Body.GetProperty(property).GetInt64();

    public string? Header(string name) =>
        Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}

/// <summary>Small helpers so tests read as requests: <c>await client.PostJsonAsync("/api/v1/customers", new { email = "a@b.co" })</c>.</summary>
public static class Http
{
    /// <summary>Serialises with the property names exactly as written (tests spell snake_case themselves).</summary>
    private static readonly JsonSerializerOptions Exact = new() { PropertyNamingPolicy = null };

    public static Task<ApiResponse> GetJsonAsync(this HttpClient client, string path) =>
        SendAsync(client, new HttpRequestMessage(HttpMethod.Get, path));

    public static Task<ApiResponse> DeleteJsonAsync(this HttpClient client, string path) =>
        SendAsync(client, new HttpRequestMessage(HttpMethod.Delete, path));

    public static Task<ApiResponse> PostJsonAsync(this HttpClient client, string path, object? body = null, string? idempotencyKey = null) =>
        SendJsonAsync(client, HttpMethod.Post, path, body, idempotencyKey);

    public static Task<ApiResponse> PatchJsonAsync(this HttpClient client, string path, object? body) =>
        SendJsonAsync(client, HttpMethod.Patch, path, body, null);

    /// <summary>Sends a raw body with any content type, for malformed-input tests.</summary>
    public static Task<ApiResponse> SendRawAsync(this HttpClient client, HttpMethod method, string path, string? body,
        string contentType = "application/json", IDictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }
        return SendAsync(client, request);
    }

    private static Task<ApiResponse> SendJsonAsync(HttpClient client, HttpMethod method, string path, object? body, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            var json = body as string ?? JsonSerializer.Serialize(body, Exact);
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return SendAsync(client, request);
    }

    public static async Task<ApiResponse> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await client.SendAsync(request);
            var raw = await response.Content.ReadAsStringAsync();
            var body = default(JsonElement);
            if (raw.Length > 0)
            {
                try
                {
                    using var doc = JsonDocument.Parse(raw);
                    body = doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                }
            }
            return new ApiResponse(response.StatusCode, body, response.Headers, raw);
        }
    }
}
