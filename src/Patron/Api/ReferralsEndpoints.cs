using Patron.Operations.Referrals;
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
        return TypedResults.Ok(await ReferralOperations.ListAsync(db, caller.ProgramId, paging,
            request.Query["referrer_id"].ToString(), request.Query["referee_id"].ToString(), request.Query["status"].ToString()));
    }
}
