using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Patron.Api;
using Patron.Dashboard;
using Patron.Dialects;
using Patron.Jobs;
using Patron.Mcp;
using Patron.Observability;
using Patron.Operations.Programs;
using Patron.Storage;

namespace Patron;

/// <summary>Builds the Patron web server: services, middleware and one endpoint group per resource.</summary>
public static class PatronApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Command-line switches that map onto configuration keys (docs/CONFIGURATION.md).</summary>
    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--data"] = "Patron:DataDir",
    };

    /// <summary>The web server: its host settings, then <see cref="AddPatronServices"/>, <see cref="UsePatronPipeline"/> and <see cref="MapPatronEndpoints"/>.</summary>
    public static WebApplication Build(string[] args, TimeProvider? clock = null)
    {
        // No reloading of appsettings.json on change: it would watch the content root (the current
        // folder) and everything below it, and the database under ./patron-data changes on every write,
        // which kept a watcher thread busy with a tenth of the server's CPU under write load.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false", .. args] });
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        var serverLimits = builder.Configuration.GetSection("Patron:Server").Get<ServerLimitOptions>() ?? new ServerLimitOptions();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            ServerLimits.Apply(k, serverLimits);
        });
        // Request logging would write customers' emails and phones from URLs: keep framework logs to warnings.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        AddPatronServices(builder.Services, builder.Configuration, clock);

        var app = builder.Build();
        UsePatronPipeline(app);
        MapPatronEndpoints(app);
        return app;
    }

    /// <summary>The services: database and write path, jobs, webhooks, OpenAPI, and each front door's own.</summary>
    private static void AddPatronServices(IServiceCollection services, ConfigurationManager configuration, TimeProvider? clock)
    {
        services.Configure<PatronOptions>(configuration.GetSection("Patron"));
        services.AddSingleton(clock ?? TimeProvider.System);
        services.AddSingleton(_ => Database.FromConfiguration(configuration));
        services.AddSingleton<IWritePath>(sp =>
        {
            var db = sp.GetRequiredService<Database>();
            var time = sp.GetRequiredService<TimeProvider>();
            var options = sp.GetRequiredService<IOptions<PatronOptions>>().Value.Database;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Patron.Storage.WritePath");
            return !options.GroupCommit ? new TransactionPerOperationWritePath(db, time, logger)
                : db.IsSqlite ? new SqliteWritePath(db, time, logger: logger) : new PostgresWritePath(db, time, options.Writers, logger);
        });
        services.AddSingleton<Writes>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<RateLimits>();
        services.AddSingleton<AuthFailureThrottle>();
        services.AddSingleton<PatronMetrics>();
        services.AddSingleton<IJob, PendingPointsJob>();
        services.AddSingleton<IJob, PointsExpiryJob>();
        services.AddSingleton<IJob, VipTierJob>();
        services.AddSingleton<IJob, BirthdayJob>();
        services.AddSingleton<IJob, IdempotencyCleanupJob>();
        services.AddSingleton<IJob, RateLimitCleanupJob>();
        services.AddSingleton<IJob, SqliteStatisticsJob>();
        services.AddHostedService<JobRunner>();
        services.AddSingleton<Webhooks.WebhookSecrets>();
        services.AddSingleton<Security.StoredAnswers>();
        services.AddSingleton<Webhooks.WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<Webhooks.WebhookDispatcher>());
        services.Configure<JsonOptions>(o => PatronJson.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi(o =>
        {
            // The native API only: each dialect is its own document (DialectRegistration).
            o.ShouldInclude = d => d.GroupName is null;
            o.AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info.Title = "Patron API";
                doc.Info.Description = "Self-hosted loyalty engine. Authenticate with Authorization: Bearer <secret key>.";
                return Task.CompletedTask;
            });
            o.AddDocumentTransformer(Api.FreeFormJsonSchemas.TransformAsync);
            o.AddDocumentTransformer(Api.OpenApiConventions.TransformAsync);
        });
        services.AddDialects();
        services.AddPatronMcp();
        Members.MembersApp.AddMembers(services);
        services.AddAdmin();
    }

    /// <summary>The middleware every request passes, in order: proxies, limits, tracking, errors, docs, authentication.</summary>
    private static void UsePatronPipeline(WebApplication app)
    {
        app.UsePatronForwardedHeaders(); // only from Patron:ForwardedHeaders proxies (docs/OPERATIONS.md)
        app.Use(ServerLimits.MarkInApplication);
        app.UseDurableResponses(); // SQLite: nothing is sent before what it read is on disk
        app.UseMiddleware<RequestTrackingMiddleware>();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseStatusCodePages(ErrorHandlingMiddleware.StatusCodePage);
        app.Use(ServerLimits.RejectControlCharactersInHeaders);
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "docs";
            o.SwaggerEndpoint("/openapi/v1.json", "Patron API v1");
            foreach (var dialect in DialectRegistration.All)
            {
                o.SwaggerEndpoint($"/openapi/{dialect.Name}.json", $"{dialect.Title} dialect");
            }
            o.DocumentTitle = "Patron API reference";
        });
        app.UseMiddleware<ApiKeyAuthenticationMiddleware>();
    }

    /// <summary>The routes: OpenAPI, health and metrics, the native API (one group per resource), then the other front doors.</summary>
    private static void MapPatronEndpoints(WebApplication app)
    {
        app.MapOpenApi();
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).ExcludeFromDescription();
        app.MapGet("/readyz", Readiness.CheckAsync).ExcludeFromDescription();
        app.MapGet("/metrics", async (PatronMetrics metrics, IWritePath writes, Database db) =>
        {
            WebhookFigures? webhooks = null;
            try
            {
                webhooks = await PatronMetrics.ReadWebhookFiguresAsync(db);
            }
            catch (Exception e) when (Database.IsUnavailable(e) || e is System.Data.Common.DbException)
            {
                // The rest of the figures are still worth serving.
            }
            return Results.Text(metrics.Render(writes, webhooks), "text/plain; version=0.0.4");
        }).ExcludeFromDescription();

        var api = app.MapGroup("/api/v1");
        api.MapProgramApi();
        api.MapCustomersApi();
        api.MapPointsTransactionsApi();
        api.MapEarnRulesApi();
        api.MapActivitiesApi();
        api.MapOrdersApi();
        api.MapRewardsApi();
        api.MapRedemptionsApi();
        api.MapGiftCardsApi();
        api.MapQrCodesApi();
        api.MapReferralsApi();
        api.MapVipTiersApi();
        api.MapAnalyticsApi();
        api.MapEventsApi();
        api.MapApiKeysApi();
        api.MapWebhooksApi();
        api.MapAuditEventsApi();
        app.MapDialects();
        app.MapPatronMcp();
        Members.MembersApp.MapMembers(app);
        app.MapAdmin();
    }

    /// <summary>Builds the server and prepares its database: migrations, then the first key if there is none.</summary>
    public static async Task<(WebApplication App, Bootstrap.FirstKey? FirstKey)> CreateAsync(string[] args, TimeProvider? clock = null)
    {
        var app = Build(args, clock);
        var first = await Bootstrap.RunAsync(app.Services.GetRequiredService<Database>(),
            app.Services.GetRequiredService<TimeProvider>(), app.Configuration["Patron:Bootstrap:AdminKey"]);
        await CustomerSearch.LogWhenUnindexedAsync(app.Services.GetRequiredService<Database>(), app.Logger);
        return (app, first);
    }

    /// <summary>Migrates, bootstraps the first key (printing it once), then serves until stopped.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var app = Build(args);
        using var serving = ServeLock.Take(app.Services.GetRequiredService<Database>());
        var configuredKey = app.Configuration["Patron:Bootstrap:AdminKey"];
        var first = await Bootstrap.RunAsync(app.Services.GetRequiredService<Database>(),
            app.Services.GetRequiredService<TimeProvider>(), configuredKey);
        await CustomerSearch.LogWhenUnindexedAsync(app.Services.GetRequiredService<Database>(), app.Logger);
        if (first is null && !string.IsNullOrEmpty(configuredKey))
        {
            Console.WriteLine("Patron:Bootstrap:AdminKey is set but this database already has API keys: it was not used.");
        }
        if (first is { Generated: true })
        {
            Console.WriteLine($"Created program 'default' ({first.ProgramId}) and its first admin API key ({first.KeyId}).");
            Console.WriteLine("Keep the secret now: it is stored only as a hash and will not be shown again.");
            Console.WriteLine(first.Secret);
        }
        await AdminSetup.PrintFirstOwnerHintAsync(app);
        await app.RunAsync();
        return 0;
    }
}
