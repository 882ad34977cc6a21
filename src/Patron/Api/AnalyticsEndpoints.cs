using Patron.Operations.Analytics;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// Program analytics over the last <c>days</c> UTC calendar days, today included (docs/API.md,
/// Analytics). Any key may read them. The figures are the core's <see cref="AnalyticsQuery"/>.
/// </summary>
public static class AnalyticsEndpoints
{
    public const int DefaultDays = AnalyticsWindow.DefaultDays;
    public const int MaxDays = AnalyticsWindow.MaxDays;

    public static RouteGroupBuilder MapAnalyticsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/analytics", Get).WithTags("Analytics")
            .WithSummary("Customers, points earned, redeemed and expired, liability and top rewards over the last ?days=1..365 days")
            .Produces<AnalyticsDto>()
            .WithQuery(QueryParameter.Integer("days", "The period: the last `days` days, from 1 to 365 (default 30).", 1, AnalyticsWindow.MaxDays));
        return api;
    }

    private static async Task<IResult> Get(HttpRequest request, Caller caller, Database database, TimeProvider clock)
    {
        var period = AnalyticsWindow.Of(AnalyticsWindow.ParseDays(request.Query["days"].ToString()), clock.GetUtcNow());
        return TypedResults.Ok(await AnalyticsQuery.GetAsync(database, caller.ProgramId, period));
    }
}
