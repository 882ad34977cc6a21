using Patron.Api;
using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Storage;

namespace Patron.Dialects.LoyaltyDog;

/// <summary>LoyaltyDog's customers: find-or-create, and reads by id (or any reference Patron knows a customer by).</summary>
public static class LoyaltyDogCustomers
{
    /// <summary>Gift cards listed for one customer: the newest this many.</summary>
    public const int MaxGiftCardsListed = 100;

    public static void Map(RouteGroupBuilder routes)
    {
        routes.MapPost("/customers", FindOrCreate)
            .WithSummary("Find the customer with this customIdentifier, email or phone in programId, or create one")
            .Accepts<LoyaltyDogCustomerInput>("application/json").Produces<LoyaltyDogCustomer>(201).Produces<LoyaltyDogCustomer>();
        routes.MapGet("/customers/{customerId}", Get).WithSummary("A customer").Produces<LoyaltyDogCustomer>();
        routes.MapGet("/loyalty/programs/{programId}/customers/{customerId}", GetInProgram)
            .WithSummary("A customer of the program").Produces<LoyaltyDogCustomer>();
        routes.MapGet("/loyalty/programs/{programId}/customers/{customerId}/balance", Balance)
            .WithSummary("A customer's points balance").Produces<LoyaltyDogBalance>();
        routes.MapGet("/customers/{customerId}/gift-cards", GiftCards)
            .WithSummary("The gift cards given to a customer, newest first (codes are not shown)").Produces<LoyaltyDogList<LoyaltyDogGiftCard>>();
    }

    private static async Task<IResult> FindOrCreate(HttpContext http, Caller caller, IWritePath writes)
    {
        var input = await http.ReadJsonAsync<LoyaltyDogCustomerInput>();
        LoyaltyDogDialect.RequireProgram(caller, input.ProgramId);
        if (input.CustomIdentifier is { } a && input.ExternalId is { } b && a.Trim() != b.Trim())
        {
            throw ApiException.Invalid("customIdentifier", "'customIdentifier' and 'externalId' name the same field; send one, or the same value.");
        }
        var fields = CustomerFields.From(new CustomerInput
        {
            ExternalId = input.CustomIdentifier ?? input.ExternalId,
            Email = input.Email,
            Phone = input.Phone,
            FirstName = input.FirstName,
            LastName = input.LastName,
        });
        if (string.IsNullOrEmpty(fields.ExternalId) && string.IsNullOrEmpty(fields.Email) && string.IsNullOrEmpty(fields.Phone))
        {
            throw ApiException.Missing("email, phone or customIdentifier");
        }
        var (customer, created) = await writes.RunAsync(context =>
            CustomerOperations.CreateOrUpdateAsync(context, caller.ProgramId, fields, 0, null, caller.KeyId));
        return LoyaltyDogJson.Reply(created ? 201 : 200, LoyaltyDogCustomer.From(caller.ProgramId, customer, PassLink(http, caller, customer)));
    }

    private static async Task<IResult> Get(HttpContext http, string customerId, Caller caller, Database db)
    {
        var customer = await db.ReadAsync(sql => Customers.GetAsync(sql, caller.ProgramId, customerId));
        return LoyaltyDogJson.Reply(200, LoyaltyDogCustomer.From(caller.ProgramId, customer, PassLink(http, caller, customer)));
    }

    private static string? PassLink(HttpContext http, Caller caller, CustomerDto customer) =>
        Members.WalletEndpoints.ApplePassLink(http, http.RequestServices.GetRequiredService<Operations.Wallet.ApplePasses>(),
            caller.ProgramId, customer.Id);

    private static Task<IResult> GetInProgram(HttpContext http, string programId, string customerId, Caller caller, Database db)
    {
        LoyaltyDogDialect.RequireProgram(caller, programId);
        return Get(http, customerId, caller, db);
    }

    private static async Task<IResult> Balance(string programId, string customerId, Caller caller, Database db)
    {
        LoyaltyDogDialect.RequireProgram(caller, programId);
        var c = await db.ReadAsync(sql => Customers.GetAsync(sql, caller.ProgramId, customerId));
        return LoyaltyDogJson.Reply(200, new LoyaltyDogBalance(c.Id, caller.ProgramId, c.PointsBalance, c.PendingPoints, c.LifetimePoints, c.PointsSpent));
    }

    private static async Task<IResult> GiftCards(string customerId, Caller caller, Database db, TimeProvider clock)
    {
        var cards = await db.ReadAsync(async sql =>
        {
            var customer = await Customers.GetAsync(sql, caller.ProgramId, customerId);
            return await Storage.GiftCards.ForCustomerAsync(sql, caller.ProgramId, customer.Id,
                clock.GetUtcNow().ToUnixTimeMilliseconds(), MaxGiftCardsListed);
        });
        return LoyaltyDogJson.Reply(200, new LoyaltyDogList<LoyaltyDogGiftCard>([.. cards.Select(LoyaltyDogGiftCard.From)]));
    }
}
