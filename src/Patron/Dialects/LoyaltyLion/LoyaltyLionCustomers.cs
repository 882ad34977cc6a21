using System.Text.Json;
using Patron.Api;
using Patron.Domain;
using Patron.Operations.RewardsAndRedemptions;
using Patron.Storage;
using static Patron.Dialects.LoyaltyLion.LoyaltyLionInput;

namespace Patron.Dialects.LoyaltyLion;

/// <summary>
/// LoyaltyLion's customers (read: by the merchant's <c>customer_id</c>, Patron's external_id), the
/// referral code each customer shares (<c>referral_id</c>), and importing voucher codes into a reward.
/// </summary>
internal static class LoyaltyLionCustomers
{
    /// <summary>A customer as LoyaltyLion shows it; points_approved is the spendable balance.</summary>
    public sealed record LoyaltyLionCustomer(
        string Id, string? MerchantId, string? Email, long PointsApproved, long PointsPending, long PointsSpent,
        CustomerProperties Properties, bool Blocked, bool Guest, bool Enrolled, DateTimeOffset EnrolledAt,
        string? Birthday, string ReferralId, TierMembership? LoyaltyTierMembership,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    public sealed record CustomerProperties(string? FirstName, string? LastName);

    public sealed record TierMembership(Tier LoyaltyTier);

    public sealed record Tier(string Name);

    public sealed record CustomerList(List<LoyaltyLionCustomer> Customers, LoyaltyLionOrders.Cursor Cursor);

    /// <summary>The answer to POST /rewards/{id}/voucher_codes (whose body is <c>{"codes": [...]}</c>, or a bare array).</summary>
    public sealed record ImportAnswer(string RewardId, int Received, int Imported, int DuplicateCount, List<string> Duplicates);

    public static void MapLoyaltyLionCustomers(this RouteGroupBuilder routes)
    {
        routes.MapGet("/customers", List).WithSummary("Customers, oldest first; ?email= and ?merchant_id= filter (cursor, limit 1-500)")
            .Produces<CustomerList>();
        routes.MapGet("/customers/{merchant_id}", Get).WithSummary("One customer by the merchant's customer id")
            .Produces<LoyaltyLionCustomer>();
        routes.MapPost("/rewards/{id}/voucher_codes", ImportCodes).WithSummary("Import voucher codes into a reward's pool (admin key)")
            .Produces<ImportAnswer>(201);
    }

    public static LoyaltyLionCustomer Show(CustomerDto c) => new(
        c.Id, c.ExternalId, c.Email, c.PointsBalance, c.PendingPoints, c.PointsSpent,
        new CustomerProperties(c.FirstName, c.LastName), c.Status == CustomerStatus.Blocked, Guest: false, Enrolled: true,
        c.CreatedAt, c.Birthday, c.ReferralCode, c.VipTier is { } tier ? new TierMembership(new Tier(tier)) : null,
        c.CreatedAt, c.UpdatedAt);

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var limit = Limit(request);
        var cursor = request.Query["cursor"].ToString() is { Length: > 0 } c ? c : null;
        var email = request.Query["email"].ToString();
        var merchantId = request.Query["merchant_id"].ToString();
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var page = await Customers.PageAfterAsync(sql, caller.ProgramId, email, merchantId, limit + 1, cursor);
            var more = page.Count > limit;
            var shown = page.Take(limit).Select(Show).ToList();
            return new CustomerList(shown, new LoyaltyLionOrders.Cursor(null, more ? shown[^1].Id : null));
        }));
    }

    private static async Task<IResult> Get(string merchant_id, Caller caller, Database db) =>
        TypedResults.Ok(Show(await db.ReadAsync(async sql =>
            await Customers.ByColumnAsync(sql, caller.ProgramId, "external_id", merchant_id)
                ?? throw OperationException.NotFound("customer", merchant_id))));

    private static async Task<IResult> ImportCodes(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        var codes = Vouchers.Clean(await ReadCodesAsync(http), "codes");
        return await writes.RunAsync(http, caller, async context =>
        {
            var result = await VoucherOperations.ImportAsync(context, caller.Actor, caller.ProgramId, id, codes);
            return Reply.Created(new ImportAnswer(result.RewardId, result.Received, result.Imported, result.DuplicateCount, result.Duplicates));
        });
    }

    private static async Task<List<string?>> ReadCodesAsync(HttpContext http)
    {
        var bytes = await RequestBody.ReadBytesAsync(http);
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw ApiException.Malformed("The request body is not valid JSON.");
        }
        RequestBody.RejectUnstorableText(bytes, "codes");
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("codes", out var inner))
        {
            root = inner;
        }
        return root.ValueKind == JsonValueKind.Array && root.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
            ? [.. root.EnumerateArray().Select(e => e.GetString())]
            : throw OperationException.Invalid("codes", "'codes' must be an array of voucher code strings.");
    }
}
