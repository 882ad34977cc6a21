using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>An activity as the API shows it (docs/API.md, Activities).</summary>
public sealed record ActivityDto(
    string Id,
    string Type,
    string CustomerId,
    long PointsAwarded,
    string? RuleId,
    string? Reference,
    JsonElement? Properties,
    PointsTransactionDto? Transaction,
    string CreatedBy,
    DateTimeOffset CreatedAt)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Object => "activity";
}

/// <summary>
/// Earning from activities (docs/API.md, Activities and Earn rules): picks the rule, checks its
/// per-customer limit with the customer's row locked (so concurrent activities cannot both pass a
/// limit), posts the points through the ledger, and records the award and the activity.
/// </summary>
public static class Activities
{
    private const string Columns =
        "id, type, customer_id, points_awarded, rule_id, reference, properties, transaction_id, created_by, created_at";

    /// <summary>One activity to record.</summary>
    /// <param name="Type">Already canonical (<c>$signup</c> is <c>signup</c>).</param>
    /// <param name="Points">Explicit points: awarded exactly, without multipliers.</param>
    /// <param name="BirthdayYear">For <c>birthday</c>: the year whose birthday this is (default: this year).</param>
    public sealed record Request(
        string ProgramId, string CustomerId, string Type, long? Points, string? Reference, string? PropertiesJson,
        string CreatedBy, int? BirthdayYear = null);

    private sealed record CustomerState(string Status, string? TierId, string? Birthday, long? BirthdayAwardedYear);

    private sealed record Row(
        string Id, string Type, string CustomerId, long PointsAwarded, string? RuleId, string? Reference,
        string? Properties, string? TransactionId, string CreatedBy, long CreatedAt);

    /// <summary>The most JSON an activity's properties may hold.</summary>
    public const int MaxPropertiesBytes = 16 * 1024;

    /// <summary>The most characters of an activity's reference (its idempotency key per customer).</summary>
    public const int MaxReferenceLength = 200;

    /// <summary>
    /// An activity type as a caller names it, checked and made canonical (<c>$signup</c> is <c>signup</c>).
    /// Orders earn through the order operations, never as an activity.
    /// </summary>
    public static string CheckType(string? raw, string param)
    {
        var trimmed = raw?.Trim() is { Length: > 0 } t ? t : throw OperationException.Missing(param);
        if (!ActivityTypes.IsValid(trimmed))
        {
            throw OperationException.Invalid(param,
                $"'{param}' must be 1 to {ActivityTypes.MaxLength} letters, digits, '_', '-', '.' or ':' (an optional leading '$' is allowed).");
        }
        var type = ActivityTypes.Canonical(trimmed);
        return type == ActivityTypes.PlaceOrder
            ? throw OperationException.Invalid(param, "Orders earn points through the orders endpoints, not as activities.")
            : type;
    }

    /// <summary>A reference, if given: 1 to <see cref="MaxReferenceLength"/> characters.</summary>
    public static string? CheckReference(string? reference, string param)
    {
        if (reference is { Length: 0 or > MaxReferenceLength })
        {
            throw OperationException.Invalid(param, $"'{param}' must be 1 to {MaxReferenceLength} characters.");
        }
        // It becomes the ledger entry's reference.
        Ledger.CheckCallerReference(reference, param);
        return reference;
    }

    /// <summary>Properties, if given: a JSON object of at most <see cref="MaxPropertiesBytes"/> bytes, as its JSON text.</summary>
    public static string? CheckProperties(JsonElement? properties, string param)
    {
        if (properties is not { ValueKind: not JsonValueKind.Null } p)
        {
            return null;
        }
        var json = p.ValueKind == JsonValueKind.Object
            ? p.GetRawText()
            : throw OperationException.Invalid(param, $"'{param}' must be a JSON object.");
        return System.Text.Encoding.UTF8.GetByteCount(json) > MaxPropertiesBytes
            ? throw OperationException.Invalid(param, $"'{param}' is limited to {MaxPropertiesBytes} bytes of JSON.")
            : json;
    }

    public static async Task<(ActivityDto Activity, bool Created)> RecordAsync(WriteContext context, Request q)
    {
        var sql = context.Sql;
        // Lock first: every check below (reference, limit, birthday year) must see the last award.
        await Ledger.LockCustomerAsync(context, q.CustomerId);
        var customer = await CustomerAsync(sql, q.ProgramId, q.CustomerId) ?? throw OperationException.NotFound("customer", q.CustomerId);

        if (q.Reference is not null && await ByReferenceAsync(sql, q.ProgramId, q.CustomerId, q.Reference) is { } earlier)
        {
            return (earlier, false);
        }
        CustomerStatus.EnsureNotBlocked(customer.Status);
        if (q.Reference is not null && await Ledger.ByReferenceAsync(sql, q.CustomerId, q.Reference) is { } entry)
        {
            throw OperationException.Conflict("reference_in_use",
                $"The reference '{q.Reference}' is already used by points transaction {entry.Id} of this customer.", "reference");
        }

        // The type's enabled rules, read once: the rule that earns and the campaigns that multiply it come from them.
        var rules = await EarnRules.EnabledAsync(sql, q.ProgramId, q.Type);
        var rule = EarnRulePolicy.Select(rules, q.Type, customer.TierId, context.NowMs);
        if (rule is null && q.Points is null)
        {
            throw OperationException.Unprocessable("no_matching_rule",
                $"No enabled earn rule for activity type '{q.Type}' applies to this customer now, and no 'points' were given.", "type");
        }
        var birthdayYear = q.BirthdayYear ?? context.Now.Year;
        if (rule is not null)
        {
            await CheckLimitAsync(context, rule, q, customer, birthdayYear);
        }

        var points = q.Points ?? await RulePointsAsync(sql, q.ProgramId, rule!, rules, customer.TierId, context.NowMs);
        var activityId = Ids.New("act_");
        PointsTransactionDto? transaction = null;
        if (points > 0)
        {
            var posted = await Ledger.PostAsync(context, new Ledger.Entry(
                q.ProgramId, q.CustomerId, points, PointsTypes.Earned, rule?.Name ?? $"Activity: {q.Type}", q.Reference,
                q.CreatedBy, Source: rule?.Id));
            // The reference was checked under the lock above; finding it now means another writer won.
            transaction = posted.Created ? posted.Transaction
                : throw new WriteConflictException("The activity's reference was used concurrently.");
        }

        await sql.ExecuteAsync(
            $"""
            INSERT INTO activities (program_id, {Columns})
            VALUES (@p, @id, @t, @c, @pts, @r, @ref, @props, @tx, @by, @at)
            """,
            ("p", q.ProgramId), ("id", activityId), ("t", q.Type), ("c", q.CustomerId), ("pts", points), ("r", Sql.Text(rule?.Id)),
            ("ref", Sql.Text(q.Reference)), ("props", Sql.Text(q.PropertiesJson)), ("tx", Sql.Text(transaction?.Id)),
            ("by", q.CreatedBy), ("at", context.NowMs));
        if (rule is not null)
        {
            await EarnRules.RecordAwardAsync(context, rule.Id, q.CustomerId, transaction?.Id ?? activityId);
        }
        if (q.Type == ActivityTypes.Birthday)
        {
            await sql.ExecuteAsync(
                "UPDATE customers SET birthday_awarded_year = @y WHERE id = @c AND (birthday_awarded_year IS NULL OR birthday_awarded_year < @y)",
                ("y", birthdayYear), ("c", q.CustomerId));
        }

        return (new ActivityDto(activityId, q.Type, q.CustomerId, points, rule?.Id, q.Reference, ParseProperties(q.PropertiesJson),
            transaction, q.CreatedBy, context.Now), true);
    }

    /// <summary>
    /// A rule's per-customer limit (docs/API.md): <c>once</c> ever, or a count per calendar day,
    /// week or month (UTC). A <c>birthday</c> rule awards once per birthday year, however it is asked.
    /// </summary>
    private static async Task CheckLimitAsync(WriteContext context, EarnRule rule, Request q, CustomerState customer, int birthdayYear)
    {
        if (rule.Type == ActivityTypes.Birthday)
        {
            if (customer.BirthdayAwardedYear >= birthdayYear)
            {
                throw LimitReached(rule, $"The customer's birthday points for {birthdayYear} were already awarded.");
            }
            return;
        }
        if (rule.LimitPeriod is not { } period)
        {
            return;
        }
        var since = LimitPeriods.PeriodStart(period, context.Now)?.ToUnixTimeMilliseconds();
        var awarded = await EarnRules.AwardsSinceAsync(context.Sql, rule.Id, q.CustomerId, since);
        if (awarded >= rule.Allowed)
        {
            throw LimitReached(rule, period == LimitPeriods.Once
                ? $"Earn rule {rule.Id} awards a customer only once, and this customer already earned from it."
                : $"Earn rule {rule.Id} awards a customer at most {rule.Allowed} time(s) per {period}, and this customer reached that.");
        }
    }

    private static OperationException LimitReached(EarnRule rule, string message) =>
        OperationException.Unprocessable("rule_limit_reached", message);

    /// <summary>The rule's points times the customer's tier multiplier and any campaign of the type, rounded as the program says.</summary>
    private static async Task<long> RulePointsAsync(
        Sql sql, string programId, EarnRule rule, IReadOnlyList<EarnRule> rules, string? tierId, long nowMs)
    {
        var rounding = Convert.ToString(await sql.ScalarAsync("SELECT rounding FROM programs WHERE id = @p", ("p", programId)),
            CultureInfo.InvariantCulture) ?? EarnModes.Floor;
        var tier = await Tiers.MultiplierAsync(sql, tierId);
        var campaigns = EarnRulePolicy.CampaignMultipliers(rules, rule.Type, tierId, nowMs);
        return Earning.Points(rule.Points, 1m, rounding, [tier, .. campaigns]);
    }

    /// <summary>
    /// The birthday job's work for one customer: if a birthday is due today (or was missed in the last
    /// few days) and not yet awarded for its year, award the birthday rule that applies. Re-checked
    /// here under the customer's lock, so any number of runs, in any number of processes, award once.
    /// </summary>
    public static async Task<bool> AwardBirthdayAsync(WriteContext context, string programId, string customerId)
    {
        await Ledger.LockCustomerAsync(context, customerId);
        var customer = await CustomerAsync(context.Sql, programId, customerId);
        if (customer is not { Status: CustomerStatus.Active, Birthday: { } birthday })
        {
            return false;
        }
        var today = DateOnly.FromDateTime(context.Now.UtcDateTime);
        if (EarnRulePolicy.DueBirthdayYear(birthday, today) is not { } year || customer.BirthdayAwardedYear >= year)
        {
            return false;
        }
        if (await EarnRules.ApplicableAsync(context.Sql, programId, ActivityTypes.Birthday, customer.TierId, context.NowMs) is null)
        {
            return false;
        }
        await RecordAsync(context, new Request(programId, customerId, ActivityTypes.Birthday, null, null, null, "system", year));
        return true;
    }

    private static async Task<CustomerState?> CustomerAsync(Sql sql, string programId, string customerId) =>
        (await sql.ListAsync(
            "SELECT status, vip_tier_id, birthday, birthday_awarded_year FROM customers WHERE id = @c AND program_id = @p AND deleted_at IS NULL",
            r => new CustomerState(r.GetString(0), r.StringOrNull(1), r.StringOrNull(2), r.Int64OrNull(3)),
            ("c", customerId), ("p", programId))).FirstOrDefault();

    public static async Task<ActivityDto?> ByReferenceAsync(Sql sql, string programId, string customerId, string reference) =>
        await ToDtoAsync(sql, await sql.SingleAsync(
            $"SELECT {Columns} FROM activities WHERE customer_id = @c AND reference = @r AND program_id = @p",
            MapRow, ("c", customerId), ("r", reference), ("p", programId)));

    public static async Task<ActivityDto?> GetAsync(Sql sql, string programId, string id) =>
        await ToDtoAsync(sql, await sql.SingleAsync($"SELECT {Columns} FROM activities WHERE id = @id AND program_id = @p",
            MapRow, ("id", id), ("p", programId)));

    /// <summary>One page of activities (newest first), each with its ledger entry.</summary>
    public static async Task<ListEnvelope<ActivityDto>> ListAsync(Sql sql, Paging paging, ListFilter filter)
    {
        var rows = await filter.WindowAsync(sql, Columns, "activities", MapRow, paging);
        var total = await filter.CountAsync(sql, "activities", paging);
        var dtos = new List<ActivityDto>(rows.Count);
        foreach (var row in rows)
        {
            dtos.Add((await ToDtoAsync(sql, row))!);
        }
        return paging.Envelope(dtos, total);
    }

    private static Row MapRow(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.StringOrNull(4), r.StringOrNull(5),
        r.StringOrNull(6), r.StringOrNull(7), r.GetString(8), r.GetInt64(9));

    private static async Task<ActivityDto?> ToDtoAsync(Sql sql, Row? row)
    {
        if (row is null)
        {
            return null;
        }
        var transaction = row.TransactionId is null
            ? null
            : await sql.SingleAsync($"SELECT {Ledger.Columns} FROM points_transactions WHERE id = @id", Ledger.Map, ("id", row.TransactionId));
        return new ActivityDto(row.Id, row.Type, row.CustomerId, row.PointsAwarded, row.RuleId, row.Reference,
            ParseProperties(row.Properties), transaction, row.CreatedBy, Time.FromMs(row.CreatedAt));
    }

    private static JsonElement? ParseProperties(string? json)
    {
        if (json is null)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(StoredJson.Readable(json));
        return doc.RootElement.Clone();
    }
}
