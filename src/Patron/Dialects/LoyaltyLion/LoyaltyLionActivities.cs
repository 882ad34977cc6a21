using System.Text.Json;
using Patron.Api;
using Patron.Domain;
using Patron.Storage;
using static Patron.Dialects.LoyaltyLion.LoyaltyLionInput;

namespace Patron.Dialects.LoyaltyLion;

/// <summary>
/// LoyaltyLion's activities: <c>$signup</c> and custom names earn through the core's earn rules
/// (<see cref="Activities"/>). A <c>$signup</c> for a customer Patron does not know yet creates them.
/// </summary>
internal static class LoyaltyLionActivities
{
    /// <summary>The body of POST /activities.</summary>
    public sealed class ActivityBody
    {
        public string? Name { get; set; }
        public JsonElement? CustomerId { get; set; }
        public string? CustomerEmail { get; set; }
        public JsonElement? Properties { get; set; }
        public string? Date { get; set; }
        public string? MerchantId { get; set; }
        public string? ReferralId { get; set; }
    }

    public static void MapLoyaltyLionActivities(this RouteGroupBuilder routes) =>
        routes.MapPost("/activities", Create)
            .WithSummary("Track an activity: $signup or a custom name; earns per the matching earn rule")
            .Accepts<ActivityBody>("application/json").Produces(201);

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes)
    {
        var body = await http.ReadJsonAsync<ActivityBody>();
        var type = Activities.CheckType(body.Name, "name");
        var customerId = Id(body.CustomerId, "customer_id") ?? throw OperationException.Missing("customer_id");
        var reference = Activities.CheckReference(body.MerchantId?.Trim(), "merchant_id");
        var properties = Activities.CheckProperties(body.Properties, "properties");
        Date(body.Date, "date");
        var signup = type == ActivityTypes.Signup;

        await writes.RunAsync(http, caller, async context =>
        {
            var customer = signup
                ? await CustomerAsync(context, caller.ProgramId, customerId, body.CustomerEmail, body.ReferralId?.Trim(), caller.KeyId)
                : await Customers.ByColumnAsync(context.Sql, caller.ProgramId, "external_id", customerId)
                    ?? throw OperationException.NotFound("customer", customerId);
            try
            {
                var (activity, _) = await Activities.RecordAsync(context, new Activities.Request(
                    caller.ProgramId, customer.Id, type, null, reference, properties, caller.KeyId));
                return Reply.Created(activity);
            }
            catch (OperationException e) when (e.Code is "no_matching_rule" or "rule_limit_reached")
            {
                // LoyaltyLion takes every activity; only a matching rule with room left earns. Nothing was
                // written by the activity (its checks come before its writes), the new customer stays.
                return Reply.Created(customer);
            }
        });
        return Results.StatusCode(201);
    }
}
