using Patron.Domain;
using Patron.Operations.Points;
using Patron.Storage;

namespace Patron.Api;

/// <summary>The points ledger (docs/API.md): post and list entries per customer, list and get globally.</summary>
public static class PointsTransactionsEndpoints
{
    public static RouteGroupBuilder MapPointsTransactionsApi(this RouteGroupBuilder api)
    {
        var perCustomer = api.MapGroup("/customers/{reference}/points_transactions").WithTags("Points ledger");
        perCustomer.MapPost("/", Post).WithSummary("Award or deduct points")
            .Accepts<PointsInput>("application/json").Produces<PointsTransactionDto>(201).Produces<PointsTransactionDto>();
        perCustomer.MapGet("/", ListForCustomer).WithSummary("A customer's ledger, most recent first")
            .Produces<ListEnvelope<PointsTransactionDto>>();

        var global = api.MapGroup("/points_transactions").WithTags("Points ledger");
        global.MapGet("/", List).WithSummary("All ledger entries, filtered by customer_id and type (the label shown as type, exactly)")
            .Produces<ListEnvelope<PointsTransactionDto>>()
            .WithQuery(QueryParameter.Customer(), QueryParameter.Text("type", "The entry's type as shown (a kind or the caller's own label), matched exactly."));
        global.MapGet("/{id}", Get).WithSummary("One ledger entry").Produces<PointsTransactionDto>();
        return api;
    }

    public sealed class PointsInput
    {
        public long? Points { get; set; }
        public string? Type { get; set; }
        public string? Description { get; set; }
        public string? Reference { get; set; }
    }

    private static async Task<IResult> Post(string reference, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<PointsInput>();
        var post = new PointsPost(input.Points, input.Type, input.Description, input.Reference);
        PointsOperations.Validate(post);
        return await writes.RunAsync(http, caller, async context =>
        {
            var posted = await PointsOperations.PostAsync(context, caller.Actor, caller.ProgramId, reference, post);
            return posted.Created ? Reply.Created(posted.Transaction) : Reply.Ok(posted.Transaction);
        });
    }

    private static async Task<IResult> ListForCustomer(string reference, HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request);
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var customer = await Customers.GetAsync(sql, caller.ProgramId, reference);
            return await ListAsync(sql, paging, "customer_id = @c AND program_id = @p",
                [("c", customer.Id), ("p", caller.ProgramId)]);
        }));
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request, "type", "customer_id");
        var type = request.Query["type"].ToString();
        var customerRef = request.Query["customer_id"].ToString();
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var filter = (await new ListFilter(caller.ProgramId).AddCustomerAsync(sql, customerRef)).Add("COALESCE(label, type) = @t", "t", type);
            return await ListAsync(sql, paging, filter.Where, filter.Args);
        }));
    }

    private static async Task<ListEnvelope<PointsTransactionDto>> ListAsync(
        Sql sql, Paging paging, string where, List<(string, object?)> args)
    {
        var listArgs = new List<(string, object?)>(args);
        var rows = await sql.ListAsync(paging.Apply($"SELECT {Ledger.Columns} FROM points_transactions WHERE {where}", listArgs),
            Ledger.Map, [.. listArgs]);
        long? total = paging.StartingAfter is null
            ? Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM points_transactions WHERE {where}", [.. args]))
            : null;
        return paging.Envelope(rows, total);
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(async sql =>
            await sql.SingleAsync($"SELECT {Ledger.Columns} FROM points_transactions WHERE id = @id AND program_id = @p",
                Ledger.Map, ("id", id), ("p", caller.ProgramId))
            ?? throw ApiException.NotFound("points transaction", id)));
}
