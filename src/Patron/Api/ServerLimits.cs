using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// The HTTP server's limits (<c>Patron:Server</c>, docs/CONFIGURATION.md), and the error envelope on
/// what the server refuses by itself.
/// </summary>
/// <remarks>
/// Kestrel refuses a malformed request line, invalid, too many or too large headers, a URI too long
/// or headers sent too slowly while it parses them, before any middleware runs, and answers with an
/// empty body; ASP.NET Core has no hook for that answer (<c>IBadRequestExceptionFeature</c> and
/// status-code pages only see requests that reached the application). So a connection middleware
/// watches what the connection writes while no request of it is inside the application: Kestrel's own
/// answer (an HTTP/1.x error status, <c>Content-Length: 0</c>, nothing after the head) is given the
/// error envelope as its body; everything else passes unchanged. While a request is in the
/// application, writes pass straight through.
/// </remarks>
public static class ServerLimits
{
    private static readonly object StateKey = new();

    /// <summary>Applies the limits and the envelope for refused requests to Kestrel's options.</summary>
    public static void Apply(KestrelServerOptions kestrel, ServerLimitOptions options)
    {
        var limits = kestrel.Limits;
        limits.MaxConcurrentConnections = options.MaxConcurrentConnections switch
        {
            0 => null,
            > 0 and var n => n,
            _ => throw Invalid(nameof(options.MaxConcurrentConnections), "0 (no limit) or more"),
        };
        limits.MaxConcurrentUpgradedConnections = options.MaxConcurrentUpgradedConnections >= 0
            ? options.MaxConcurrentUpgradedConnections
            : throw Invalid(nameof(options.MaxConcurrentUpgradedConnections), "0 or more");
        limits.RequestHeadersTimeout = Seconds(nameof(options.RequestHeadersTimeoutSeconds), options.RequestHeadersTimeoutSeconds);
        limits.KeepAliveTimeout = Seconds(nameof(options.KeepAliveTimeoutSeconds), options.KeepAliveTimeoutSeconds);
        limits.MinRequestBodyDataRate = options.MinRequestBodyBytesPerSecond switch
        {
            0 => null,
            > 0 when options.MinRequestBodyGraceSeconds > 1 =>
                new MinDataRate(options.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(options.MinRequestBodyGraceSeconds)),
            > 0 => throw Invalid(nameof(options.MinRequestBodyGraceSeconds), "more than 1"),
            _ => throw Invalid(nameof(options.MinRequestBodyBytesPerSecond), "0 (no minimum) or more"),
        };
        limits.MaxRequestHeaderCount = Positive(nameof(options.MaxRequestHeaderCount), options.MaxRequestHeaderCount);
        limits.MaxRequestHeadersTotalSize = Positive(nameof(options.MaxRequestHeadersTotalBytes), options.MaxRequestHeadersTotalBytes);
        limits.MaxRequestLineSize = Positive(nameof(options.MaxRequestLineBytes), options.MaxRequestLineBytes);
        limits.MaxRequestBodySize = RequestBody.MaxBytes;

        var answers = new RefusalAnswers(options);
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection =>
        {
            var state = new ConnectionState();
            connection.Items[StateKey] = state;
            var transport = connection.Transport;
            connection.Transport = new DuplexPipe(transport.Input, new RefusalWriter(transport.Output, state, answers));
            return next(connection);
        }));
    }

    /// <summary>The first middleware: marks the connection's request as being inside the application until it completes.</summary>
    public static RequestDelegate MarkInApplication(RequestDelegate next) => http =>
    {
        if (http.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(StateKey, out var value) == true
            && value is ConnectionState state)
        {
            state.Enter();
            http.Response.OnCompleted(static s =>
            {
                ((ConnectionState)s).Leave();
                return Task.CompletedTask;
            }, state);
        }
        return next(http);
    };

    /// <summary>
    /// Refuses header values with control characters (other than tab), which HTTP does not allow in a
    /// field value and the server lets through: 400 <c>invalid_header</c>. Runs inside the error handling.
    /// </summary>
    public static RequestDelegate RejectControlCharactersInHeaders(RequestDelegate next) => http =>
    {
        foreach (var (name, values) in http.Request.Headers)
        {
            foreach (var value in values)
            {
                if (value is not null && value.AsSpan().ContainsAny(ControlCharacters))
                {
                    throw new ApiException(400, "invalid_request_error", "invalid_header",
                        $"The {name} header contains a control character.");
                }
            }
        }
        return next(http);
    };

    private static readonly SearchValues<char> ControlCharacters = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000a\u000b\u000c\u000d\u000e\u000f" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f");

    private static TimeSpan Seconds(string name, int value) =>
        value > 0 ? TimeSpan.FromSeconds(value) : throw Invalid(name, "1 or more");

    private static int Positive(string name, int value) => value > 0 ? value : throw Invalid(name, "1 or more");

    private static InvalidOperationException Invalid(string name, string allowed) =>
        new($"Patron:Server:{name} must be {allowed}.");

    private sealed class ConnectionState
    {
        private int _inApplication;

        public bool InApplication => Volatile.Read(ref _inApplication) > 0;

        public void Enter() => Interlocked.Increment(ref _inApplication);

        public void Leave() => Interlocked.Decrement(ref _inApplication);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>The envelope for each status Kestrel answers by itself, made once.</summary>
    private sealed class RefusalAnswers(ServerLimitOptions options)
    {
        private readonly ConcurrentDictionary<int, byte[]> _bodies = new();

        public byte[] For(int status) => _bodies.GetOrAdd(status, s =>
        {
            var (code, message) = s switch
            {
                400 => ("malformed_request", "The request could not be read: its request line, a header or its framing is malformed."),
                405 => ("method_not_allowed", "This method is not allowed here."),
                408 => ("request_timeout", "The request did not arrive in time."),
                411 => ("length_required", "This request needs a Content-Length."),
                413 => ("request_too_large", $"Request bodies are limited to {RequestBody.MaxBytes} bytes."),
                414 => ("uri_too_long", $"Request lines (method, path and query) are limited to {options.MaxRequestLineBytes} bytes."),
                431 => ("request_headers_too_large",
                    $"Requests are limited to {options.MaxRequestHeaderCount} headers and {options.MaxRequestHeadersTotalBytes} bytes of headers."),
                505 => ("http_version_not_supported", "Only HTTP/1.0, HTTP/1.1 and HTTP/2 are supported."),
                _ => ("http_" + s.ToString(CultureInfo.InvariantCulture), "The request was refused."),
            };
            var type = s is >= 500 and not 505 ? "api_error" : "invalid_request_error";
            return JsonSerializer.SerializeToUtf8Bytes(new ErrorEnvelope(new ErrorBody(type, code, message, null)), PatronJson.Options);
        });
    }

    /// <summary>
    /// The connection's output. Writes made while a request is inside the application go straight to
    /// the transport; others are held until the flush, and Kestrel's bodiless error answer among them
    /// is given its envelope.
    /// </summary>
    private sealed class RefusalWriter(PipeWriter inner, ConnectionState state, RefusalAnswers answers) : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _held = new(256);
        private bool _holding;

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes + _held.WrittenCount;

        public override Memory<byte> GetMemory(int sizeHint = 0) => Holding() ? _held.GetMemory(sizeHint) : inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => Holding() ? _held.GetSpan(sizeHint) : inner.GetSpan(sizeHint);

        public override void Advance(int bytes)
        {
            if (_holding)
            {
                _held.Advance(bytes);
            }
            else
            {
                inner.Advance(bytes);
            }
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Release();
            return inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Release();
            inner.Complete(exception);
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            Release();
            return inner.CompleteAsync(exception);
        }

        /// <summary>Decided at the first write after a flush, kept until the next flush.</summary>
        private bool Holding()
        {
            if (!_holding && _held.WrittenCount == 0 && !state.InApplication)
            {
                _holding = true;
            }
            return _holding;
        }

        private void Release()
        {
            if (!_holding)
            {
                return;
            }
            _holding = false;
            var written = _held.WrittenSpan;
            if (written.Length > 0)
            {
                if (BodilessError(written) is { } status)
                {
                    WithBody(written, answers.For(status));
                }
                else
                {
                    inner.Write(written);
                }
            }
            _held.Clear();
        }

        /// <summary>The status of an HTTP/1.x error answer with <c>Content-Length: 0</c> and nothing after its head, or null.</summary>
        private static int? BodilessError(ReadOnlySpan<byte> written)
        {
            if (!(written.StartsWith("HTTP/1.1 "u8) || written.StartsWith("HTTP/1.0 "u8)) || written.Length < 12
                || !int.TryParse(written.Slice(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status < 400
                || written.IndexOf("\r\n\r\n"u8) != written.Length - 4)
            {
                return null;
            }
            return Encoding.Latin1.GetString(written).Contains("\r\nContent-Length: 0\r\n", StringComparison.OrdinalIgnoreCase)
                ? status
                : null;
        }

        /// <summary>The same head with the envelope's Content-Type and Content-Length, then the envelope.</summary>
        private void WithBody(ReadOnlySpan<byte> head, byte[] body)
        {
            var lines = Encoding.Latin1.GetString(head[..^4]).Split("\r\n");
            var text = new StringBuilder(head.Length + 80);
            text.Append(lines[0]).Append("\r\n");
            foreach (var line in lines.Skip(1))
            {
                if (!line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                {
                    text.Append(line).Append("\r\n");
                }
            }
            text.Append("Content-Type: application/json; charset=utf-8\r\n")
                .Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
            inner.Write(Encoding.Latin1.GetBytes(text.ToString()));
            inner.Write(body);
        }
    }
}
