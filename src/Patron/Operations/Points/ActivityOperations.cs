using System.Text.Json;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.Points;

/// <summary>
/// An activity as a caller reports it (docs/API.md, Activities): the customer (any reference), the type,
/// explicit points (awarded exactly) or none (the matching earn rule decides), a reference that makes
/// the report safe to send again, and free-form properties.
/// </summary>
public sealed record ActivityReport(string? CustomerId, string? Type, long? Points, string? Reference, JsonElement? Properties);

/// <summary>An activity report after validation: the customer reference, the canonical type, the properties as JSON.</summary>
public sealed record ValidActivity(string CustomerReference, string Type, long? Points, string? Reference, string? PropertiesJson);

/// <summary>
/// Activities (docs/API.md, Activities): a customer did something that earns points per the earn rules.
/// The earning itself (rule, limits, ledger entry) is <see cref="Activities.RecordAsync"/>, under the
/// customer's lock; this is what every front door calls.
/// </summary>
public static class ActivityOperations
{
    /// <summary>What an activity report is refused for before the write.</summary>
    public static ValidActivity Validate(ActivityReport input)
    {
        var customerRef = input.CustomerId?.Trim() is { Length: > 0 } c ? c : throw OperationException.Missing("customer_id");
        var type = Activities.CheckType(input.Type, "type");
        if (input.Points is < 1 or > LedgerRules.MaxPointsPerEntry)
        {
            throw OperationException.Invalid("points", $"'points' must be a whole number from 1 to {LedgerRules.MaxPointsPerEntry}.");
        }
        var reference = Activities.CheckReference(input.Reference, "reference");
        var properties = Activities.CheckProperties(input.Properties, "properties");
        return new ValidActivity(customerRef, type, input.Points, reference, properties);
    }

    /// <summary>
    /// Records the activity for the customer it names, authored by the actor; a repeated reference
    /// answers the activity recorded first (<c>Created</c> false).
    /// </summary>
    public static async Task<(ActivityDto Activity, bool Created)> RecordAsync(WriteContext context, Actor actor, string programId, ValidActivity input)
    {
        var customer = await Customers.GetTargetAsync(context.Sql, programId, input.CustomerReference);
        return await Activities.RecordAsync(context, new Activities.Request(
            programId, customer.Id, input.Type, input.Points, input.Reference, input.PropertiesJson, actor.Id));
    }

    /// <summary>
    /// Activities that earned, newest first; <paramref name="customerReference"/> (any reference) and
    /// <paramref name="type"/> filter when not empty.
    /// </summary>
    public static Task<ListEnvelope<ActivityDto>> ListAsync(Database db, string programId, string customerReference, string type, Paging paging) =>
        db.ReadAsync(async sql =>
        {
            var filter = (await new ListFilter(programId).AddCustomerAsync(sql, customerReference))
                .Add("type = @t", "t", ActivityTypes.Canonical(type));
            return await Activities.ListAsync(sql, paging, filter);
        });

    /// <summary>One activity of the program.</summary>
    public static Task<ActivityDto> GetAsync(Database db, string programId, string id) =>
        db.ReadAsync(async sql => await Activities.GetAsync(sql, programId, id) ?? throw OperationException.NotFound("activity", id));
}
