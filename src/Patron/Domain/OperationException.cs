namespace Patron.Domain;

/// <summary>What kind of failure an operation reports; each front door maps a kind to its own shape.</summary>
public enum ErrorKind
{
    /// <summary>A required input is absent.</summary>
    Missing,

    /// <summary>An input is present but not acceptable (wrong form, out of bounds).</summary>
    Invalid,

    /// <summary>The inputs are well formed but the operation cannot be done (a named business rule).</summary>
    Unprocessable,

    /// <summary>The thing named does not exist in the caller's program.</summary>
    NotFound,

    /// <summary>The current state of the thing forbids the change (already used, cancelled, ...).</summary>
    Conflict,

    /// <summary>The caller may not do this.</summary>
    Forbidden,

    /// <summary>The credential the caller acts with is no longer valid (an API key revoked since it was checked).</summary>
    Unauthorized,
}

/// <summary>
/// A failure raised by a business operation: a kind, a stable machine code, a sentence for people,
/// and the input it concerns. No HTTP in here: the native API renders it as its error envelope
/// (docs/API.md, "Errors"), other front doors in their own way.
/// </summary>
public sealed class OperationException(ErrorKind kind, string code, string message, string? param = null) : Exception(message)
{
    public ErrorKind Kind { get; } = kind;
    public string Code { get; } = code;
    public string? Param { get; } = param;

    public static OperationException Missing(string param) =>
        new(ErrorKind.Missing, "parameter_missing", $"Missing required parameter: {param}.", param);

    public static OperationException Invalid(string param, string message) =>
        new(ErrorKind.Invalid, "parameter_invalid", message, param);

    public static OperationException Unprocessable(string code, string message, string? param = null) =>
        new(ErrorKind.Unprocessable, code, message, param);

    public static OperationException NotFound(string what, string id) =>
        new(ErrorKind.NotFound, "resource_missing", $"No such {what}: '{id}'.");

    public static OperationException Conflict(string code, string message, string? param = null) =>
        new(ErrorKind.Conflict, code, message, param);

    public static OperationException Forbidden(string code, string message) =>
        new(ErrorKind.Forbidden, code, message);

    public static OperationException Unauthorized(string code, string message) =>
        new(ErrorKind.Unauthorized, code, message);
}
