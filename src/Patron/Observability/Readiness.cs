using Microsoft.Extensions.Options;
using Patron.Storage;
using Patron.Webhooks;

namespace Patron.Observability;

/// <summary>
/// <c>/readyz</c> (docs/CONFIGURATION.md, "Observability"): ready when the database answers, every
/// migration this Patron knows is applied, and the webhook dispatcher is running (or switched off by
/// configuration). <c>/healthz</c> only says the process serves HTTP.
/// </summary>
public static class Readiness
{
    public const string Ok = "ok";

    public static async Task<IResult> CheckAsync(Database database, WebhookDispatcher dispatcher, IOptions<PatronOptions> options)
    {
        var checks = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var applied = await database.ReadAsync(sql => sql.ListAsync("SELECT version FROM schema_migrations", r => Convert.ToInt32(r.GetValue(0))));
            checks["database"] = Ok;
            var missing = Migrator.Scripts(database.Provider).Select(s => s.Version).Except(applied).Order().ToList();
            checks["migrations"] = missing.Count == 0 ? Ok : $"not applied: {string.Join(", ", missing)}";
        }
        catch (Exception e) when (Database.IsUnavailable(e) || e is System.Data.Common.DbException)
        {
            checks["database"] = "unreachable";
            checks["migrations"] = "unknown";
        }
        checks["webhook_dispatcher"] = !options.Value.Webhooks.Dispatcher ? "disabled"
            : dispatcher.ExecuteTask is { IsCompleted: false } ? Ok
            : "stopped";
        var ready = checks.Values.All(v => v is Ok or "disabled");
        return Results.Json(new { status = ready ? "ready" : "not ready", checks }, statusCode: ready ? 200 : 503);
    }
}
