using Patron.Storage;

namespace Patron.Api;

/// <summary>Referrals (docs/API.md): who referred whom, and whether the referee's first paid order completed it.</summary>
public static class ReferralsEndpoints
{
    public static RouteGroupBuilder MapReferralsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/referrals").WithTags("Referrals");
        group.MapGet("/", List).WithSummary("Referrals, most recent first, filtered by referrer_id, referee_id and status")
            .Produces<ListEnvelope<ReferralDto>>()
            .WithQuery(QueryParameter.Customer("referrer_id"), QueryParameter.Customer("referee_id"),
                QueryParameter.OneOf("status", "The referral's state.", "pending", "completed", "ineligible"));
        return group;
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request, "status", "referrer_id", "referee_id");
        var status = request.Query["status"].ToString();
        if (status.Length > 0 && status is not (ReferralStatus.Pending or ReferralStatus.Completed or ReferralStatus.Ineligible))
        {
            throw ApiException.Invalid("status", "'status' must be 'pending', 'completed' or 'ineligible'.");
        }
        var referrer = request.Query["referrer_id"].ToString();
        var referee = request.Query["referee_id"].ToString();
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            // A customer reference of any kind; one that finds nobody filters to nothing.
            async Task<string?> Resolve(string reference) => reference.Length == 0
                ? null
                : (await Customers.FindAsync(sql, caller.ProgramId, reference))?.Id ?? reference;
            return await Referrals.ListAsync(sql, caller.ProgramId, paging, await Resolve(referrer), await Resolve(referee),
                status.Length > 0 ? status : null);
        }));
    }
}
