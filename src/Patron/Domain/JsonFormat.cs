using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Patron.Domain;

/// <summary>
/// Patron's JSON (docs/API.md, Conventions): snake_case, nulls written, timestamps as ISO-8601 UTC with
/// milliseconds. The native API answers with it, and the core stores event data and stored answers with
/// it, so both read the same.
/// </summary>
public static class JsonFormat
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        // Answers are always application/json, never embedded in HTML: keep '+' and quotes readable.
        o.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        o.DictionaryKeyPolicy = null;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        o.NumberHandling = JsonNumberHandling.Strict;
        o.AllowTrailingCommas = false;
        o.Converters.Add(new TimestampConverter());
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return o;
    }

    public static string Timestamp(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private sealed class TimestampConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && DateTimeOffset.TryParse(
                reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
                ? value.ToUniversalTime()
                : throw new JsonException("Expected an ISO-8601 timestamp.");

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Timestamp(value));
    }
}
