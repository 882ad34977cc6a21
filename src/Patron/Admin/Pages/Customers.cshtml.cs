using Microsoft.AspNetCore.Mvc;
using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

public sealed class CustomersModel(Database database) : AdminPage
{
    public string? Q { get; private set; }

    public string? Status { get; private set; }

    public CursorPage<CustomerDto>? Result { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? q, string? status, [FromQuery(Name = "starting_after")] string? startingAfter)
    {
        Q = q?.Trim() is { Length: > 0 and <= 200 } t ? t : null;
        Status = status is CustomerStatus.Active or CustomerStatus.Blocked ? status : null;
        var programId = Actor.ProgramId;
        var after = Cursor(startingAfter);
        // An exact identifier (id, external id, email, phone, QR value) opens that customer.
        if (Q is not null && after is null && await CustomerQueries.FindAsync(database, programId, Q) is { } exact)
        {
            return Redirect($"/admin/customers/{exact.Id}");
        }
        Result = await CustomerQueries.BrowseAsync(database, programId, Q, Status, after, PageSize);
        return Page();
    }
}
