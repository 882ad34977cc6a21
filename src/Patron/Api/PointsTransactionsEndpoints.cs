using Patron.Domain;
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
        var points = input.Points ?? throw ApiException.Missing("points");
        if (points == 0)
        {
            throw ApiException.Invalid("points", "'points' must be a non-zero whole number.");
        }
        if (points is > LedgerRules.MaxPointsPerEntry or < -LedgerRules.MaxPointsPerEntry)
        {
            throw ApiException.Invalid("points", $"'points' must be from -{Limits.MaxPoints} to {Limits.MaxPoints}.");
        }
        // 'type' is the caller's label. earned, adjusted and redeemed are also the entry's kind; any other
        // label is kept as given and the kind follows the sign, as when no type is sent.
        string? label = null;
        if (input.Type is { } given && !PointsTypes.PostableByClients(given))
        {
            label = PointsTypes.IsValidLabel(given) ? given : throw ApiException.Invalid("type",
                $"'type' is 'earned', 'adjusted', 'redeemed' or a label of your own: 1 to {PointsTypes.MaxLabelLength} letters, digits, " +
                "spaces, '_', '-', '.' or ':', other than the kinds Patron writes itself (expired, reversed, refunded).");
        }
        var type = label is null && input.Type is { } kind ? kind : points > 0 ? PointsTypes.Earned : PointsTypes.Redeemed;
        if (LedgerRules.SignError(type, points) is { } signError)
        {
            throw ApiException.Invalid("points", signError);
        }
        if (input.Description is { Length: > 500 })
        {
            throw ApiException.Invalid("description", "'description' is limited to 500 characters.");
        }
        if (input.Reference is { } r && (r.Length is 0 or > 200))
        {
            throw ApiException.Invalid("reference", "'reference' must be 1 to 200 characters.");
        }

        return await writes.RunAsync(http, caller, async context =>
        {
            var customer = await Customers.GetAsync(context.Sql, caller.ProgramId, reference);
            // A blocked customer earns and redeems nothing; the merchant may still adjust the balance.
            if (customer.Status == CustomerStatus.Blocked && type != PointsTypes.Adjusted)
            {
                // A retry of an entry posted before the block still gets the original entry back.
                if (input.Reference is { } repeat && await Ledger.ByReferenceAsync(context.Sql, customer.Id, repeat) is { } earlier)
                {
                    return Reply.Ok(earlier);
                }
                throw ApiException.Forbidden("customer_blocked", "This customer is blocked.");
            }
            var posted = await Ledger.PostAsync(context, new Ledger.Entry(caller.ProgramId, customer.Id, points, type,
                input.Description, input.Reference, caller.KeyId, Label: label));
            // A manual adjustment is audited; other entries are per-customer awards and spends, whose audit
            // is the ledger itself (each entry names the key that posted it; docs/AUDIT.md).
            if (posted.Created && posted.Transaction.Kind == PointsTypes.Adjusted)
            {
                var t = posted.Transaction;
                await AuditTrail.RecordAsync(context, caller.Actor, caller.ProgramId, AuditActions.PointsAdjusted, customer.Id,
                    new { points_balance = customer.PointsBalance },
                    new { points_balance = t.BalanceAfter, points = t.Points, type = t.ShownType, t.Description, transaction_id = t.Id },
                    customer.Id);
            }
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
