using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Orders;

/// <summary>
/// A purchase at the till (the dashboard's POS screen, docs/ADMIN.md): a paid order for a customer who is not
/// blocked, priced by the program's earn mode as every order is. Sending the same order id again creates nothing.
/// </summary>
public static class TillOperations
{
    public static async Task<OrderDto> AwardPurchaseAsync(
        WriteContext context, string programId, string actor, string customerId, string orderId, decimal? total, long? units)
    {
        var customer = await Customers.ByIdAsync(context.Sql, programId, customerId) ?? throw OperationException.NotFound("customer", customerId);
        Customers.EnsureNotBlocked(customer);
        if ((await OrderSettings.ReadAsync(context.Sql, programId)).EarnMode == EarnModes.Stamps)
        {
            throw OperationException.Unprocessable("earn_mode_not_supported", "This program earns stamps, not points.");
        }
        var (placed, _) = await OrderOperations.UpsertAsync(context, programId, actor, orderId, new OrderInput
        {
            CustomerId = customer.Id,
            Total = total ?? 0m,
            Units = units ?? 0,
            Status = OrderStatus.Paid,
        });
        return placed;
    }
}
