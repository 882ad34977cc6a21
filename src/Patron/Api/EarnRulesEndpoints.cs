using Patron.Domain;
using Patron.Operations.EarnRulesAndCampaigns;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// Earn rules and campaigns (docs/API.md, Earn rules): any key may read them (a storefront shows
/// "ways to earn"); creating, changing and deleting them needs the admin scope. The rules live in
/// <see cref="EarnRuleOperations"/>; this file only translates.
/// </summary>
public static class EarnRulesEndpoints
{
    /// <summary>
    /// POST and PATCH body. In PATCH an absent or null field is left as it is; <c>""</c> clears
    /// <c>name</c>, <c>limit_period</c>, <c>starts_at</c> and <c>ends_at</c>; <c>[]</c> clears <c>tier_ids</c>.
    /// </summary>
    public sealed class EarnRuleInput
    {
        public string? Name { get; set; }
        public string? Type { get; set; }
        public long? Points { get; set; }
        public decimal? PointsPerUnit { get; set; }
        public decimal? Multiplier { get; set; }
        public string? LimitPeriod { get; set; }
        public long? LimitCount { get; set; }
        public List<string>? TierIds { get; set; }
        public string? StartsAt { get; set; }
        public string? EndsAt { get; set; }
        public bool? Enabled { get; set; }

        public EarnRuleSettings ToSettings() =>
            new(Name, Type, Points, PointsPerUnit, Multiplier, LimitPeriod, LimitCount, TierIds, StartsAt, EndsAt, Enabled);
    }

    public static RouteGroupBuilder MapEarnRulesApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/earn_rules").WithTags("Earn rules");
        group.MapGet("/", List).WithSummary("List earn rules and campaigns; ?enabled=true|false and ?type= filter")
            .Produces<ListEnvelope<EarnRuleDto>>()
            .WithQuery(QueryParameter.Boolean("enabled", "Only enabled (`true`) or disabled (`false`) rules."),
                QueryParameter.Text("type", "An activity type the rule earns on, such as `purchase` or `signup`."));
        group.MapPost("/", Create).WithSummary("Create an earn rule, or a campaign (a rule with a multiplier) (admin)")
            .Accepts<EarnRuleInput>("application/json").Produces<EarnRuleDto>(201);
        group.MapGet("/{id}", Get).WithSummary("One earn rule").Produces<EarnRuleDto>();
        group.MapPatch("/{id}", Update).WithSummary("Change an earn rule (admin)")
            .Accepts<EarnRuleInput>("application/json").Produces<EarnRuleDto>();
        group.MapDelete("/{id}", Delete).WithSummary("Delete an earn rule (admin)").Produces<DeletedObject>();
        return group;
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database database)
    {
        var paging = Paging.From(request, "enabled", "type");
        var enabled = request.Query["enabled"].ToString() switch
        {
            "" => (bool?)null,
            "true" => true,
            "false" => false,
            _ => throw ApiException.Invalid("enabled", "'enabled' must be 'true' or 'false'."),
        };
        var type = request.Query["type"].ToString();
        return TypedResults.Ok(await EarnRuleOperations.ListAsync(database, caller.ProgramId, paging, enabled, type));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database database) =>
        TypedResults.Ok(await EarnRuleOperations.GetAsync(database, caller.ProgramId, id));

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<EarnRuleInput>();
        var row = EarnRuleOperations.Prepare(caller.ProgramId, input.ToSettings());
        return await writes.RunAsync(http, caller, async context =>
            Reply.Created(await EarnRuleOperations.CreateAsync(context, caller.Actor, row)));
    }

    private static async Task<IResult> Update(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var settings = (await http.ReadJsonAsync<EarnRuleInput>()).ToSettings();
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await EarnRuleOperations.UpdateAsync(context, caller.Actor, caller.ProgramId, id, settings)));
    }

    private static async Task<IResult> Delete(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        return await writes.RunAsync(http, caller, async context =>
        {
            await EarnRuleOperations.DeleteAsync(context, caller.Actor, caller.ProgramId, id);
            return Reply.Ok(new DeletedObject(id, "earn_rule"));
        });
    }
}
