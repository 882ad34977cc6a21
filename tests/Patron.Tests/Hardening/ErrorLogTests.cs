using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Hardening;

/// <summary>
/// No personal data in logs (docs/SECURITY.md): a path can name a customer by email or phone, so an
/// unexpected error is logged with its route, not its path.
/// </summary>
public sealed class ErrorLogTests
{
    [Theory, DatabaseData]
    public async Task An_unexpected_error_is_logged_with_its_route_and_not_the_email_in_its_path(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var logs = new CapturingLoggerProvider();
        server.App.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        var path = "/api/v1/customers/ada.lovelace@example.com/points_transactions";
        (await server.Client.PostJsonAsync("/api/v1/customers", new { email = "ada.lovelace@example.com" })).Code.ShouldBe(201);
        (await server.Client.PostJsonAsync(path, new { points = 5 }, idempotencyKey: "earn-1")).Code.ShouldBe(201);

        // A stored answer damaged in the database cannot be replayed: an error on Patron's side.
        await server.WritePath.RunAsync(context => context.Sql.ExecuteAsync(
            "UPDATE idempotency_keys SET response = @b", ("b", "pa1:00000000:\nnot what was stored at all"u8.ToArray())));
        var failed = await server.Client.PostJsonAsync(path, new { points = 5 }, idempotencyKey: "earn-1");

        failed.Code.ShouldBe(500);
        failed.ErrorCode.ShouldBe("internal_error");
        var logged = logs.Messages.Where(m => m.Level == LogLevel.Error).Select(m => m.Text).ToList();
        logged.ShouldContain(m => m.Contains("POST /api/v1/customers/{reference}/points_transactions", StringComparison.Ordinal));
        logs.Messages.ShouldNotContain(m => m.Text.Contains("lovelace", StringComparison.Ordinal));
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Text)> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                provider.Messages.Enqueue((logLevel, formatter(state, exception) + " " + exception));
        }
    }
}
