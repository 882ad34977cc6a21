using Patron.Api;
using Patron.Domain;
using Patron.Operations.Orders;
using Patron.Storage;

namespace Patron.Dialects.LoyaltyDog;

/// <summary>
/// LoyaltyDog's points transactions, each one entry of Patron's ledger: <c>earn</c> turns a sale's amount into
/// points as a paid order of that amount would earn, <c>redeem</c> spends points, <c>adjust</c> moves them
/// either way. A <c>reference</c> already used for the customer answers the first transaction and moves nothing.
/// </summary>
public static class LoyaltyDogTransactions
{
    public static void Map(RouteGroupBuilder routes)
    {
        routes.MapPost("/loyalty/programs/{programId}/transactions", Post)
            .WithSummary("Record an earn (sale amount in minor units), redeem or adjust; a repeated reference moves nothing")
            .Accepts<LoyaltyDogTransactionInput>("application/json").Produces<LoyaltyDogTransaction>(201).Produces<LoyaltyDogTransaction>();
        routes.MapGet("/loyalty/programs/{programId}/transactions/{transactionId}", Get)
            .WithSummary("One points transaction").Produces<LoyaltyDogTransaction>();
    }

    private sealed record Checked(string CustomerRef, string Type, long? Amount, string? Currency, long? Points, string? Reference);

    private static Checked Validate(LoyaltyDogTransactionInput input)
    {
        var customer = string.IsNullOrWhiteSpace(input.CustomerId) ? throw ApiException.Missing("customerId") : input.CustomerId.Trim();
        if (customer.Length > Limits.IdLength)
        {
            throw ApiException.Invalid("customerId", $"'customerId' is limited to {Limits.IdLength} characters.");
        }
        var type = input.Type ?? throw ApiException.Missing("type");
        if (input.Reference is { } r && (r.Length is 0 or > Limits.IdLength))
        {
            throw ApiException.Invalid("reference", $"'reference' must be 1 to {Limits.IdLength} characters.");
        }
        Ledger.CheckCallerReference(input.Reference, "reference");
        string? currency = null;
        if (input.Currency is { } c)
        {
            if (c.Length != 3 || !c.All(char.IsAsciiLetter))
            {
                throw ApiException.Invalid("currency", "'currency' must be a three-letter ISO 4217 code.");
            }
            currency = c.ToUpperInvariant();
        }

        switch (type)
        {
            case LoyaltyDogTransaction.Earn:
                var amount = input.Amount ?? throw ApiException.Missing("amount");
                // The bound is the native order total's, in minor units of the largest minor unit (4 decimals).
                if (amount is <= 0 or > MaxAmountMinor)
                {
                    throw ApiException.Invalid("amount", $"'amount' must be a whole number of minor units from 1 to {MaxAmountMinor}.");
                }
                if (input.Points is not null)
                {
                    throw ApiException.Invalid("points", "An earn's points come from its 'amount'; send 'points' only with 'redeem' or 'adjust'.");
                }
                return new Checked(customer, type, amount, currency, null, input.Reference);
            case LoyaltyDogTransaction.Redeem or LoyaltyDogTransaction.Adjust:
                if (input.Amount is not null || input.Currency is not null)
                {
                    throw ApiException.Invalid(input.Amount is not null ? "amount" : "currency",
                        "'amount' and 'currency' belong to an earn; a redeem or adjust moves 'points'.");
                }
                var points = input.Points ?? throw ApiException.Missing("points");
                if (type == LoyaltyDogTransaction.Redeem && points is <= 0 or > LedgerRules.MaxPointsPerEntry)
                {
                    throw ApiException.Invalid("points", $"A redeem's 'points' must be a whole number from 1 to {LedgerRules.MaxPointsPerEntry}.");
                }
                if (type == LoyaltyDogTransaction.Adjust && (points == 0 || points is > LedgerRules.MaxPointsPerEntry or < -LedgerRules.MaxPointsPerEntry))
                {
                    throw ApiException.Invalid("points",
                        $"An adjust's 'points' must be a non-zero whole number from -{LedgerRules.MaxPointsPerEntry} to {LedgerRules.MaxPointsPerEntry}.");
                }
                return new Checked(customer, type, null, null, points, input.Reference);
            default:
                throw ApiException.Invalid("type", "'type' must be 'earn', 'redeem' or 'adjust'.");
        }
    }

    /// <summary>The largest sale amount in minor units: the native order bound (a trillion in the major unit) at 4 decimals.</summary>
    public const long MaxAmountMinor = 10_000_000_000_000_000;

    private static async Task<IResult> Post(string programId, HttpContext http, Caller caller, IWritePath writes)
    {
        LoyaltyDogDialect.RequireProgram(caller, programId);
        var input = Validate(await http.ReadJsonAsync<LoyaltyDogTransactionInput>());

        var posted = await writes.RunAsync(async context =>
        {
            var sql = context.Sql;
            var customerId = (await Customers.GetTargetAsync(sql, caller.ProgramId, input.CustomerRef)).Id;
            // Under the customer's lock a repeated reference finds the first entry, however many retries race.
            await Ledger.LockCustomerAsync(context, customerId);
            if (input.Reference is { } reference && await Ledger.ByReferenceAsync(sql, customerId, reference) is { } earlier)
            {
                return new Ledger.Posted(earlier, false);
            }
            var customer = await Customers.StateAsync(sql, caller.ProgramId, customerId);
            // As on the native ledger: a blocked customer earns and redeems nothing; the merchant may still adjust.
            if (input.Type != LoyaltyDogTransaction.Adjust)
            {
                CustomerStatus.EnsureNotBlocked(customer.Status);
            }
            return input.Type switch
            {
                LoyaltyDogTransaction.Earn => await EarnAsync(context, caller, customer, input),
                LoyaltyDogTransaction.Redeem => await Ledger.PostAsync(context, caller.ProgramId, customerId, -input.Points!.Value,
                    PointsTypes.Redeemed, null, input.Reference, caller.KeyId),
                _ => await Ledger.PostAsync(context, caller.ProgramId, customerId, input.Points!.Value,
                    PointsTypes.Adjusted, null, input.Reference, caller.KeyId),
            };
        });
        return LoyaltyDogJson.Reply(posted.Created ? 201 : 200, LoyaltyDogTransaction.From(caller.ProgramId, posted.Transaction));
    }

    /// <summary>
    /// A sale: its amount converted to points at the rate a paid order of the same total earns now, pending for
    /// the program's <c>points_delay_days</c> as an order's points are.
    /// </summary>
    private static async Task<Ledger.Posted> EarnAsync(WriteContext context, Caller caller, Customers.State customer, Checked input)
    {
        var settings = await OrderSettings.ReadAsync(context.Sql, caller.ProgramId);
        var currency = input.Currency ?? settings.Currency;
        if (currency != settings.Currency)
        {
            throw ApiException.Unprocessable("currency_mismatch", $"This program counts in {settings.Currency}, not {currency}.", "currency");
        }
        if (settings.EarnMode != EarnModes.Spend)
        {
            throw ApiException.Unprocessable("earn_mode_unsupported",
                $"This program earns by {settings.EarnMode}, not by amount spent: an earn cannot be converted to points.", "type");
        }
        var total = Money.FromMinor(input.Amount!.Value, currency);
        if (total > Limits.MaxAmount)
        {
            throw ApiException.Invalid("amount", $"'amount' is more than {Limits.MaxAmount} {currency}.");
        }
        var points = await OrderPricing.PointsForSpendAsync(context, caller.ProgramId, settings, customer, total);
        long? availableAt = points > 0 && settings.PointsDelayDays > 0
            ? context.Now.AddDays(settings.PointsDelayDays).ToUnixTimeMilliseconds()
            : null;
        return await Ledger.PostAsync(context, new Ledger.Entry(caller.ProgramId, customer.Id, points, PointsTypes.Earned,
            LoyaltyDogTransaction.SaleDescription(input.Amount.Value, currency), input.Reference, caller.KeyId, AvailableAtMs: availableAt));
    }

    private static async Task<IResult> Get(string programId, string transactionId, Caller caller, Database db)
    {
        LoyaltyDogDialect.RequireProgram(caller, programId);
        var entry = await db.ReadAsync(sql => Ledger.ByIdAsync(sql, caller.ProgramId, transactionId))
            ?? throw ApiException.NotFound("transaction", transactionId);
        return LoyaltyDogJson.Reply(200, LoyaltyDogTransaction.From(caller.ProgramId, entry));
    }
}
