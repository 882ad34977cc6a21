using System.Diagnostics;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Release;

/// <summary>
/// The repository's Dockerfile builds an image whose health check passes, that runs as a non-root
/// user and keeps its database in the /data volume (docs/OPERATIONS.md). Needs a Docker daemon and
/// access to the base images and NuGet; skipped, saying so, where <c>docker info</c> does not answer.
/// </summary>
public sealed class ContainerImageTests
{
    private const string NoDocker = "Docker is not available here (`docker info` found no daemon): the container image was not built.";

    public static bool DockerIsAvailable => Docker.Available.Value;

    [Fact(Skip = NoDocker, SkipUnless = nameof(DockerIsAvailable))]
    public async Task The_image_builds_and_its_health_check_passes_running_as_a_non_root_user()
    {
        var cancel = TestContext.Current.CancellationToken;
        var tag = "patron-test:" + Guid.NewGuid().ToString("N")[..12];
        var container = "patron-test-" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            var build = await Docker.RunAsync(["build", "-t", tag, "."], TimeSpan.FromMinutes(20), cancel);
            build.Exit.ShouldBe(0, build.Output);

            var run = await Docker.RunAsync(["run", "-d", "--name", container, "-p", "127.0.0.1::8080",
                "-e", "Patron__Bootstrap__AdminKey=sk_container_test_key_0123456789", tag], TimeSpan.FromMinutes(1), cancel);
            run.Exit.ShouldBe(0, run.Output);

            var status = "";
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (DateTime.UtcNow < deadline && status is not ("healthy" or "unhealthy"))
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancel);
                status = (await Docker.RunAsync(["inspect", "--format", "{{.State.Health.Status}}", container], TimeSpan.FromSeconds(30), cancel)).Stdout.Trim();
            }
            var logs = await Docker.RunAsync(["logs", container], TimeSpan.FromSeconds(30), cancel);
            status.ShouldBe("healthy", logs.Output);

            // Reachable through the published port, with the key given at first start.
            var port = (await Docker.RunAsync(["port", container, "8080/tcp"], TimeSpan.FromSeconds(30), cancel)).Stdout.Trim().Split(':')[^1];
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            (await http.GetAsync("/readyz", cancel)).IsSuccessStatusCode.ShouldBeTrue();
            http.DefaultRequestHeaders.Authorization = new("Bearer", "sk_container_test_key_0123456789");
            (await http.GetAsync("/api/v1/program", cancel)).IsSuccessStatusCode.ShouldBeTrue();

            var uid = await Docker.RunAsync(["exec", container, "id", "-u"], TimeSpan.FromSeconds(30), cancel);
            uid.Stdout.Trim().ShouldNotBe("0", "the server runs as a non-root user");
            var data = await Docker.RunAsync(["exec", container, "ls", "/data"], TimeSpan.FromSeconds(30), cancel);
            data.Stdout.ShouldContain("patron.db");
            data.Stdout.ShouldContain("webhook-secrets.key");
        }
        finally
        {
            await Docker.RunAsync(["rm", "-f", "-v", container], TimeSpan.FromMinutes(1), CancellationToken.None);
            await Docker.RunAsync(["rmi", "-f", tag], TimeSpan.FromMinutes(1), CancellationToken.None);
        }
    }

    private sealed record Result(int Exit, string Stdout, string Stderr)
    {
        public string Output => $"[stdout]\n{Stdout}\n[stderr]\n{Stderr}";
    }

    private static class Docker
    {
        public static readonly Lazy<bool> Available = new(() =>
        {
            try
            {
                return RunAsync(["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(20), CancellationToken.None)
                    .GetAwaiter().GetResult().Exit == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false; // no docker executable
            }
        });

        public static async Task<Result> RunAsync(string[] args, TimeSpan timeout, CancellationToken cancel)
        {
            var start = new ProcessStartInfo("docker")
            {
                WorkingDirectory = Repository.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(cancel);
            var stderr = process.StandardError.ReadToEndAsync(cancel);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            limit.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"docker {string.Join(' ', args)} did not finish within {timeout}.");
            }
            return new Result(process.ExitCode, await stdout, await stderr);
        }
    }
}
