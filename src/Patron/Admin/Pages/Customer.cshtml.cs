using Microsoft.AspNetCore.Mvc;
using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Operations.Points;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

public sealed class CustomerDetailModel(Database database, IWritePath writes) : AdminPage
{
    public CustomerDto? Customer { get; private set; }

    public CursorPage<PointsTransactionDto>? Ledger { get; private set; }

    /// <summary>A reference for the adjust form: posting the same form twice posts one entry.</summary>
    public string NewReference { get; } = Ids.New("adm_");

    public async Task<IActionResult> OnGetAsync(string id, [FromQuery(Name = "starting_after")] string? startingAfter) =>
        await LoadAsync(id, Cursor(startingAfter)) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAdjustAsync(string id, string? points, string? reason, string? reference)
    {
        if (!await LoadAsync(id, null))
        {
            return NotFound();
        }
        if (!long.TryParse(points, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var amount)
            || amount == 0 || amount is > LedgerRules.MaxPointsPerEntry or < -LedgerRules.MaxPointsPerEntry)
        {
            return Refuse("Points must be a non-zero whole number.");
        }
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 500)
        {
            return Refuse("Give a reason of up to 500 characters.");
        }
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        var customerId = Customer!.Id;
        var post = new PointsPost(amount, PointsTypes.Adjusted, reason.Trim(), reference is { Length: > 0 and <= Limits.ReferenceLength } r ? r : null);
        var posted = await TryAsync(() => writes.RunAsync(context => PointsOperations.PostAsync(context, staff, programId, customerId, post)));
        if (!posted)
        {
            await LoadAsync(id, null);
            return Page();
        }
        Notice = $"Adjusted by {amount} points.";
        return Redirect($"/admin/customers/{customerId}");
    }

    public async Task<IActionResult> OnPostStatusAsync(string id, string? status)
    {
        if (!await LoadAsync(id, null))
        {
            return NotFound();
        }
        if (status is not (CustomerStatus.Active or CustomerStatus.Blocked))
        {
            return Refuse("The status must be active or blocked.");
        }
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        var customer = Customer!;
        var changed = await TryAsync(() => writes.RunAsync(context => CustomerOperations.SetStatusAsync(context, staff, programId, customer.Id, status)));
        if (!changed)
        {
            return Page();
        }
        Notice = status == CustomerStatus.Blocked ? "The customer is blocked." : "The customer is unblocked.";
        return Redirect($"/admin/customers/{customer.Id}");
    }

    private async Task<bool> LoadAsync(string id, string? after)
    {
        var programId = Actor.ProgramId;
        Customer = await CustomerQueries.ByIdAsync(database, programId, id);
        Ledger = Customer is null ? null : await LedgerQueries.PageForCustomerAsync(database, programId, Customer.Id, after, PageSize);
        return Customer is not null;
    }
    /// <summary>Whether the page shows the erasure's confirmation step (<c>?erase=confirm</c>).</summary>
    public bool ConfirmingErase => Request.Query["erase"] == "confirm";

    /// <summary>
    /// Erases the customer's personal data (the core's erase operation; the ledger stays). Owners only, and
    /// only with the confirmation step's box ticked.
    /// </summary>
    public async Task<IActionResult> OnPostEraseAsync(string id, string? confirm)
    {
        if (!await LoadAsync(id, null))
        {
            return NotFound();
        }
        if (!Actor.IsOwner)
        {
            Error = "Only an owner of the program may erase a customer.";
            Response.StatusCode = 403;
            return Page();
        }
        if (confirm != "yes")
        {
            return Refuse("Tick the box to confirm the erasure: it cannot be undone.");
        }
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        var customerId = Customer!.Id;
        var erased = await TryAsync(() => writes.RunAsync(context => CustomerOperations.EraseAsync(context, staff, programId, customerId)));
        if (!erased)
        {
            return Page();
        }
        Notice = $"Customer {customerId} is erased: their personal data is gone, their ledger stays.";
        return Redirect("/admin/customers");
    }
}
