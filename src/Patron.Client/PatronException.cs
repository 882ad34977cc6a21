using System.Net;

namespace Patron.Client;

/// <summary>
/// An error answer from Patron, carrying its error envelope
/// (<c>{"error":{"type","code","message","param"}}</c>), or a failure to reach Patron at all
/// (then <see cref="StatusCode"/> is null and <see cref="Exception.InnerException"/> says why).
/// </summary>
public class PatronException : Exception
{
    public PatronException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    public PatronException(
        HttpStatusCode statusCode, string? type, string? code, string message, string? param, string? requestId, int? retryAfter)
        : base(message)
    {
        StatusCode = statusCode;
        Type = type;
        Code = code;
        Param = param;
        RequestId = requestId;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status of the answer; null when no answer arrived.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The envelope's <c>type</c>: <c>invalid_request_error</c>, <c>authentication_error</c>, <c>rate_limit_error</c>, ...</summary>
    public string? Type { get; }

    /// <summary>The envelope's <c>code</c>: <c>parameter_invalid</c>, <c>insufficient_points</c>, <c>resource_missing</c>, ...</summary>
    public string? Code { get; }

    /// <summary>The request parameter the error is about, when there is one (<c>points</c>, <c>email</c>, ...).</summary>
    public string? Param { get; }

    /// <summary>The <c>Request-Id</c> of the answer (header or envelope), when Patron sent one.</summary>
    public string? RequestId { get; }

    /// <summary>Seconds to wait before trying again (429 and 503 answers).</summary>
    public int? RetryAfter { get; }
}
