using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Patron.Api;

/// <summary>
/// Every failure leaves as the error envelope (docs/API.md): our own <see cref="ApiException"/>s, the
/// framework's bad requests, unknown routes and methods, and anything unexpected (as a 500 that
/// names no internals).
/// </summary>
public sealed class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        catch (ApiException e)
        {
            await WriteAsync(http, e);
        }
        catch (Patron.Domain.OperationException e)
        {
            await WriteAsync(http, ApiException.From(e));
        }
        catch (BadHttpRequestException e)
        {
            await WriteAsync(http, e.StatusCode == 413
                ? new ApiException(413, "invalid_request_error", "request_too_large", $"Request bodies are limited to {RequestBody.MaxBytes} bytes.")
                : new ApiException(e.StatusCode is >= 400 and < 500 ? e.StatusCode : 400, "invalid_request_error", "bad_request", "The request could not be read."));
        }
        catch (Exception e) when (Storage.Database.IsUnavailable(e))
        {
            logger.LogWarning("The database could not serve {Method} {Route}: {Error}", http.Request.Method,
                (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)", e.GetType().Name);
            await WriteAsync(http, new ApiException(503, "api_error", "database_unavailable",
                "The database is busy or unreachable; nothing was written. Retry after the given seconds.")
            { RetryAfter = 1 });
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception e)
        {
            // The route, not the path: a path can name a customer by email or phone (no personal data in logs).
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
            logger.LogError(e, "Unhandled error on {Method} {Route}", http.Request.Method, route);
            await WriteAsync(http, new ApiException(500, "api_error", "internal_error", "Something went wrong on Patron's side."));
        }
    }

    public static async Task WriteAsync(HttpContext http, ApiException e)
    {
        if (http.Response.HasStarted)
        {
            return;
        }
        http.Response.StatusCode = e.Status;
        if (e.RetryAfter is { } retry)
        {
            http.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (Dialects.Dialect.For(http) is { } dialect)
        {
            await dialect.WriteErrorAsync(http, e);
            return;
        }
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = new ErrorEnvelope(new ErrorBody(e.Type, e.Code, e.Message, e.Param, e.RetryAfter, Observability.RequestIds.Of(http)));
        await JsonSerializer.SerializeAsync(http.Response.Body, body, PatronJson.Options);
    }

    /// <summary>Routing's own 404 and 405 (no body) become envelopes too.</summary>
    public static Task StatusCodePage(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var e = http.Response.StatusCode switch
        {
            404 => new ApiException(404, "not_found_error", "route_not_found", $"No route {http.Request.Method} {http.Request.Path}."),
            405 => new ApiException(405, "invalid_request_error", "method_not_allowed", $"{http.Request.Method} is not allowed on {http.Request.Path}."),
            415 => new ApiException(415, "invalid_request_error", "unsupported_media_type", "Request bodies must be JSON, sent with Content-Type: application/json."),
            var s => new ApiException(s, s >= 500 ? "api_error" : "invalid_request_error", "http_" + s, "The request failed."),
        };
        return WriteAsync(http, e);
    }
}
