using Patron.Api;
using Patron.Operations.GiftCardAccounts;
using Patron.Storage;

namespace Patron.Dialects.LoyaltyDog;

/// <summary>A gift card's balance by its code, in minor units of the card's currency.</summary>
public static class LoyaltyDogGiftCards
{
    public static void Map(RouteGroupBuilder routes) =>
        routes.MapGet("/gift-cards/{code}", Get).WithSummary("A gift card's balance and status, by its code")
            .Produces<LoyaltyDogGiftCard>();

    private static async Task<IResult> Get(string code, Caller caller, Database db, TimeProvider clock)
    {
        var card = await GiftCardOperations.GetAsync(db, caller.ProgramId, code, clock.GetUtcNow().ToUnixTimeMilliseconds());
        return LoyaltyDogJson.Reply(200, LoyaltyDogGiftCard.From(card));
    }
}
