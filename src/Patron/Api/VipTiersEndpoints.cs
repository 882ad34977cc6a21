using Patron.Domain;
using Patron.Operations.VipTiers;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// VIP tiers (docs/API.md VIP tiers): any key may read them (a storefront shows the tiers and
/// their benefits); creating, changing and deleting them needs the admin scope. Customers move
/// between tiers in <see cref="Tiers.EvaluateAsync(WriteContext, string, string, string)"/> and
/// <see cref="Jobs.VipTierJob"/>. The rules live in <see cref="VipTierOperations"/>; this file only translates.
/// </summary>
public static class VipTiersEndpoints
{
    /// <summary>
    /// POST and PATCH body. In PATCH an absent or null field is left as it is; giving
    /// <c>points_required</c> or <c>spend_required</c> makes the tier that kind; <c>discount_type: ""</c>
    /// removes the discount.
    /// </summary>
    public sealed class VipTierInput
    {
        public string? Name { get; set; }
        public long? PointsRequired { get; set; }
        public decimal? SpendRequired { get; set; }
        public int? SpendWindowDays { get; set; }
        public decimal? Multiplier { get; set; }
        public string? DiscountType { get; set; }
        public decimal? DiscountValue { get; set; }
        public bool? FreeShipping { get; set; }

        public VipTierSettings ToSettings() =>
            new(Name, PointsRequired, SpendRequired, SpendWindowDays, Multiplier, DiscountType, DiscountValue, FreeShipping);
    }

    public static RouteGroupBuilder MapVipTiersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/vip_tiers").WithTags("VIP tiers");
        group.MapGet("/", List).WithSummary("List the program's VIP tiers, lowest requirement first").Produces<ListEnvelope<VipTierDto>>();
        group.MapPost("/", Create).WithSummary("Create a VIP tier (admin)")
            .Accepts<VipTierInput>("application/json").Produces<VipTierDto>(201);
        group.MapGet("/{id}", Get).WithSummary("One VIP tier").Produces<VipTierDto>();
        group.MapPatch("/{id}", Update).WithSummary("Change a VIP tier (admin); members are checked again when its requirement changes")
            .Accepts<VipTierInput>("application/json").Produces<VipTierDto>();
        group.MapDelete("/{id}", Delete).WithSummary("Delete a VIP tier (admin); its members move to the tier they qualify for")
            .Produces<DeletedObject>();
        return group;
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database database) =>
        TypedResults.Ok(await VipTierOperations.ListAsync(database, caller.ProgramId, Paging.From(request)));

    private static async Task<IResult> Get(string id, Caller caller, Database database) =>
        TypedResults.Ok(await VipTierOperations.GetAsync(database, caller.ProgramId, id));

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<VipTierInput>();
        var row = VipTierOperations.Prepare(caller.ProgramId, input.ToSettings());
        return await writes.RunAsync(http, caller, async context =>
            Reply.Created(await VipTierOperations.CreateAsync(context, caller.Actor, row)));
    }

    private static async Task<IResult> Update(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var settings = (await http.ReadJsonAsync<VipTierInput>()).ToSettings();
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await VipTierOperations.UpdateAsync(context, caller.Actor, caller.ProgramId, id, settings)));
    }

    private static async Task<IResult> Delete(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        return await writes.RunAsync(http, caller, async context =>
        {
            await VipTierOperations.DeleteAsync(context, caller.Actor, caller.ProgramId, id);
            return Reply.Ok(new DeletedObject(id, "vip_tier"));
        });
    }
}
