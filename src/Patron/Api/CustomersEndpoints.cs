using Patron.Domain;
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
        var where = "program_id = @p AND deleted_at IS NULL";
        var args = new List<(string, object?)> { ("p", caller.ProgramId) };
        var q = request.Query;
        void Filter(string name, string clause, Func<string, object?> value)
        {
            var raw = q[name].ToString();
            if (raw.Length > 0)
            {
                where += " AND " + clause;
                args.Add((name, value(raw)));
            }
        }
        Filter("email", "email = @email", v => Contact.NormalizeEmail(v) ?? v);
        Filter("phone", "phone = @phone", v => Contact.NormalizePhone(v) ?? v);
        Filter("external_id", "external_id = @external_id", v => v);
        Filter("status", "status = @status", v => v is CustomerStatus.Active or CustomerStatus.Blocked
            ? v : throw ApiException.Invalid("status", "'status' must be 'active' or 'blocked'."));
        // A tier id or a live tier's name (names are unique among a program's live tiers).
        Filter("tier", "vip_tier_id IN (SELECT id FROM vip_tiers WHERE program_id = @p AND deleted_at IS NULL AND (id = @tier OR name = @tier))", v => v);
        Filter("search", $"search_text {db.ILike} @search ESCAPE '\\'", v =>
            "%" + v.ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%");

        var result = await db.ReadAsync(async sql =>
        {
            var listArgs = new List<(string, object?)>(args);
            var rows = await sql.ListAsync(paging.Apply($"SELECT {Customers.Columns} FROM customers WHERE {where}", listArgs),
                Customers.Map, [.. listArgs]);
            long? total = paging.StartingAfter is null
                ? Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM customers WHERE {where}", [.. args]))
                : null;
            return paging.Envelope(rows, total);
        });
        return TypedResults.Ok(result);
    }

    private static async Task<IResult> Get(string reference, HttpContext http, Caller caller, Database db)
    {
        var customer = await db.ReadAsync(sql => Customers.GetAsync(sql, caller.ProgramId, reference));
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
        var input = await http.ReadJsonAsync<CustomerInput>();
        var fields = CustomerFields.From(input);
        fields.RequireIdentity();
        if (input.InitialPoints is < 0)
        {
            throw ApiException.Invalid("initial_points", "'initial_points' cannot be negative.");
        }
        if (input.InitialPoints is > LedgerRules.MaxPointsPerEntry)
        {
            throw ApiException.Invalid("initial_points", "'initial_points' is out of range.");
        }
        return await writes.RunAsync(http, caller, async context =>
        {
            var (customer, created) = await CustomerWrites.UpsertAsync(
                context, caller.ProgramId, fields, input.InitialPoints ?? 0, input.ReferredBy?.Trim(), caller.KeyId);
            return created ? Reply.Created(customer) : Reply.Ok(customer);
        });
    }

    private static async Task<IResult> Update(string reference, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<CustomerInput>();
        var fields = CustomerFields.From(input);
        return await writes.RunAsync(http, caller, async context =>
        {
            var customer = await Customers.GetAsync(context.Sql, caller.ProgramId, reference);
            return Reply.Ok(await CustomerWrites.ApplyAsync(context, caller.Actor, caller.ProgramId, customer, fields));
        });
    }

    private static async Task<IResult> Erase(string reference, HttpContext http, Caller caller, Writes writes) =>
        await writes.RunAsync(http, caller, async context =>
        {
            var customer = await Customers.GetAsync(context.Sql, caller.ProgramId, reference);
            return Reply.Ok(await CustomerWrites.EraseAsync(context, caller.Actor, caller.ProgramId, customer));
        });
}
