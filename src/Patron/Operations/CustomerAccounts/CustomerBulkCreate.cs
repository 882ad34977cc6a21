using System.Runtime.CompilerServices;
using Patron.Domain;
using Patron.Storage;
using Patron.Webhooks;

namespace Patron.Operations.CustomerAccounts;

/// <summary>
/// The bulk path of the customer import (docs/CONFIGURATION.md, "Command-line import and export"): creates,
/// in the caller's one operation, the customers of a batch whose identifiers are all new, with exactly what
/// <see cref="CustomerOperations.CreateOrUpdateAsync(WriteContext, string, CustomerFields, long, string?, string)"/>
/// and the import's audit row would write for each (the customer, <c>customer.created</c>, the opening entry and
/// its <c>points.created</c>, the tier evaluation and its <c>tier.changed</c>, the webhook deliveries, the
/// <c>customer.imported</c> audit row), but as a few multi-row inserts (SQLite) or binary COPYs (PostgreSQL)
/// instead of a dozen statements per customer.
/// </summary>
/// <remarks>
/// A row is left to the per-row path (its result is null) when any of its identifiers (external id, email,
/// phone) is held by a customer already, or by an earlier row of the same batch (bulk or not), so that the
/// per-row path, run after this operation on the rows left, decides updates, conflicts and refusals as it
/// always has. Referral codes are drawn again until no customer and no other row of the batch holds them. A
/// clash the checks could not see (another writer committed the same email meanwhile) fails the whole
/// operation: nothing of it is written, and the caller runs the batch through the per-row path instead.
/// A caller that expects every identifier to be new (an import whose batches have met no existing customer
/// so far) may skip looking up the customers' identifiers and referral codes: then the unique indexes on
/// external id, email, phone and referral code are the only check, a held one fails the operation whole with a
/// unique-index conflict (<see cref="Database.IsConflict"/>), and the caller runs it again with the lookups.
/// Its batches keep the codes they drew in a <see cref="ReferralCodeDraws"/>, so that they do not draw each
/// other's: codes drawn in the same second share their first three characters, and a batch of 2,000 would
/// otherwise meet one of the previous batches' codes about once.
/// </remarks>
public static class CustomerBulkCreate
{
    /// <summary>One checked row: its fields (identity required) and its opening balance (0 to the largest entry).</summary>
    public sealed record Row(CustomerFields Fields, long InitialPoints);

    private static readonly string[] CustomerColumns =
    [
        "id", "program_id", "external_id", "email", "phone", "first_name", "last_name", "birthday", "status",
        "referral_code", "qr_code", "search_text", "created_at", "updated_at",
        "points_balance", "lifetime_points", "points_spent", "points_expired", "vip_tier_id",
    ];

    /// <summary>Creates the rows that are all new; returns each created customer as the API shows it now, or null for a row left to the per-row path.</summary>
    /// <param name="lookUpHeld">
    /// False to leave out the lookups of the rows' identifiers and of the drawn referral codes among the program's
    /// customers (one indexed query per kind and batch) and let the unique indexes refuse a held one (see the
    /// remarks). Duplicates within the batch, and codes <paramref name="draws"/> holds, are avoided either way.
    /// </param>
    /// <param name="draws">Where the referral codes come from, and the codes earlier batches of the same caller drew.</param>
    public static async Task<CustomerDto?[]> CreateAsync(
        WriteContext context, string programId, IReadOnlyList<Row> rows, Actor actor, string createdBy,
        bool lookUpHeld = true, ReferralCodeDraws? draws = null)
    {
        var sql = context.Sql;
        var results = new CustomerDto?[rows.Count];
        var bulk = await NewRowsAsync(context, programId, rows, lookUpHeld);
        if (bulk.Count == 0)
        {
            return results;
        }

        var codes = await ReferralCodesAsync(context, programId, bulk.Count, lookUpHeld, draws ?? new ReferralCodeDraws());
        var expiryDays = await Ledger.ExpiryDaysAsync(sql, programId);
        var tiers = await Tiers.ListAsync(sql, programId);
        var endpoints = await WebhookFanout.SubscribersAsync(context, programId);

        var (customers, entries, events, deliveries, audit) =
            Build(context, programId, rows, bulk, codes, expiryDays, tiers, endpoints, actor, createdBy, results);
        await BulkRows.InsertAsync(context, "customers", CustomerColumns, customers);
        await BulkRows.InsertAsync(context, "points_transactions", Ledger.OpeningColumns, entries);
        await BulkRows.InsertAsync(context, "events", Events.RowColumns, events);
        await BulkRows.InsertAsync(context, "webhook_deliveries", WebhookFanout.DeliveryColumns, deliveries);
        await BulkRows.InsertAsync(context, "audit_events", AuditTrail.RowColumns, audit);
        if (deliveries.Count > 0)
        {
            context.AfterCommit.Add(WebhookSignal.For(context.Database).Wake);
        }
        return results;
    }

    /// <summary>
    /// The rows to insert for the new customers, and each one's result. A loop over thousands of rows run once
    /// per batch, so compiled optimised from the start rather than left to tiered compilation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (List<object?[]> Customers, List<object?[]> Entries, List<object?[]> Events, List<object?[]> Deliveries, List<object?[]> Audit) Build(
        WriteContext context, string programId, IReadOnlyList<Row> rows, List<int> bulk, string[] codes, long? expiryDays,
        List<TierThreshold> tiers, IReadOnlyList<(string Id, string Events)> endpoints, Actor actor, string createdBy, CustomerDto?[] results)
    {
        var customers = new List<object?[]>(bulk.Count);
        var entries = new List<object?[]>(bulk.Count);
        var events = new List<object?[]>(bulk.Count * 2);
        var deliveries = new List<object?[]>();
        var audit = new List<object?[]>(bulk.Count);
        void Event<T>(string type, T data)
        {
            var row = Events.Row(context, programId, Ids.New("evt_"), type, data);
            events.Add(row);
            foreach (var (endpointId, subscribed) in endpoints)
            {
                if (WebhookEventTypes.Matches(subscribed, type))
                {
                    deliveries.Add(WebhookFanout.DeliveryRow(context, programId, endpointId, (string)row[0]!, type));
                }
            }
        }

        var now = Time.FromMs(context.NowMs);
        var zeroSpend = TierRules.SpendWindows(tiers).ToDictionary(days => days, _ => 0L);
        for (var i = 0; i < bulk.Count; i++)
        {
            var index = bulk[i];
            var (f, points) = rows[index];
            // As CreateOrUpdateAsync inserts it and reads it back: the customer.created payload has no points yet.
            var customer = new CustomerDto(
                Ids.New(Customers.IdPrefix), Nullify(f.ExternalId), Nullify(f.Email), Nullify(f.Phone), Nullify(f.FirstName), Nullify(f.LastName),
                Nullify(f.Birthday), f.Status ?? CustomerStatus.Active, 0, 0, 0, 0, 0, 0, null, Money.FromE4(0), codes[i],
                Ids.QrValue(), now, now, null);
            Event(Events.CustomerCreated, customer);
            TierThreshold? tier = null;
            if (points > 0)
            {
                var opening = Ledger.OpeningEntry(context, programId, customer.Id, points, createdBy, expiryDays);
                entries.Add(opening.Row);
                Event(Events.PointsCreated, opening.Entry);
                customer = customer with { PointsBalance = opening.Deltas.Balance, LifetimePoints = opening.Deltas.Lifetime };
                // Tiers.EvaluateAsync after a credit that raised lifetime points: a new customer has no tier and no spend.
                if (opening.Deltas.Lifetime > 0 && tiers.Count > 0 && TierRules.Highest(tiers, customer.LifetimePoints, zeroSpend) is { } target)
                {
                    tier = target;
                    Event(Events.TierChanged, new TierChange(customer.Id, null, new TierRef(target.Id, target.Name),
                        TierRules.Direction(null, target), TierRules.Reasons.LifetimePoints));
                    customer = customer with { VipTier = target.Name };
                }
            }
            customers.Add(
            [
                customer.Id, programId, customer.ExternalId, customer.Email, customer.Phone, customer.FirstName, customer.LastName,
                customer.Birthday, customer.Status, customer.ReferralCode, customer.QrCode,
                Customers.SearchText(f.FirstName, f.LastName, f.Email), context.NowMs, context.NowMs,
                customer.PointsBalance, customer.LifetimePoints, customer.PointsSpent, customer.PointsExpired, tier?.Id,
            ]);
            audit.Add(AuditTrail.Row(context, actor, programId, AuditActions.CustomerImported, customer.Id, null, customer, customer.Id));
            results[index] = customer;
        }

        return (customers, entries, events, deliveries, audit);
    }

    /// <summary>
    /// The indexes of the rows whose identifiers no earlier row of the batch gave and, when
    /// <paramref name="lookUpHeld"/>, no customer of the program holds (erased customers hold none).
    /// </summary>
    private static async Task<List<int>> NewRowsAsync(WriteContext context, string programId, IReadOnlyList<Row> rows, bool lookUpHeld)
    {
        var seen = new HashSet<string>[] { new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal) };
        var candidates = new List<int>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var ids = Identifiers(rows[i].Fields);
            var fresh = true;
            for (var k = 0; k < 3; k++)
            {
                if (ids[k] is { } id && !seen[k].Add(id))
                {
                    fresh = false;
                }
            }
            if (fresh)
            {
                candidates.Add(i);
            }
        }
        if (candidates.Count == 0 || !lookUpHeld)
        {
            return candidates;
        }
        string[] columns = ["external_id", "email", "phone"];
        var taken = new HashSet<string>[3];
        for (var k = 0; k < 3; k++)
        {
            var values = candidates.Select(i => Identifiers(rows[i].Fields)[k]).OfType<string>().ToList();
            taken[k] = await ExistingAsync(context, programId, columns[k], values);
        }
        return [.. candidates.Where(i =>
        {
            var ids = Identifiers(rows[i].Fields);
            return !Enumerable.Range(0, 3).Any(k => ids[k] is { } id && taken[k].Contains(id));
        })];
    }

    private static string?[] Identifiers(CustomerFields f) => [Nullify(f.ExternalId), Nullify(f.Email), Nullify(f.Phone)];

    /// <summary>Which of <paramref name="values"/> a customer of the program holds in <paramref name="column"/>, by its unique index.</summary>
    private static async Task<HashSet<string>> ExistingAsync(WriteContext context, string programId, string column, List<string> values)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (values.Count == 0)
        {
            return found;
        }
        var isSqlite = context.Database.IsSqlite;
        // One parameter: a JSON array on SQLite, a text array on PostgreSQL.
        var text = isSqlite
            ? $"SELECT {column} FROM customers WHERE program_id = @p AND {column} IN (SELECT value FROM json_each(@v))"
            : $"SELECT {column} FROM customers WHERE program_id = @p AND {column} = ANY(@v)";
        object list = isSqlite ? System.Text.Json.JsonSerializer.Serialize(values) : values.ToArray();
        foreach (var value in await context.Sql.ListAsync(text, r => r.GetString(0), ("p", programId), ("v", list)))
        {
            found.Add(value);
        }
        return found;
    }

    /// <summary>
    /// <paramref name="count"/> referral codes, drawn as <c>CreateOrUpdateAsync</c> draws one, that differ from each
    /// other and from the codes <paramref name="draws"/> holds, and, when <paramref name="lookUp"/>, that no customer
    /// of the program holds.
    /// </summary>
    private static async Task<string[]> ReferralCodesAsync(WriteContext context, string programId, int count, bool lookUp, ReferralCodeDraws draws)
    {
        var codes = new string[count];
        var unique = new HashSet<string>(StringComparer.Ordinal);
        var draw = Enumerable.Range(0, count).ToList();
        for (var attempt = 0; draw.Count > 0; attempt++)
        {
            if (attempt == 8)
            {
                throw new InvalidOperationException("Could not generate unique referral codes.");
            }
            foreach (var i in draw)
            {
                do
                {
                    codes[i] = draws.Draw();
                }
                while (draws.Holds(codes[i]) || !unique.Add(codes[i]));
            }
            if (!lookUp)
            {
                break;
            }
            // A code a customer holds stays in the set, so that it is not drawn again.
            var taken = await ExistingAsync(context, programId, "referral_code", [.. draw.Select(i => codes[i])]);
            draw = [.. draw.Where(i => taken.Contains(codes[i]))];
        }
        foreach (var code in codes)
        {
            draws.Add(code);
        }
        return codes;
    }

    private static string? Nullify(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>
/// The referral codes one caller's bulk operations drew (<see cref="CustomerBulkCreate"/>), those of the latest
/// second only: a code begins with the second it was drawn in (<see cref="Ids.ReferralCode"/>), so codes of
/// different seconds never meet. Used by one bulk operation at a time.
/// </summary>
/// <param name="draw">Draws one code; <see cref="Ids.ReferralCode"/> unless a test gives its own.</param>
public sealed class ReferralCodeDraws(Func<string>? draw = null)
{
    private const int PrefixLength = 3;
    private readonly HashSet<string> _codes = new(StringComparer.Ordinal);
    private readonly Func<string> _draw = draw ?? (() => Ids.ReferralCode());
    private string _prefix = "";

    /// <summary>How many codes are kept: those of one second, about 20,000 at the import's pace.</summary>
    public int Count => _codes.Count;

    internal string Draw() => _draw();

    internal bool Holds(string code) => _codes.Contains(code);

    /// <summary>Keeps <paramref name="code"/>; a code of another second than the last one's replaces those kept.</summary>
    internal void Add(string code)
    {
        if (!code.AsSpan(0, PrefixLength).SequenceEqual(_prefix))
        {
            _codes.Clear();
            _prefix = code[..PrefixLength];
        }
        _codes.Add(code);
    }
}
