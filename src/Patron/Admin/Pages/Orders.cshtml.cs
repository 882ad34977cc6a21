using Microsoft.AspNetCore.Mvc;
using Patron.Domain;
using Patron.Operations.Orders;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

public sealed class OrdersModel(Database database) : AdminPage
{
    public static readonly string[] Statuses = [OrderStatus.Placed, OrderStatus.Paid, OrderStatus.Refunded, OrderStatus.Cancelled];

    public string? Status { get; private set; }

    public List<OrderDto> Rows { get; private set; } = [];

    public string? Next { get; private set; }

    public async Task OnGetAsync(string? status, [FromQuery(Name = "starting_after")] string? startingAfter)
    {
        Status = Statuses.Contains(status) ? status : null;
        // Orders are keyed by the merchant's own ids: any short text may be a cursor.
        var after = startingAfter is { Length: > 0 and <= 200 } a ? a : null;
        var page = await OrderQueries.BrowseAsync(database, Actor.ProgramId, Status, after, PageSize);
        Rows = page.Rows;
        Next = page.NextCursor(o => o.Id);
    }
}
