using System.Net;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Hardening;

/// <summary>
/// What the server refuses before a request reaches Patron's code (a malformed request line, headers
/// too many, too large or with invalid characters, a URI too long, a client too slow) is still a 4xx
/// with the error envelope, and the server's limits are the configured ones (docs/CONFIGURATION.md).
/// These answers come before any database is touched, so they run on SQLite only.
/// </summary>
public sealed class ServerLimitsTests
{
    private const string Host = "Host: 127.0.0.1\r\n";

    /// <summary>A request and its answer; <paramref name="Closes"/> when the server itself refuses it and ends the connection.</summary>
    private sealed record Case(string Name, byte[] Request, int Status, bool Closes = true);

    private static Case Text(string name, string request, int status, bool closes = true) =>
        new(name, Encoding.Latin1.GetBytes(request), status, closes);

    [Fact]
    public async Task Requests_refused_at_the_server_level_get_their_4xx_status_and_the_error_envelope()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var manyHeaders = string.Concat(Enumerable.Range(0, 120).Select(i => $"X-H{i}: {i}\r\n"));
        var cases = new List<Case>
        {
            Text("a request line that is not HTTP", "GARBAGE\r\n\r\n", 400),
            Text("a request line without a version", "GET /api/v1/program\r\n\r\n", 400),
            Text("%00 in the path", $"GET /api/v1/customers/%00 HTTP/1.1\r\n{Host}\r\n", 400),
            Text("%00 in the path of a route that needs no key", $"GET /healthz%00 HTTP/1.1\r\n{Host}\r\n", 400),
            new("a raw NUL in the path", [.. "GET /api/v1/\0 HTTP/1.1\r\n"u8.ToArray(), .. Encoding.Latin1.GetBytes(Host), .. "\r\n"u8.ToArray()], 400),
            // The server lets control characters through in header values; Patron refuses them (and keeps the connection).
            Text("a control character in a header value", $"GET /api/v1/program HTTP/1.1\r\n{Host}X-Bad: a\u0001b\r\n\r\n", 400, closes: false),
            Text("a DEL in the Idempotency-Key", $"POST /api/v1/customers HTTP/1.1\r\n{Host}Idempotency-Key: k\u007f\r\nContent-Length: 2\r\n\r\n{{}}", 400, closes: false),
            Text("an escape sequence in a header of a route that needs no key", $"GET /healthz HTTP/1.1\r\n{Host}User-Agent: \u001b[31mred\r\n\r\n", 400, closes: false),
            Text("a space in a header name", $"GET /api/v1/program HTTP/1.1\r\n{Host}Bad Name: x\r\n\r\n", 400),
            Text("a header line without a colon", $"GET /api/v1/program HTTP/1.1\r\n{Host}NoColonHere\r\n\r\n", 400),
            Text("a non-ASCII header value", $"GET /api/v1/program HTTP/1.1\r\n{Host}X-Name: caf\u00e9\r\n\r\n", 400),
            Text("no Host header", "GET /api/v1/program HTTP/1.1\r\n\r\n", 400),
            Text("a Content-Length that is not a number", $"POST /api/v1/customers HTTP/1.1\r\n{Host}Content-Length: ten\r\n\r\n", 400),
            Text("two different Content-Lengths", $"POST /api/v1/customers HTTP/1.1\r\n{Host}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{{}}", 400),
            Text("a header block of 40 KB", $"GET /api/v1/program HTTP/1.1\r\n{Host}X-Big: {new string('a', 40 * 1024)}\r\n\r\n", 431),
            Text("120 headers", $"GET /api/v1/program HTTP/1.1\r\n{Host}{manyHeaders}\r\n", 431),
            Text("a URI of 10 KB", $"GET /api/v1/customers?q={new string('a', 10 * 1024)} HTTP/1.1\r\n{Host}\r\n", 414),
        };

        foreach (var c in cases)
        {
            var answer = await RawHttp.SendAsync(server.BaseAddress, c.Request);
            answer.Status.ShouldBe(c.Status, $"{c.Name}: {answer.Text}");
            answer.Header("Content-Type").ShouldBe("application/json; charset=utf-8", c.Name);
            var error = answer.Error;
            error.GetProperty("type").GetString().ShouldBe("invalid_request_error", c.Name);
            error.GetProperty("code").GetString().ShouldNotBeNullOrEmpty(c.Name);
            error.GetProperty("message").GetString().ShouldNotBeNullOrEmpty(c.Name);
            if (c.Closes)
            {
                answer.Closed.ShouldBeTrue($"{c.Name}: the server closes the connection after refusing the request");
            }
        }
    }

    [Fact]
    public async Task Each_kind_of_server_level_refusal_has_its_own_error_code()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);

        (await RawHttp.SendAsync(server.BaseAddress, "GARBAGE\r\n\r\n")).Error.GetProperty("code").GetString().ShouldBe("malformed_request");
        (await RawHttp.SendAsync(server.BaseAddress, $"GET /{new string('a', 10 * 1024)} HTTP/1.1\r\n{Host}\r\n"))
            .Error.GetProperty("code").GetString().ShouldBe("uri_too_long");
        (await RawHttp.SendAsync(server.BaseAddress, $"GET / HTTP/1.1\r\n{Host}X-Big: {new string('a', 40 * 1024)}\r\n\r\n"))
            .Error.GetProperty("code").GetString().ShouldBe("request_headers_too_large");
        var version = await RawHttp.SendAsync(server.BaseAddress, $"GET /healthz HTTP/1.7\r\n{Host}\r\n");
        version.Status.ShouldBe(505);
        version.Error.GetProperty("code").GetString().ShouldBe("http_version_not_supported");
    }

    [Fact]
    public async Task A_refusal_after_answered_requests_on_the_same_connection_still_gets_the_envelope()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        await using var connection = await RawHttp.ConnectAsync(server.BaseAddress);

        await connection.WriteAsync($"GET /healthz HTTP/1.1\r\n{Host}\r\n");
        var first = await connection.ReadAnswerAsync();
        first.Status.ShouldBe(200);
        first.Text.ShouldBe("""{"status":"ok"}""");

        // An error envelope from Patron itself, a bodiless answer (HEAD), then two pipelined requests
        // of which the second is malformed.
        await connection.WriteAsync($"GET /api/v1/program HTTP/1.1\r\n{Host}X-Bad: \u0001\r\n\r\n");
        var invalid = await connection.ReadAnswerAsync();
        invalid.Status.ShouldBe(400);
        invalid.Error.GetProperty("code").GetString().ShouldBe("invalid_header");
        await connection.WriteAsync($"GET /api/v1/program HTTP/1.1\r\n{Host}\r\n");
        var unauthorized = await connection.ReadAnswerAsync();
        unauthorized.Status.ShouldBe(401);
        unauthorized.Error.GetProperty("code").GetString().ShouldBe("missing_api_key");
        await connection.WriteAsync($"HEAD /healthz HTTP/1.1\r\n{Host}\r\n");
        var head = await connection.ReadAnswerAsync(bodiless: true);
        head.Status.ShouldBe(405);
        head.Body.ShouldBeEmpty();

        await connection.WriteAsync($"GET /healthz HTTP/1.1\r\n{Host}\r\nGET /healthz HTTP/1.1\r\n{Host}NoColonHere\r\n\r\n");
        var fine = await connection.ReadAnswerAsync();
        fine.Status.ShouldBe(200);
        fine.Text.ShouldBe("""{"status":"ok"}""");
        var refused = await connection.ReadAnswerAsync();
        refused.Status.ShouldBe(400);
        refused.Error.GetProperty("code").GetString().ShouldBe("malformed_request");
        refused.Closed.ShouldBeTrue();
    }

    [Fact]
    public async Task Request_headers_sent_too_slowly_are_cut_off_with_408_and_the_envelope()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite,
            settings: new Dictionary<string, string> { ["Patron:Server:RequestHeadersTimeoutSeconds"] = "1" });
        await using var connection = await RawHttp.ConnectAsync(server.BaseAddress);

        await connection.WriteAsync($"GET /healthz HTTP/1.1\r\n{Host}X-Slow: 1\r\n");
        var answer = await connection.ReadAnswerAsync(TimeSpan.FromSeconds(10));

        answer.Status.ShouldBe(408);
        answer.Error.GetProperty("code").GetString().ShouldBe("request_timeout");
        answer.Closed.ShouldBeTrue();
    }

    [Fact]
    public async Task Header_and_request_line_limits_come_from_configuration()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite, settings: new Dictionary<string, string>
        {
            ["Patron:Server:MaxRequestHeaderCount"] = "8",
            ["Patron:Server:MaxRequestHeadersTotalBytes"] = "2048",
            ["Patron:Server:MaxRequestLineBytes"] = "512",
        });
        var eight = string.Concat(Enumerable.Range(0, 7).Select(i => $"X-H{i}: {i}\r\n"));

        (await RawHttp.SendAsync(server.BaseAddress, $"GET /healthz HTTP/1.1\r\n{Host}{eight}\r\n")).Status.ShouldBe(200);
        (await RawHttp.SendAsync(server.BaseAddress, $"GET /healthz HTTP/1.1\r\n{Host}{eight}X-Ninth: 9\r\n\r\n")).Status.ShouldBe(431);
        (await RawHttp.SendAsync(server.BaseAddress, $"GET /healthz HTTP/1.1\r\n{Host}X-Big: {new string('a', 1900)}\r\n\r\n")).Status.ShouldBe(200);
        (await RawHttp.SendAsync(server.BaseAddress, $"GET /healthz HTTP/1.1\r\n{Host}X-Big: {new string('a', 2100)}\r\n\r\n")).Status.ShouldBe(431);
        (await RawHttp.SendAsync(server.BaseAddress, $"GET /healthz?{new string('a', 450)} HTTP/1.1\r\n{Host}\r\n")).Status.ShouldBe(200);
        (await RawHttp.SendAsync(server.BaseAddress, $"GET /healthz?{new string('a', 520)} HTTP/1.1\r\n{Host}\r\n")).Status.ShouldBe(414);
    }

    [Fact]
    public async Task Connections_beyond_the_configured_limit_are_closed_unanswered_until_one_ends()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite,
            settings: new Dictionary<string, string> { ["Patron:Server:MaxConcurrentConnections"] = "2" });
        var first = await RawHttp.ConnectAsync(server.BaseAddress);
        await using var second = await RawHttp.ConnectAsync(server.BaseAddress);
        await first.WriteAsync($"GET /healthz HTTP/1.1\r\n{Host}\r\n");
        (await first.ReadAnswerAsync()).Status.ShouldBe(200);
        await second.WriteAsync($"GET /healthz HTTP/1.1\r\n{Host}\r\n");
        (await second.ReadAnswerAsync()).Status.ShouldBe(200);

        await using (var third = await RawHttp.ConnectAsync(server.BaseAddress))
        {
            await third.WriteAsync($"GET /healthz HTTP/1.1\r\n{Host}\r\n");
            (await third.IsClosedAsync(TimeSpan.FromSeconds(5))).ShouldBeTrue("a third connection is over the limit");
        }

        await first.DisposeAsync();
        var answered = false;
        for (var attempt = 0; attempt < 50 && !answered; attempt++)
        {
            await using var again = await RawHttp.ConnectAsync(server.BaseAddress);
            await again.WriteAsync($"GET /healthz HTTP/1.1\r\n{Host}\r\n");
            try
            {
                answered = (await again.ReadAnswerAsync(TimeSpan.FromSeconds(2))).Status == 200;
            }
            catch (IOException)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
        answered.ShouldBeTrue("a connection is accepted again once one has ended");
    }

    [Fact]
    public async Task The_default_limits_are_the_documented_ones()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var limits = server.App.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;

        limits.MaxConcurrentConnections.ShouldBe(4096);
        limits.MaxConcurrentUpgradedConnections.ShouldBe(0);
        limits.RequestHeadersTimeout.ShouldBe(TimeSpan.FromSeconds(15));
        limits.KeepAliveTimeout.ShouldBe(TimeSpan.FromSeconds(120));
        limits.MinRequestBodyDataRate.ShouldNotBeNull();
        limits.MinRequestBodyDataRate.BytesPerSecond.ShouldBe(240);
        limits.MinRequestBodyDataRate.GracePeriod.ShouldBe(TimeSpan.FromSeconds(5));
        limits.MaxRequestHeaderCount.ShouldBe(64);
        limits.MaxRequestHeadersTotalSize.ShouldBe(16 * 1024);
        limits.MaxRequestLineSize.ShouldBe(8 * 1024);
        limits.MaxRequestBodySize.ShouldBe(RequestBody.MaxBytes);
    }
}
