using System.Text.Json.Serialization;
using Patron.Domain;

namespace Patron.Api;

/// <summary>A failure with its place in the error envelope (docs/API.md) (docs/API.md).</summary>
public sealed class ApiException(int status, string type, string code, string message, string? param = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string Code { get; } = code;
    public string? Param { get; } = param;
    public int? RetryAfter { get; init; }

    public static ApiException Malformed(string message, string code = "invalid_json") =>
        new(400, "invalid_request_error", code, message);

    public static ApiException Missing(string param) =>
        new(422, "invalid_request_error", "parameter_missing", $"Missing required parameter: {param}.", param);

    /// <summary>A body field or query parameter the operation does not take (a typo is never a silent no-op).</summary>
    public static ApiException UnknownParameter(string param) =>
        new(400, "invalid_request_error", "parameter_unknown", $"Received unknown parameter: {param}.", param);

    public static ApiException Invalid(string param, string message) =>
        new(422, "invalid_request_error", "parameter_invalid", message, param);

    public static ApiException Unprocessable(string code, string message, string? param = null) =>
        new(422, "invalid_request_error", code, message, param);

    public static ApiException NotFound(string what, string id) =>
        new(404, "not_found_error", "resource_missing", $"No such {what}: '{id}'.", null);

    public static ApiException Conflict(string code, string message, string? param = null) =>
        new(409, "conflict_error", code, message, param);

    public static ApiException Forbidden(string code, string message) =>
        new(403, "permission_error", code, message);

    /// <summary>An operation's typed failure as the native API answers it; the envelope is unchanged.</summary>
    public static ApiException From(OperationException e) => e.Kind switch
    {
        ErrorKind.NotFound => new(404, "not_found_error", e.Code, e.Message, e.Param),
        ErrorKind.Conflict => new(409, "conflict_error", e.Code, e.Message, e.Param),
        ErrorKind.Forbidden => new(403, "permission_error", e.Code, e.Message, e.Param),
        ErrorKind.Unauthorized => new(401, "authentication_error", e.Code, e.Message, e.Param),
        _ => new(422, "invalid_request_error", e.Code, e.Message, e.Param),
    };

    public static ApiException Unauthorized(string code, string message) =>
        new(401, "authentication_error", code, message);
}

public sealed record ErrorBody(
    string Type,
    string Code,
    string Message,
    string? Param,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RetryAfter = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RequestId = null);

public sealed record ErrorEnvelope(ErrorBody Error);
