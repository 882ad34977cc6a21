using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Patron.Api;
using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Operations.Stamps;
using Patron.Operations.Webhooks;
using Patron.Storage;
using Patron.Webhooks;

namespace Patron.Dialects.LoyaltyLoop;

/// <summary>Loyalty Loop's ten requests, and redeem, over the core (docs/migrate/loyaltyloop.md).</summary>
public static class LoyaltyLoopRoutes
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;
    public const int MaxPage = 100_000;
    public const int RecentTransactions = 20;
    public const int MaxNameLength = 200;

    public static void Map(RouteGroupBuilder routes)
    {
        routes.MapGet("/customers", List).WithSummary("List customers, ?page= (1..100000) and ?limit= (1..100, default 50)")
            .Produces<LoyaltyLoopCustomerList>();
        routes.MapPost("/customers", Create).WithSummary("Create a customer (name, phone required; email optional); a known phone or email updates that customer")
            .Accepts<LoyaltyLoopCustomerInput>("application/json").Produces<LoyaltyLoopCustomer>(201).Produces<LoyaltyLoopCustomer>();
        routes.MapGet("/customers/qr/{qr_code}", GetByQr).WithSummary("A customer by the QR code value on their card")
            .Produces<LoyaltyLoopCustomer>();
        routes.MapGet("/customers/{id}", Get).WithSummary("A customer with their 20 latest transactions")
            .Produces<LoyaltyLoopCustomerDetail>();
        routes.MapPost("/customers/{id}/stamps", StampById).WithSummary("Add 1 to 10 stamps (default 1); a full card issues the reward")
            .Accepts<LoyaltyLoopStampsInput>("application/json").Produces<LoyaltyLoopStampsResult>();
        routes.MapPost("/customers/qr/{qr_code}/stamps", StampByQr).WithSummary("Add 1 to 10 stamps (default 1) by QR code; a full card issues the reward")
            .Accepts<LoyaltyLoopStampsInput>("application/json").Produces<LoyaltyLoopStampsResult>();
        routes.MapPost("/customers/{id}/redeem", RedeemById).WithSummary("Redeem the customer's oldest earned stamp reward")
            .Produces<LoyaltyLoopRedeemResult>();
        routes.MapPost("/customers/qr/{qr_code}/redeem", RedeemByQr).WithSummary("Redeem the oldest earned stamp reward of the customer with this QR code")
            .Produces<LoyaltyLoopRedeemResult>();
        routes.MapGet("/analytics", Analytics).WithSummary("Customers, stamps and rewards over the last ?days= (1..365, default 30) days")
            .Produces<LoyaltyLoopAnalytics>();
        routes.MapGet("/webhooks", ListWebhooks).WithSummary("List webhooks (admin key)").Produces<LoyaltyLoopWebhookList>();
        routes.MapPost("/webhooks", CreateWebhook).WithSummary("Register a webhook; its secret is shown only in this answer (admin key)")
            .Accepts<LoyaltyLoopWebhookInput>("application/json").Produces<LoyaltyLoopWebhook>(201);
        routes.MapDelete("/webhooks/{id}", DeleteWebhook).WithSummary("Delete a webhook (admin key)").Produces<LoyaltyLoopDeleted>();
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db, TimeProvider clock)
    {
        var page = Bounded(request.Query["page"].ToString(), "page", 1, 1, MaxPage);
        var limit = Bounded(request.Query["limit"].ToString(), "limit", DefaultLimit, 1, MaxLimit);
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var (rows, total) = await Customers.PageAsync(sql, caller.ProgramId, search: null, status: null,
                Customers.SortKey.CreatedAt, descending: false, limit, (page - 1) * limit);
            var views = await ViewsAsync(sql, caller.ProgramId, rows, clock.GetUtcNow().ToUnixTimeMilliseconds());
            return new LoyaltyLoopCustomerList(views, new LoyaltyLoopPagination(page, limit, total, (total + limit - 1) / limit));
        }));
    }

    private static async Task<IResult> Get(string id, Caller caller, Database db, TimeProvider clock)
    {
        var nowMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
        return TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var customer = await Customers.GetAsync(sql, caller.ProgramId, id);
            var view = (await ViewsAsync(sql, caller.ProgramId, [customer], nowMs))[0];
            var recent = await Customers.RecentActivityAsync(sql, caller.ProgramId, customer.Id, RecentTransactions, nowMs);
            return new LoyaltyLoopCustomerDetail(view.Id, view.Name, view.Phone, view.Email, view.QrCode, view.CurrentStamps,
                view.TotalStamps, view.StampsRequired, view.RewardsAvailable, view.Status, view.CreatedAt, view.UpdatedAt,
                recent.Select(a => new LoyaltyLoopTransaction(a.Id, a.Kind, a.Stamps, a.RewardsIssued, a.Points, a.PointsType,
                    a.Description, a.RewardId, a.Status, a.At)).ToList());
        }));
    }

    private static async Task<IResult> GetByQr([FromRoute(Name = "qr_code")] string qrCode, Caller caller, Database db, TimeProvider clock) =>
        TypedResults.Ok(await db.ReadAsync(async sql =>
        {
            var customer = await ByQrAsync(sql, caller.ProgramId, qrCode);
            return (await ViewsAsync(sql, caller.ProgramId, [customer], clock.GetUtcNow().ToUnixTimeMilliseconds()))[0];
        }));

    private static async Task<IResult> Create(HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<LoyaltyLoopCustomerInput>();
        var name = input.Name?.Trim() is { Length: > 0 } n ? n : throw OperationException.Missing("name");
        if (name.Length > MaxNameLength)
        {
            throw OperationException.Invalid("name", $"'name' is limited to {MaxNameLength} characters.");
        }
        if (string.IsNullOrWhiteSpace(input.Phone))
        {
            throw OperationException.Missing("phone");
        }
        // "Ada Lovelace" is first name "Ada", last name "Lovelace"; a single word is a first name.
        var space = name.IndexOfAny([' ', '\t']);
        var fields = CustomerFields.From(new CustomerInput
        {
            FirstName = space < 0 ? name : name[..space],
            LastName = space < 0 ? "" : name[(space + 1)..].Trim(),
            Phone = input.Phone,
            Email = string.IsNullOrWhiteSpace(input.Email) ? null : input.Email,
        });
        return await writes.RunAsync(http, caller, async context =>
        {
            var (customer, created) = await CustomerOperations.CreateOrUpdateAsync(context, caller.ProgramId, fields, 0, null, caller.KeyId);
            var view = (await ViewsAsync(context.Sql, caller.ProgramId, [customer], context.NowMs))[0];
            return created ? Reply.Created(view) : Reply.Ok(view);
        });
    }

    private static Task<IResult> StampById(string id, HttpContext http, Caller caller, Writes writes) =>
        StampAsync(http, caller, writes, sql => Customers.GetAsync(sql, caller.ProgramId, id));

    private static Task<IResult> StampByQr([FromRoute(Name = "qr_code")] string qrCode, HttpContext http, Caller caller, Writes writes) =>
        StampAsync(http, caller, writes, sql => ByQrAsync(sql, caller.ProgramId, qrCode));

    /// <summary>Through the core's stamp card: every full card issues one reward and the remainder stays on the card.</summary>
    private static async Task<IResult> StampAsync(HttpContext http, Caller caller, Writes writes, Func<Sql, Task<CustomerDto>> find)
    {
        var input = await http.ReadJsonAsync<LoyaltyLoopStampsInput>();
        var stamps = StampOperations.Validate(input.Stamps ?? 1, null);
        return await writes.RunAsync(http, caller, async context =>
        {
            var customer = await find(context.Sql);
            var added = (StampsDto)(await StampOperations.AddAsync(context, caller.ProgramId, customer.Id, stamps, null, caller.KeyId)).Body;
            var after = (await Customers.ByIdAsync(context.Sql, caller.ProgramId, customer.Id))!;
            var view = (await ViewsAsync(context.Sql, caller.ProgramId, [after], context.NowMs))[0];
            return Reply.Ok(new LoyaltyLoopStampsResult(customer.Id, stamps, added.CurrentStamps, added.StampsRequired,
                added.RewardEarned, added.Rewards.Count, added.Rewards.Select(LoyaltyLoopReward.From).ToList(), view));
        });
    }

    private static Task<IResult> RedeemById(string id, HttpContext http, Caller caller, Writes writes) =>
        RedeemAsync(http, caller, writes, sql => Customers.GetAsync(sql, caller.ProgramId, id));

    private static Task<IResult> RedeemByQr([FromRoute(Name = "qr_code")] string qrCode, HttpContext http, Caller caller, Writes writes) =>
        RedeemAsync(http, caller, writes, sql => ByQrAsync(sql, caller.ProgramId, qrCode));

    private static async Task<IResult> RedeemAsync(HttpContext http, Caller caller, Writes writes, Func<Sql, Task<CustomerDto>> find)
    {
        await RequestBody.ReadBytesAsync(http);
        return await writes.RunAsync(http, caller, async context =>
        {
            var customer = await find(context.Sql);
            var redemption = await Redemptions.RedeemStampRewardAsync(context, caller.ProgramId, customer.Id);
            var view = (await ViewsAsync(context.Sql, caller.ProgramId, [customer], context.NowMs))[0];
            return Reply.Ok(new LoyaltyLoopRedeemResult(true, customer.Id, LoyaltyLoopReward.From(redemption), view));
        });
    }

    private static async Task<IResult> Analytics(HttpRequest request, Caller caller, Database db, TimeProvider clock)
    {
        var window = AnalyticsWindow.Of(AnalyticsWindow.ParseDays(request.Query["days"].ToString()), clock.GetUtcNow());
        var s = await db.ReadAsync(sql => StampCardAnalytics.SummaryAsync(sql, caller.ProgramId, window));
        return TypedResults.Ok(new LoyaltyLoopAnalytics(window.Days, Time.FromMs(window.FromMs), Time.FromMs(window.NowMs),
            s.TotalCustomers, s.NewCustomers, s.ActiveCustomers, s.StampsAdded, s.Visits, s.RewardsEarned, s.RewardsRedeemed));
    }

    private static async Task<IResult> ListWebhooks(Caller caller, Database db)
    {
        caller.RequireAdmin();
        var rows = await WebhookEndpointWrites.ListAllAsync(db, caller.ProgramId);
        return TypedResults.Ok(new LoyaltyLoopWebhookList(rows.Select(r => Webhook(r)).ToList()));
    }

    private static async Task<IResult> CreateWebhook(
        HttpContext http, Caller caller, Writes writes, WebhookSecrets secrets, IOptions<PatronOptions> options)
    {
        caller.RequireAdmin();
        var input = await http.ReadJsonAsync<LoyaltyLoopWebhookInput>();
        var url = input.Url?.Trim() is { Length: > 0 } u ? u : throw OperationException.Missing("url");
        var events = WebhookEndpointWrites.EventsOf(input.Events ?? throw OperationException.Missing("events"));
        await WebhookEndpointWrites.CheckUrlAsync(url, options.Value.Webhooks.AllowPrivateTargets, http.RequestAborted);
        var (row, secret) = WebhookEndpointWrites.NewRow(secrets, caller.ProgramId, url, events!, null, enabled: true);
        return await writes.RunAsync(http, caller, async context =>
        {
            await WebhookEndpointOperations.CreateAsync(context, caller.Actor, row);
            return Reply.Created(Webhook(row, secret));
        });
    }

    private static async Task<IResult> DeleteWebhook(string id, HttpContext http, Caller caller, Writes writes)
    {
        caller.RequireAdmin();
        await RequestBody.ReadBytesAsync(http);
        return await writes.RunAsync(http, caller, async context =>
        {
            await WebhookEndpointOperations.DeleteAsync(context, caller.Actor, caller.ProgramId, id);
            return Reply.Ok(new LoyaltyLoopDeleted(id, true));
        });
    }

    private static LoyaltyLoopWebhook Webhook(WebhookEndpointRow r, string? secret = null) =>
        new(r.Id, r.Url, WebhookEventTypes.Parse(r.Events), r.Enabled, Time.FromMs(r.CreatedAt), secret);

    private static async Task<CustomerDto> ByQrAsync(Sql sql, string programId, string qrCode) =>
        await Customers.ByColumnAsync(sql, programId, "qr_code", qrCode) ?? throw OperationException.NotFound("customer", qrCode);

    /// <summary>Customers as Loyalty Loop shows them: with lifetime stamps, the card's size and unused stamp rewards.</summary>
    private static async Task<List<LoyaltyLoopCustomer>> ViewsAsync(Sql sql, string programId, IReadOnlyList<CustomerDto> customers, long nowMs)
    {
        var ids = customers.Select(c => c.Id).ToList();
        var (required, _) = await StampOperations.CardAsync(sql, programId);
        var lifetime = await StampOperations.LifetimeAsync(sql, programId, ids);
        var available = await Redemptions.StampRewardsAvailableAsync(sql, programId, ids, nowMs);
        return customers.Select(c => new LoyaltyLoopCustomer(
            c.Id, NameOf(c), c.Phone, c.Email, c.QrCode, c.CurrentStamps, lifetime.GetValueOrDefault(c.Id), required,
            available.GetValueOrDefault(c.Id), c.Status, c.CreatedAt, c.UpdatedAt)).ToList();
    }

    private static string? NameOf(CustomerDto c) =>
        string.Join(' ', new[] { c.FirstName, c.LastName }.Where(s => !string.IsNullOrEmpty(s))) is { Length: > 0 } name ? name : null;

    private static int Bounded(string raw, string name, int fallback, int min, int max)
    {
        if (raw.Length == 0)
        {
            return fallback;
        }
        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw OperationException.Invalid(name, $"'{name}' must be a whole number from {min} to {max}.");
    }
}
