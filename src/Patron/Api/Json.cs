using System.Text.Json;
using Patron.Domain;

namespace Patron.Api;

/// <summary>The native API's JSON: the core's <see cref="JsonFormat"/> (docs/API.md, Conventions).</summary>
public static class PatronJson
{
    /// <summary>snake_case, nulls written, timestamps as ISO-8601 UTC with milliseconds (docs/API.md).</summary>
    public static readonly JsonSerializerOptions Options = JsonFormat.Options;

    public static JsonSerializerOptions Configure(JsonSerializerOptions o) => JsonFormat.Configure(o);

    public static string Timestamp(DateTimeOffset t) => JsonFormat.Timestamp(t);

    public static DateTimeOffset FromMs(long ms) => Time.FromMs(ms);
}
