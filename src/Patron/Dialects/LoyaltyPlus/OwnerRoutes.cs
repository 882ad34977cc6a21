using System.Globalization;
using Patron.Api;
using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Storage;

namespace Patron.Dialects.LoyaltyPlus;

/// <summary>
/// Loyalty+'s owner routes: create, list, get with points history, update (edit, block, unblock),
/// adjust points with a reason, delete. Each needs a key of the write scope or above, reads too: these
/// are the owner's tools, and a read-only key is a till's or a report's.
/// </summary>
public static class OwnerRoutes
{
    public const int MaxLimit = 100;
    public const int DefaultLimit = 20;
    public const int MaxPage = 1_000_000;
    public const int MaxSearchLength = 200;
    public const int MaxReasonLength = 500;

    /// <summary>The most recent ledger entries a customer's details carry.</summary>
    public const int HistoryLength = 100;

    /// <summary>The <c>sortBy</c> values, and the core order each stands for.</summary>
    public static readonly IReadOnlyDictionary<string, Customers.SortKey> SortKeys = new Dictionary<string, Customers.SortKey>
    {
        ["createdAt"] = Customers.SortKey.CreatedAt,
        ["updatedAt"] = Customers.SortKey.UpdatedAt,
        ["name"] = Customers.SortKey.Name,
        ["totalPoints"] = Customers.SortKey.PointsBalance,
    };

    public static void Map(RouteGroupBuilder owner)
    {
        owner.AddEndpointFilter(async (context, next) =>
        {
            if (Caller.From(context.HttpContext).Scope < Scope.Write)
            {
                throw ApiException.Forbidden("insufficient_scope", "Owner routes need a Patron API key of the write or admin scope.");
            }
            return await next(context);
        });
        owner.MapPost("/customers", CreateAsync).WithSummary("Create a customer, with optional notes and initial points")
            .Accepts<CreateCustomerRequest>("application/json").Produces<CustomerResult>(201);
        owner.MapGet("/customers", ListAsync).WithSummary("List customers (page, limit, search, statusFilter, sortBy, sortOrder)")
            .Produces<CustomerPage>();
        owner.MapGet("/customers/{id}", GetAsync).WithSummary("A customer with their recent points history")
            .Produces<CustomerDetails>();
        owner.MapPatch("/customers/{id}", UpdateAsync).WithSummary("Edit a customer, or block (BLOCKED) and unblock (ACTIVE) them")
            .Accepts<UpdateCustomerRequest>("application/json").Produces<CustomerResult>();
        owner.MapPut("/customers/{id}", UpdateAsync).WithSummary("The same as PATCH")
            .Accepts<UpdateCustomerRequest>("application/json").Produces<CustomerResult>();
        owner.MapPost("/customers/{id}/points", AdjustAsync).WithSummary("Add (positive) or deduct (negative) points with a reason")
            .Accepts<AdjustPointsRequest>("application/json").Produces<AdjustPointsResponse>();
        owner.MapDelete("/customers/{id}", DeleteAsync).WithSummary("Delete a customer: personal data erased, the ledger kept")
            .Produces<DeleteResponse>();
    }

    private static async Task<IResult> CreateAsync(HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<CreateCustomerRequest>();
        var name = string.IsNullOrWhiteSpace(input.Name) ? throw ApiException.Missing("name") : CheckName(input.Name);
        if (string.IsNullOrWhiteSpace(input.Phone))
        {
            throw ApiException.Missing("phone");
        }
        if (input.InitialPoints is < 0 or > LedgerRules.MaxPointsPerEntry)
        {
            throw ApiException.Invalid("initialPoints", $"'initialPoints' must be a whole number from 0 to {LedgerRules.MaxPointsPerEntry}.");
        }
        var (first, last) = LoyaltyPlusNames.Split(name);
        var fields = Fields(() => CustomerFields.From(new CustomerInput { FirstName = first, LastName = last, Phone = input.Phone, Notes = input.Notes }));

        return await writes.RunAsync(http, caller, async context =>
        {
            // Loyalty+ creates; it does not update the customer who has this phone, as the native create-or-update would.
            if (await Customers.ByColumnAsync(context.Sql, caller.ProgramId, "phone", fields.Phone!) is not null)
            {
                throw ApiException.Conflict("phone_in_use", "Another customer already has this phone.", "phone");
            }
            var (customer, _) = await CustomerOperations.CreateOrUpdateAsync(context, caller.ProgramId, fields, input.InitialPoints ?? 0, null, caller.KeyId);
            return Reply.Created(new CustomerResult(true, OwnerCustomer.From(customer)));
        });
    }

    private static async Task<IResult> ListAsync(HttpRequest request, Caller caller, Database db)
    {
        var q = request.Query;
        var page = Int(q["page"].ToString(), "page", 1, 1, MaxPage);
        var limit = Int(q["limit"].ToString(), "limit", DefaultLimit, 1, MaxLimit);
        var search = q["search"].ToString().Trim();
        if (search.Length > MaxSearchLength)
        {
            throw ApiException.Invalid("search", $"'search' is limited to {MaxSearchLength} characters.");
        }
        var statusFilter = q["statusFilter"].ToString();
        string? status = statusFilter.Length == 0 || statusFilter.Equals("ALL", StringComparison.OrdinalIgnoreCase)
            ? null
            : LoyaltyPlusNames.CoreStatus(statusFilter)
                ?? throw ApiException.Invalid("statusFilter", "'statusFilter' must be ACTIVE, BLOCKED or ALL.");
        var sortByRaw = q["sortBy"].ToString();
        var sortBy = sortByRaw.Length == 0 ? Customers.SortKey.CreatedAt
            : SortKeys.TryGetValue(sortByRaw, out var key) ? key
            : throw ApiException.Invalid("sortBy", $"'sortBy' must be one of: {string.Join(", ", SortKeys.Keys)}.");
        var descending = q["sortOrder"].ToString().ToLowerInvariant() switch
        {
            "" or "desc" => true,
            "asc" => false,
            _ => throw ApiException.Invalid("sortOrder", "'sortOrder' must be 'asc' or 'desc'."),
        };

        var (rows, total) = await db.ReadAsync(sql => Customers.PageAsync(
            sql, caller.ProgramId, search.Length == 0 ? null : search, status, sortBy, descending, limit, (page - 1) * limit));
        return TypedResults.Ok(new CustomerPage(rows.Select(OwnerCustomer.From).ToList(), new Pagination(page, limit, total)));
    }

    private static async Task<IResult> GetAsync(string id, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var customer = await Customers.GetAsync(sql, caller.ProgramId, id);
            var history = await Customers.RecentEntriesAsync(sql, caller.ProgramId, customer.Id, HistoryLength);
            return new CustomerDetails(OwnerCustomer.From(customer),
                history.Select(e => new HistoryEntry(e.Id, e.Points, e.Description, e.Type, e.BalanceAfter, e.CreatedAt)).ToList(),
                customer.PointsBalance);
        }));

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<UpdateCustomerRequest>();
        string? first = null, last = null;
        if (input.Name is not null)
        {
            (first, last) = LoyaltyPlusNames.Split(string.IsNullOrWhiteSpace(input.Name) ? throw ApiException.Invalid("name", "'name' cannot be empty.") : CheckName(input.Name));
        }
        if (input.Phone is not null && input.Phone.Trim().Length == 0)
        {
            throw ApiException.Invalid("phone", "'phone' cannot be empty.");
        }
        var status = input.Status is null ? null
            : LoyaltyPlusNames.CoreStatus(input.Status) ?? throw ApiException.Invalid("status", "'status' must be ACTIVE or BLOCKED.");
        var fields = Fields(() => CustomerFields.From(new CustomerInput { FirstName = first, LastName = last, Phone = input.Phone, Status = status }));

        return await writes.RunAsync(http, caller, async context =>
        {
            var customer = await Customers.GetAsync(context.Sql, caller.ProgramId, id);
            var updated = await CustomerOperations.UpdateAsync(context, caller.Actor, caller.ProgramId, customer, fields);
            return Reply.Ok(new CustomerResult(true, OwnerCustomer.From(updated)));
        });
    }

    private static async Task<IResult> AdjustAsync(string id, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<AdjustPointsRequest>();
        var points = input.Points ?? throw ApiException.Missing("points");
        if (points == 0 || points is > LedgerRules.MaxPointsPerEntry or < -LedgerRules.MaxPointsPerEntry)
        {
            throw ApiException.Invalid("points", $"'points' must be a non-zero whole number from -{LedgerRules.MaxPointsPerEntry} to {LedgerRules.MaxPointsPerEntry}.");
        }
        var reason = input.Reason?.Trim();
        if (reason is { Length: > MaxReasonLength })
        {
            throw ApiException.Invalid("reason", $"'reason' is limited to {MaxReasonLength} characters.");
        }

        return await writes.RunAsync(http, caller, async context =>
        {
            var customer = await Customers.GetAsync(context.Sql, caller.ProgramId, id);
            // An owner's adjustment: allowed for a blocked customer too, never below zero (the core refuses).
            var posted = await Ledger.PostAsync(context, caller.ProgramId, customer.Id, points, PointsTypes.Adjusted,
                string.IsNullOrEmpty(reason) ? "Adjusted by the owner" : reason, null, caller.KeyId);
            return Reply.Ok(new AdjustPointsResponse(true, posted.Transaction.BalanceAfter, points));
        });
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, Caller caller, Writes writes)
    {
        await RequestBody.ReadBytesAsync(http);
        return await writes.RunAsync(http, caller, async context =>
        {
            var customer = await Customers.GetAsync(context.Sql, caller.ProgramId, id);
            await CustomerOperations.EraseAsync(context, caller.Actor, caller.ProgramId, customer);
            return Reply.Ok(new DeleteResponse(true, "Customer deleted permanently"));
        });
    }

    private static string CheckName(string name) =>
        name.Trim().Length > LoyaltyPlusNames.MaxNameLength
            ? throw ApiException.Invalid("name", $"'name' is limited to {LoyaltyPlusNames.MaxNameLength} characters.")
            : name.Trim();

    /// <summary>The core's validation, with Loyalty+'s field names in its errors.</summary>
    private static CustomerFields Fields(Func<CustomerFields> read)
    {
        try
        {
            return read();
        }
        catch (OperationException e) when (e.Param is "first_name" or "last_name")
        {
            throw ApiException.Invalid("name", e.Message.Replace(e.Param, "name", StringComparison.Ordinal));
        }
    }

    private static int Int(string raw, string name, int fallback, int min, int max)
    {
        if (raw.Length == 0)
        {
            return fallback;
        }
        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw ApiException.Invalid(name, $"'{name}' must be a whole number from {min} to {max}.");
    }
}
