using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Storage;

namespace Patron.Api;

/// <summary>Customers (docs/API.md): list, create-or-update, get by any reference, patch, erase.</summary>
public static class CustomersEndpoints
{
    public static RouteGroupBuilder MapCustomersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/customers").WithTags("Customers");
        group.MapGet("/", List).WithSummary("List customers")
            .Produces<ListEnvelope<CustomerDto>>()
            .WithQuery(QueryParameter.Text("email", "An email address, matched after normalising (trimmed, lower-cased)."),
                QueryParameter.Text("phone", "A phone number, matched after normalising to E.164."),
                QueryParameter.Text("external_id", "The merchant's own id of the customer."),
                QueryParameter.OneOf("status", "The customer's status.", "active", "blocked"),
                QueryParameter.Text("tier", "A VIP tier's id or name."),
                QueryParameter.Text("search", "Text found in the customer's name, email or phone (case-insensitive)."));
        group.MapPost("/", CreateOrUpdate).WithSummary("Create a customer, or update the one with the same external_id, email or phone")
            .Accepts<CustomerInput>("application/json").Produces<CustomerDto>(201).Produces<CustomerDto>();
        group.MapGet("/{reference}", Get).WithSummary("Get a customer by id, external_id, email, phone or QR value")
            .Produces<CustomerDto>();
        group.MapPatch("/{reference}", Update).WithSummary("Update a customer; an empty string clears a field")
            .Accepts<CustomerInput>("application/json").Produces<CustomerDto>();
        group.MapDelete("/{reference}", Erase).WithSummary("Erase a customer's personal data; the ledger is kept")
            .Produces<DeletedObject>();
        return group;
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request, "email", "phone", "external_id", "status", "tier", "search");
        var q = request.Query;
        var filter = new CustomerFilter(q["email"].ToString(), q["phone"].ToString(), q["external_id"].ToString(),
            q["status"].ToString(), q["tier"].ToString(), q["search"].ToString());
        return TypedResults.Ok(await CustomerQueries.ListAsync(db, caller.ProgramId, filter, paging));
    }

    private static async Task<IResult> Get(string reference, HttpContext http, Caller caller, Database db)
    {
        var customer = await CustomerQueries.GetAsync(db, caller.ProgramId, reference);
        // The member's wallet pass links (docs/WALLET.md), when passes are configured.
        return TypedResults.Ok(customer with
        {
            WalletPassUrl = Members.WalletEndpoints.ApplePassLink(http, http.RequestServices.GetRequiredService<Operations.Wallet.ApplePasses>(),
                caller.ProgramId, customer.Id),
            GoogleWalletUrl = await Members.WalletEndpoints.GoogleLinkAsync(http, caller.ProgramId, customer),
        });
    }

    private static async Task<IResult> CreateOrUpdate(HttpContext http, Caller caller, Writes writes)
    {
        var input = CustomerOperations.ValidateNew(await http.ReadJsonAsync<CustomerInput>());
        return await writes.RunAsync(http, caller, async context =>
        {
            var (customer, created) = await CustomerOperations.CreateOrUpdateAsync(context, caller.Actor, caller.ProgramId, input);
            return created ? Reply.Created(customer) : Reply.Ok(customer);
        });
    }

    private static async Task<IResult> Update(string reference, HttpContext http, Caller caller, Writes writes)
    {
        var fields = CustomerFields.From(await http.ReadJsonAsync<CustomerInput>());
        return await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await CustomerOperations.UpdateAsync(context, caller.Actor, caller.ProgramId, reference, fields)));
    }

    private static async Task<IResult> Erase(string reference, HttpContext http, Caller caller, Writes writes) =>
        await writes.RunAsync(http, caller, async context =>
            Reply.Ok(await CustomerOperations.EraseAsync(context, caller.Actor, caller.ProgramId, reference)));
}
