using System.Text.Json;
using System.Text.Json.Serialization;

namespace Patron.Client;

/// <summary>The JSON conventions of Patron's API: snake_case names, and absent (not null) fields for "leave as it is".</summary>
public static class PatronJson
{
    /// <summary>The options the client reads and writes with; use them to parse Patron's JSON yourself.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.Strict,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
