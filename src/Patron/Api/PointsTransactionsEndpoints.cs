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

    private static async Task<IResult> ListForCustomer(string reference, HttpRequest request, Caller caller, Database db) =>
        TypedResults.Ok(await LedgerQueries.ListForCustomerAsync(db, caller.ProgramId, reference, Paging.From(request)));

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request, "type", "customer_id");
        return TypedResults.Ok(await LedgerQueries.ListAsync(
            db, caller.ProgramId, request.Query["customer_id"].ToString(), request.Query["type"].ToString(), paging));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db) =>
        TypedResults.Ok(await LedgerQueries.GetAsync(db, caller.ProgramId, id));
}
