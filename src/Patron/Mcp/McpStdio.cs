using System.CommandLine;
using Microsoft.Extensions.Options;
using Patron.Api;
using Patron.Security;
using Patron.Storage;
using Patron.Webhooks;

namespace Patron.Mcp;

/// <summary>
/// <c>patron mcp</c>: the same tools as <c>/mcp</c>, over standard input and output, for a desktop assistant that
/// starts Patron itself (docs/MCP.md). It works on the configured database like the other verbs, beside a
/// running server, as the API key given by <c>--key</c> or <c>PATRON_API_KEY</c>. Standard output carries
/// only the protocol; anything else goes to standard error.
/// </summary>
public static class McpStdio
{
    public const string KeyVariable = "PATRON_API_KEY";

    public static Command Command(Func<IConfiguration> configuration)
    {
        var key = new Option<string>("--key")
        {
            Description = $"The API key the tools act as (its program and scope). Default: the {KeyVariable} environment variable.",
        };
        var command = new Command("mcp", "Serve the MCP tools over standard input and output, for desktop AI assistants.")
        {
            key,
            new Option<string>("--data") { Description = "Folder of the SQLite database (default ./patron-data)." },
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancel) => RunAsync(configuration(), parse.GetValue(key), cancel));
        return command;
    }

    private static async Task<int> RunAsync(IConfiguration configuration, string? key, CancellationToken cancel)
    {
        var secret = string.IsNullOrWhiteSpace(key) ? Environment.GetEnvironmentVariable(KeyVariable) : key;
        if (string.IsNullOrWhiteSpace(secret))
        {
            await Console.Error.WriteLineAsync($"No API key: pass --key <secret> or set {KeyVariable}.");
            return 2;
        }

        using var database = Database.FromConfiguration(configuration);
        await Migrator.MigrateAsync(database);
        // A long-lived reader, like serve: the planner's statistics before its first read.
        await Migrator.AnalyzeAsync(database);
        var clock = TimeProvider.System;
        Caller caller;
        try
        {
            caller = await new ApiKeyService(database, clock).AuthenticateAsync(secret.Trim());
        }
        catch (ApiException e)
        {
            await Console.Error.WriteLineAsync($"The API key was refused ({e.Code}): {e.Message}");
            return 2;
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Configuration = new ConfigurationManager() });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        var services = builder.Services;
        services.AddSingleton(database);
        services.AddSingleton(clock);
        services.AddSingleton<IWritePath>(new TransactionPerOperationWritePath(database, clock));
        services.AddSingleton(Options.Create(configuration.GetSection("Patron").Get<PatronOptions>() ?? new PatronOptions()));
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<StoredAnswers>();
        services.AddSingleton<IMcpCaller>(new FixedMcpCaller(caller));
        services.AddMcpServer(PatronTools.Configure)
            .WithStdioServerTransport()
            .WithTools<PatronTools>();
        using var host = builder.Build();
        await host.RunAsync(cancel);
        return 0;
    }
}
