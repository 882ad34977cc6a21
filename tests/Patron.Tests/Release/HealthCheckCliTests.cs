using System.Net;
using System.Net.Sockets;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Release;

/// <summary>
/// <c>patron healthcheck</c>, the container image's health check: exit 0 when the server answers its
/// readiness URL with 200, 1 when nothing answers.
/// </summary>
public sealed class HealthCheckCliTests
{
    [Theory, DatabaseData]
    public async Task Healthcheck_exits_0_when_the_server_is_ready(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var run = await PatronCliProcess.RunAsync(server.DataDir, ["healthcheck", "--url", new Uri(server.BaseAddress, "/readyz").ToString(), "--timeout", "60"]);

        run.Exit.ShouldBe(0, run.Output);
        run.Stdout.ShouldContain("200");
        run.Stdout.ShouldContain("ready");
    }

    [Fact]
    public async Task Healthcheck_exits_1_when_nothing_answers()
    {
        // A port that was free a moment ago: nothing listens on it.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var dir = PatronServer.NewDataDir();
        try
        {
            var run = await PatronCliProcess.RunAsync(dir, ["healthcheck", "--url", $"http://127.0.0.1:{port}/readyz", "--timeout", "3"]);

            run.Exit.ShouldBe(1, run.Output);
            run.Stderr.ShouldContain($"No answer from http://127.0.0.1:{port}/readyz");
        }
        finally
        {
            PatronServer.DeleteQuietly(dir);
        }
    }

    [Fact]
    public async Task Healthcheck_refuses_a_url_that_is_not_http_with_exit_code_2()
    {
        var dir = PatronServer.NewDataDir();
        try
        {
            var run = await PatronCliProcess.RunAsync(dir, ["healthcheck", "--url", "ftp://example.com/readyz"]);

            run.Exit.ShouldBe(2, run.Output);
            run.Stderr.ShouldContain("--url must be an http or https URL");
        }
        finally
        {
            PatronServer.DeleteQuietly(dir);
        }
    }
}
