using System.Diagnostics;
using Patron.Api;

namespace Patron.Observability;

/// <summary>
/// Each request's id (docs/CONFIGURATION.md, "Observability"): the caller's own <c>Request-Id</c> when it
/// is well formed (1–64 letters, digits, <c>. _ - :</c>), otherwise a new <c>req_</c> id. It is answered
/// in the <c>Request-Id</c> header, in an error's <c>request_id</c>, and in the request's log line.
/// </summary>
public static class RequestIds
{
    public const string Header = "Request-Id";
    public const int MaxLength = 64;
    private const string Item = "patron.request_id";

    /// <summary>This request's id, or null outside <see cref="RequestTrackingMiddleware"/>.</summary>
    public static string? Of(HttpContext http) => http.Items.TryGetValue(Item, out var id) ? id as string : null;

    public static bool IsWellFormed(string value) =>
        value.Length is > 0 and <= MaxLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':');

    internal static string Assign(HttpContext http)
    {
        var given = http.Request.Headers[Header];
        var id = given.Count == 1 && given[0] is { } value && IsWellFormed(value) ? value : "req_" + Patron.Domain.Ids.Token(20);
        http.Items[Item] = id;
        http.Response.Headers[Header] = id;
        return id;
    }
}

/// <summary>
/// Outermost middleware: gives the request its id, times it, counts it per route for <c>/metrics</c>,
/// and writes one log line: method, route (never the path, which can hold an email), status, duration,
/// request id and program id. Never a key: the program id is the only thing logged about the caller.
/// </summary>
public sealed partial class RequestTrackingMiddleware(RequestDelegate next, PatronMetrics metrics, ILoggerFactory loggers)
{
    /// <summary>The log category of the request lines: <c>Logging:LogLevel:Patron.Requests=Warning</c> silences them.</summary>
    public const string Category = "Patron.Requests";

    private readonly ILogger _logger = loggers.CreateLogger(Category);

    public async Task InvokeAsync(HttpContext http)
    {
        var start = Stopwatch.GetTimestamp();
        var id = RequestIds.Assign(http);
        try
        {
            await next(http);
        }
        finally
        {
            var elapsed = Stopwatch.GetTimestamp() - start;
            // A group's "/" route reads "/api/v1/customers/": named as the API documents it, without the slash.
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } pattern
                ? (pattern.Length > 1 ? pattern.TrimEnd('/') : pattern)
                : "(unmatched)";
            var status = http.Response.StatusCode;
            metrics.Record(http.Request.Method, route, status, elapsed);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                var program = http.Items.Values.OfType<Caller>().FirstOrDefault()?.ProgramId;
                var durationMs = Math.Round(elapsed * 1000.0 / Stopwatch.Frequency, 3);
                Answered(_logger, http.Request.Method, route, status, durationMs, id, program);
            }
        }
    }

    [LoggerMessage(EventId = 1, EventName = "RequestAnswered", Level = LogLevel.Information,
        Message = "{Method} {Route} answered {Status} in {DurationMs} ms (request {RequestId}, program {ProgramId})")]
    private static partial void Answered(ILogger logger, string method, string route, int status, double durationMs, string requestId, string? programId);
}
