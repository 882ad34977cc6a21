using Patron.Domain;
using Patron.Operations.RewardsAndRedemptions;
using Patron.Operations.Stamps;
using Patron.Storage;

namespace Patron.Api;

/// <summary>Redemptions, vouchers and stamp cards (docs/API.md, Redemptions and Stamps).</summary>
public static class RedemptionsEndpoints
{
    public sealed class RedemptionInput
    {
        public string? RewardId { get; set; }
        public long? PointsToRedeem { get; set; }
    }

    public sealed class StampsInput
    {
        public int? Stamps { get; set; }
        public string? Reference { get; set; }
    }

    public sealed class UseInput
    {
        public string? OrderId { get; set; }
    }

    public static RouteGroupBuilder MapRedemptionsApi(this RouteGroupBuilder api)
    {
        var customers = api.MapGroup("/customers/{reference}").WithTags("Redemptions");
        customers.MapPost("/redemptions", Redeem).WithSummary("Spend points on a reward: deducts the points and issues the code in one step")
            .Accepts<RedemptionInput>("application/json").Produces<RedemptionDto>(201);
        customers.MapGet("/redemptions", ListForCustomer).WithSummary("The customer's redemptions").Produces<ListEnvelope<RedemptionDto>>();
        customers.MapPost("/stamps", AddStamps).WithTags("Stamps")
            .WithSummary("Record a visit's stamps; a full card issues the program's stamp reward")
            .Accepts<StampsInput>("application/json").Produces<StampsDto>(201);

        var group = api.MapGroup("").WithTags("Redemptions");
        group.MapGet("/redemptions", List).WithSummary("All redemptions; ?customer_id=, ?reward_id=, ?status= filter")
            .Produces<ListEnvelope<RedemptionDto>>()
            .WithQuery(QueryParameter.Customer(), QueryParameter.Text("reward_id", "A reward's id."),
                QueryParameter.OneOf("status", "The redemption's state.", "issued", "used", "expired", "cancelled"));
        group.MapGet("/redemptions/{id}", Get).WithSummary("One redemption").Produces<RedemptionDto>();
        group.MapPost("/redemptions/{id}/cancel", Cancel).WithSummary("Cancel a redemption whose code is unused: the points come back")
            .Produces<RedemptionDto>();
        group.MapGet("/vouchers/{code}", GetVoucher).WithSummary("A voucher code's state: issued, used, expired (or cancelled)")
            .Produces<VoucherDto>();
        group.MapPost("/vouchers/{code}/use", UseVoucher).WithSummary("Mark a voucher code used; a code is used once")
            .Accepts<UseInput>("application/json").Produces<VoucherDto>();
        return group;
    }

    private static async Task<IResult> Redeem(string reference, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<RedemptionInput>();
        var request = new RedemptionRequest(input.RewardId, input.PointsToRedeem);
        RedemptionOperations.Validate(request);
        return await writes.RunAsync(http, caller, async context => Reply.Created(
            await RedemptionOperations.RedeemAsync(context, caller.Actor, caller.ProgramId, reference, request)));
    }

    private static async Task<IResult> ListForCustomer(string reference, HttpRequest request, Caller caller, Database db, TimeProvider clock)
    {
        var paging = Paging.From(request);
        var filter = new RedemptionFilter(CustomerReference: reference);
        return TypedResults.Ok(await db.ReadAsync(sql =>
            RedemptionOperations.ListAsync(sql, caller.ProgramId, paging, filter, clock.GetUtcNow().ToUnixTimeMilliseconds())));
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db, TimeProvider clock)
    {
        var paging = Paging.From(request, "reward_id", "status", "customer_id");
        var q = request.Query;
        var filter = new RedemptionFilter(q["customer_id"].ToString(), q["reward_id"].ToString(), q["status"].ToString());
        RedemptionOperations.ValidateFilter(filter);
        return TypedResults.Ok(await db.ReadAsync(sql =>
            RedemptionOperations.ListAsync(sql, caller.ProgramId, paging, filter, clock.GetUtcNow().ToUnixTimeMilliseconds())));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db, TimeProvider clock) =>
        TypedResults.Ok(await db.ReadAsync(sql =>
            RedemptionOperations.GetAsync(sql, caller.ProgramId, id, clock.GetUtcNow().ToUnixTimeMilliseconds())));

    private static async Task<IResult> Cancel(string id, HttpContext http, Caller caller, Writes writes)
    {
        await http.ReadNoFieldsAsync();
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await RedemptionOperations.CancelAsync(context, caller.Actor, caller.ProgramId, id)));
    }

    private static async Task<IResult> GetVoucher(string code, Caller caller, Database db, TimeProvider clock) =>
        TypedResults.Ok(await db.ReadAsync(sql =>
            VoucherOperations.GetAsync(sql, caller.ProgramId, code, clock.GetUtcNow().ToUnixTimeMilliseconds())));

    private static async Task<IResult> UseVoucher(string code, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<UseInput>();
        VoucherOperations.ValidateUse(input.OrderId);
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await VoucherOperations.UseAsync(context, caller.ProgramId, code, input.OrderId)));
    }

    private static async Task<IResult> AddStamps(string reference, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<StampsInput>();
        var stamps = StampOperations.Validate(input.Stamps, input.Reference);
        return await writes.RunAsync(http, caller, async context =>
        {
            var result = await StampOperations.AddAsync(context, caller.ProgramId, reference, stamps, input.Reference, caller.KeyId);
            return result.Created ? Reply.Created(result.Body) : Reply.Ok(result.Body);
        });
    }
}
