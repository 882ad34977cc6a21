using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Patron.Tests.Hardening;

/// <summary>One HTTP/1.1 answer read off a socket: status, headers and body, exactly as they came.</summary>
public sealed record RawAnswer(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body, bool Closed)
{
    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The error envelope's <c>error</c> object; fails when the body is not one.</summary>
    public JsonElement Error
    {
        get
        {
            using var doc = JsonDocument.Parse(Body);
            return doc.RootElement.GetProperty("error").Clone();
        }
    }

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// Requests written byte for byte on a TCP connection, for what an HTTP client library refuses to send:
/// malformed request lines, oversized or invalid headers, slow or half-sent requests.
/// </summary>
public sealed class RawHttp : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly List<byte> _pending = [];

    private RawHttp(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawHttp> ConnectAsync(Uri server, IPAddress? from = null)
    {
        var client = from is null ? new TcpClient(AddressFamily.InterNetwork) : new TcpClient(new IPEndPoint(from, 0));
        await client.ConnectAsync(IPAddress.Parse(server.Host), server.Port);
        return new RawHttp(client);
    }

    /// <summary>Opens a connection, sends <paramref name="request"/> and reads one answer.</summary>
    public static async Task<RawAnswer> SendAsync(Uri server, byte[] request)
    {
        await using var connection = await ConnectAsync(server);
        await connection.WriteAsync(request);
        return await connection.ReadAnswerAsync();
    }

    public static Task<RawAnswer> SendAsync(Uri server, string request) => SendAsync(server, Encoding.Latin1.GetBytes(request));

    public async Task WriteAsync(byte[] bytes)
    {
        try
        {
            await _stream.WriteAsync(bytes);
        }
        catch (IOException)
        {
            // The server may answer and close before it has read everything (a header block too large):
            // the answer is still there to read.
        }
    }

    public Task WriteAsync(string text) => WriteAsync(Encoding.Latin1.GetBytes(text));

    /// <summary>
    /// Reads one answer: the head, then Content-Length bytes of body, the chunks of a chunked body, or
    /// all until the server closes; <paramref name="bodiless"/> for the answer to a HEAD.
    /// </summary>
    public async Task<RawAnswer> ReadAnswerAsync(TimeSpan? timeout = null, bool bodiless = false)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var closed = false;
        int headEnd;
        while ((headEnd = IndexOf(_pending, "\r\n\r\n"u8)) < 0)
        {
            if (!await FillAsync(cts.Token))
            {
                throw new IOException($"The connection closed before a complete answer: '{Encoding.Latin1.GetString([.. _pending])}'.");
            }
        }
        var head = Encoding.Latin1.GetString([.. _pending.Take(headEnd)]).Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in head.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }
        _pending.RemoveRange(0, headEnd + 4);

        byte[] body;
        if (bodiless)
        {
            body = [];
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var coding) && coding.Equals("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var chunks = new List<byte>();
            while (true)
            {
                int lineEnd;
                while ((lineEnd = IndexOf(_pending, "\r\n"u8)) < 0)
                {
                    if (!await FillAsync(cts.Token))
                    {
                        throw new IOException("The connection closed inside a chunked body.");
                    }
                }
                var size = Convert.ToInt32(Encoding.Latin1.GetString([.. _pending.Take(lineEnd)]).Split(';')[0], 16);
                while (_pending.Count < lineEnd + 2 + size + 2)
                {
                    if (!await FillAsync(cts.Token))
                    {
                        throw new IOException("The connection closed inside a chunk.");
                    }
                }
                chunks.AddRange(_pending.Skip(lineEnd + 2).Take(size));
                _pending.RemoveRange(0, lineEnd + 2 + size + 2);
                if (size == 0)
                {
                    break;
                }
            }
            body = [.. chunks];
        }
        else if (headers.TryGetValue("Content-Length", out var length))
        {
            var n = int.Parse(length, System.Globalization.CultureInfo.InvariantCulture);
            while (_pending.Count < n)
            {
                if (!await FillAsync(cts.Token))
                {
                    throw new IOException($"The connection closed after {_pending.Count} of {n} body bytes.");
                }
            }
            body = [.. _pending.Take(n)];
            _pending.RemoveRange(0, n);
        }
        else
        {
            while (await FillAsync(cts.Token))
            {
            }
            body = [.. _pending];
            _pending.Clear();
        }
        if (headers.TryGetValue("Connection", out var connection) && connection.Equals("close", StringComparison.OrdinalIgnoreCase))
        {
            closed = await IsClosedAsync(TimeSpan.FromSeconds(5));
        }
        return new RawAnswer(status, headers, body, closed);
    }

    /// <summary>Whether the server closes this connection within <paramref name="within"/> (without sending anything more).</summary>
    public async Task<bool> IsClosedAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            var before = _pending.Count;
            var more = await FillAsync(cts.Token);
            return !more && _pending.Count == before;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int read;
        try
        {
            read = await _stream.ReadAsync(buffer, ct);
        }
        catch (IOException)
        {
            return false;
        }
        _pending.AddRange(buffer.AsSpan(0, read));
        return read > 0;
    }

    private static int IndexOf(List<byte> bytes, ReadOnlySpan<byte> value) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes).IndexOf(value);

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
