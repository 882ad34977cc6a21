using Patron.Domain;
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
        var rewardId = string.IsNullOrWhiteSpace(input.RewardId) ? throw ApiException.Missing("reward_id") : input.RewardId.Trim();
        if (input.PointsToRedeem is < 1 or > Limits.MaxRewardCost)
        {
            throw ApiException.Invalid("points_to_redeem", $"'points_to_redeem' must be a whole number from 1 to {Limits.MaxRewardCost}.");
        }
        return await writes.RunAsync(http, caller, async context => Reply.Created(
            await Redemptions.RedeemAsync(context, caller.ProgramId, reference, rewardId, input.PointsToRedeem, caller.KeyId)));
    }

    private static async Task<IResult> ListForCustomer(string reference, HttpRequest request, Caller caller, Database db, TimeProvider clock)
    {
        var paging = Paging.From(request);
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var customer = await Customers.GetAsync(sql, caller.ProgramId, reference);
            return await ListAsync(sql, paging, clock, "program_id = @p AND customer_id = @c",
                [("p", caller.ProgramId), ("c", customer.Id)], countTotal: true);
        }));
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db, TimeProvider clock)
    {
        var paging = Paging.From(request, "reward_id", "status", "customer_id");
        var where = "program_id = @p";
        var args = new List<(string, object?)> { ("p", caller.ProgramId) };
        var q = request.Query;
        if (q["reward_id"].ToString() is { Length: > 0 } rewardId)
        {
            where += " AND reward_id = @r";
            args.Add(("r", rewardId));
        }
        if (q["status"].ToString() is { Length: > 0 } status)
        {
            // 'expired' is an issued code past its time, never a stored status.
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            where += status switch
            {
                RedemptionStatus.Issued => " AND status = 'issued' AND (expires_at IS NULL OR expires_at > @now)",
                RedemptionStatus.Expired => " AND status = 'issued' AND expires_at <= @now",
                RedemptionStatus.Used or RedemptionStatus.Cancelled => " AND status = @status",
                _ => throw ApiException.Invalid("status", "'status' must be 'issued', 'used', 'expired' or 'cancelled'."),
            };
            args.Add(("now", now));
            args.Add(("status", status));
        }
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            if (q["customer_id"].ToString() is { Length: > 0 } customerRef)
            {
                var customer = await Customers.GetAsync(sql, caller.ProgramId, customerRef);
                where += " AND customer_id = @c";
                args.Add(("c", customer.Id));
            }
            return await ListAsync(sql, paging, clock, where, args, countTotal: true);
        }));
    }

    private static async Task<ListEnvelope<RedemptionDto>> ListAsync(
        Sql sql, Paging paging, TimeProvider clock, string where, List<(string, object?)> args, bool countTotal)
    {
        var listArgs = new List<(string, object?)>(args);
        var rows = await sql.ListAsync(paging.Apply($"SELECT {Redemptions.Columns} FROM redemptions WHERE {where}", listArgs),
            Redemptions.Mapper(clock.GetUtcNow().ToUnixTimeMilliseconds()), [.. listArgs]);
        long? total = countTotal && paging.StartingAfter is null
            ? Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM redemptions WHERE {where}", [.. args]))
            : null;
        return paging.Envelope(rows, total);
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db, TimeProvider clock) =>
        TypedResults.Ok(await db.ReadAsync(async sql =>
            await Redemptions.FindAsync(sql, caller.ProgramId, id, clock.GetUtcNow().ToUnixTimeMilliseconds())
            ?? throw ApiException.NotFound("redemption", id)));

    private static async Task<IResult> Cancel(string id, HttpContext http, Caller caller, Writes writes)
    {
        await RequestBody.ReadBytesAsync(http);
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await Redemptions.CancelAsync(context, caller.ProgramId, id, caller.KeyId)));
    }

    private static async Task<IResult> GetVoucher(string code, Caller caller, Database db, TimeProvider clock) =>
        TypedResults.Ok(await db.ReadAsync(sql =>
            Vouchers.GetAsync(sql, caller.ProgramId, code, clock.GetUtcNow().ToUnixTimeMilliseconds())));

    private static async Task<IResult> UseVoucher(string code, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<UseInput>();
        if (input.OrderId is { Length: > 200 })
        {
            throw ApiException.Invalid("order_id", "'order_id' is limited to 200 characters.");
        }
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await Vouchers.UseAsync(context, caller.ProgramId, code, input.OrderId)));
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
