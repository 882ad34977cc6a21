using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Points;

/// <summary>
/// An entry a caller posts to a customer's ledger. <c>Type</c> is <c>earned</c>, <c>adjusted</c>,
/// <c>redeemed</c> or the caller's own label (then the kind follows the sign); null takes the kind from
/// the sign. <c>Reference</c> makes the post safe to send again.
/// </summary>
public sealed record PointsPost(long? Points, string? Type = null, string? Description = null, string? Reference = null);

/// <summary>
/// Points posted by hand (docs/API.md, Points ledger): awards, spends and manual adjustments from the
/// native API, the dashboard, MCP and the dialects. Every balance change goes through
/// <see cref="Ledger.PostAsync(WriteContext, Ledger.Entry)"/>; a manual adjustment is audited here
/// (docs/AUDIT.md), whichever front door made it.
/// </summary>
public static class PointsOperations
{
    /// <summary>The entry's kind and the caller's label, or the refusal of a malformed entry.</summary>
    public static (string Type, string? Label) Validate(PointsPost input)
    {
        var points = input.Points ?? throw OperationException.Missing("points");
        if (points == 0)
        {
            throw OperationException.Invalid("points", "'points' must be a non-zero whole number.");
        }
        if (points is > LedgerRules.MaxPointsPerEntry or < -LedgerRules.MaxPointsPerEntry)
        {
            throw OperationException.Invalid("points", $"'points' must be from -{Limits.MaxPoints} to {Limits.MaxPoints}.");
        }
        // 'type' is the caller's label. earned, adjusted and redeemed are also the entry's kind; any other
        // label is kept as given and the kind follows the sign, as when no type is sent.
        string? label = null;
        if (input.Type is { } given && !PointsTypes.PostableByClients(given))
        {
            label = PointsTypes.IsValidLabel(given) ? given : throw OperationException.Invalid("type",
                $"'type' is 'earned', 'adjusted', 'redeemed' or a label of your own: 1 to {PointsTypes.MaxLabelLength} letters, digits, " +
                "spaces, '_', '-', '.' or ':', other than the kinds Patron writes itself (expired, reversed, refunded).");
        }
        var type = label is null && input.Type is { } kind ? kind : points > 0 ? PointsTypes.Earned : PointsTypes.Redeemed;
        if (LedgerRules.SignError(type, points) is { } signError)
        {
            throw OperationException.Invalid("points", signError);
        }
        if (input.Description is { Length: > Limits.DescriptionLength })
        {
            throw OperationException.Invalid("description", $"'description' is limited to {Limits.DescriptionLength} characters.");
        }
        if (input.Reference is { } r && (r.Length is 0 or > Limits.ReferenceLength))
        {
            throw OperationException.Invalid("reference", $"'reference' must be 1 to {Limits.ReferenceLength} characters.");
        }
        return (type, label);
    }

    /// <summary>
    /// Posts the entry to the customer named by <paramref name="customerReference"/> in the caller's write.
    /// A blocked customer earns and redeems nothing; the merchant may still adjust the balance. The
    /// entry's author is the actor's id (the API key, or the staff user).
    /// </summary>
    /// <remarks>
    /// Most writes name their customer by Patron id. An award or spend to an active customer named so is posted
    /// without a lookup first: the balance update checks the customer itself. Anything else (another kind of
    /// reference, an adjustment, a retry of a referenced entry, a customer who is not active, a refused amount)
    /// goes the way that looks the customer up, which gives the same answer and the error that says why.
    /// </remarks>
    public static async Task<Ledger.Posted> PostAsync(
        WriteContext context, Actor actor, string programId, string customerReference, PointsPost input)
    {
        var (type, label) = Validate(input);
        if (type != PointsTypes.Adjusted && customerReference.StartsWith(Customers.IdPrefix, StringComparison.Ordinal)
            && await Ledger.PostToActiveCustomerAsync(context, Entry(actor, programId, customerReference, input, type, label)) is { } posted)
        {
            return posted;
        }
        return await PostAsync(context, actor, programId,
            await Customers.GetTargetAsync(context.Sql, programId, customerReference), input, type, label);
    }

    /// <summary>Posts the entry to a customer the front door has already found (read in this write).</summary>
    public static Task<Ledger.Posted> PostAsync(
        WriteContext context, Actor actor, string programId, Customers.Target customer, PointsPost input)
    {
        var (type, label) = Validate(input);
        return PostAsync(context, actor, programId, customer, input, type, label);
    }

    private static async Task<Ledger.Posted> PostAsync(
        WriteContext context, Actor actor, string programId, Customers.Target customer, PointsPost input, string type, string? label)
    {
        if (customer.Status == CustomerStatus.Blocked && type != PointsTypes.Adjusted)
        {
            // A retry of an entry posted before the block still gets the original entry back.
            if (input.Reference is { } repeat && await Ledger.ByReferenceAsync(context.Sql, customer.Id, repeat) is { } earlier)
            {
                return new Ledger.Posted(earlier, false);
            }
            CustomerStatus.EnsureNotBlocked(customer.Status);
        }
        var posted = await Ledger.PostAsync(context, Entry(actor, programId, customer.Id, input, type, label));
        // A manual adjustment is audited; other entries are per-customer awards and spends, whose audit
        // is the ledger itself (each entry names who posted it; docs/AUDIT.md).
        if (posted.Created && posted.Transaction.Kind == PointsTypes.Adjusted)
        {
            var t = posted.Transaction;
            await AuditTrail.RecordAsync(context, actor, programId, AuditActions.PointsAdjusted, customer.Id,
                new { points_balance = customer.PointsBalance },
                new { points_balance = t.BalanceAfter, points = t.Points, type = t.ShownType, t.Description, transaction_id = t.Id },
                customer.Id);
        }
        return posted;
    }

    private static Ledger.Entry Entry(Actor actor, string programId, string customerId, PointsPost input, string type, string? label) =>
        new(programId, customerId, input.Points!.Value, type, input.Description, input.Reference, actor.Id, Label: label);
}
