using Patron.Domain;
using Patron.Operations.Referrals;
using Patron.Storage;

namespace Patron.Operations.CustomerAccounts;

/// <summary>A validated create-or-update: the fields, the opening balance and the referral code of the referrer.</summary>
public sealed record NewCustomer(CustomerFields Fields, long InitialPoints, string? ReferredBy);

/// <summary>
/// Customers (docs/API.md, Customers): create-or-update, update, block and unblock, erase. Every front
/// door (native API, dialects, dashboard, command-line import) calls these; updates and erasures are
/// audited here with the front door's actor (docs/AUDIT.md).
/// </summary>
public static class CustomerOperations
{
    /// <summary>
    /// What create-or-update refuses before it writes: fields that do not validate, no identifier, a
    /// negative or out-of-range opening balance.
    /// </summary>
    public static NewCustomer ValidateNew(CustomerInput input)
    {
        var fields = CustomerFields.From(input);
        fields.RequireIdentity();
        if (input.InitialPoints is < 0)
        {
            throw OperationException.Invalid("initial_points", "'initial_points' cannot be negative.");
        }
        if (input.InitialPoints is > LedgerRules.MaxPointsPerEntry)
        {
            throw OperationException.Invalid("initial_points", "'initial_points' is out of range.");
        }
        return new NewCustomer(fields, input.InitialPoints ?? 0, input.ReferredBy?.Trim());
    }

    /// <summary>Create-or-update of <see cref="ValidateNew"/>'s result, the entry of the opening balance authored by the actor.</summary>
    public static Task<(CustomerDto Customer, bool Created)> CreateOrUpdateAsync(
        WriteContext context, Actor actor, string programId, NewCustomer input) =>
        CreateOrUpdateAsync(context, programId, input.Fields, input.InitialPoints, input.ReferredBy, actor.Id);

    /// <summary>Updates the customer named by any reference (see <see cref="UpdateAsync(WriteContext, Actor, string, CustomerDto, CustomerFields)"/>).</summary>
    public static async Task<CustomerDto> UpdateAsync(WriteContext context, Actor actor, string programId, string reference, CustomerFields fields) =>
        await UpdateAsync(context, actor, programId, await Customers.GetAsync(context.Sql, programId, reference), fields);

    /// <summary>
    /// Blocks (<c>blocked</c>) or unblocks (<c>active</c>) a customer: a blocked customer earns and spends
    /// nothing by their own action. Audited as an update.
    /// </summary>
    public static async Task<CustomerDto> SetStatusAsync(WriteContext context, Actor actor, string programId, string reference, string status)
    {
        if (status is not (CustomerStatus.Active or CustomerStatus.Blocked))
        {
            throw OperationException.Invalid("status", "'status' must be 'active' or 'blocked'.");
        }
        return await UpdateAsync(context, actor, programId, reference, new CustomerFields(null, null, null, null, null, null, status));
    }

    /// <summary>Erases the customer named by any reference (see <see cref="EraseAsync(WriteContext, Actor, string, CustomerDto)"/>).</summary>
    public static async Task<DeletedObject> EraseAsync(WriteContext context, Actor actor, string programId, string reference) =>
        await EraseAsync(context, actor, programId, await Customers.GetAsync(context.Sql, programId, reference));

    /// <summary>
    /// Creates a customer, or updates the one matched on external_id, else email, else phone (docs/API.md,
    /// Customers). Initial points and a referral link apply only to a new customer.
    /// </summary>
    public static async Task<(CustomerDto Customer, bool Created)> CreateOrUpdateAsync(
        WriteContext context, string programId, CustomerFields fields, long initialPoints, string? referredBy, string actor)
    {
        var sql = context.Sql;
        var match = await Customers.MatchAsync(sql, programId, fields.ExternalId, fields.Email, fields.Phone);
        if (match is not null)
        {
            // The customer found is the one whose code was given: a self-referral (same email, phone or customer).
            if (!string.IsNullOrEmpty(referredBy) && string.Equals(match.ReferralCode, referredBy, StringComparison.OrdinalIgnoreCase))
            {
                throw OperationException.Unprocessable("self_referral", "A customer cannot refer themselves.", "referred_by");
            }
            // An upsert is an integration's sync, not a manual edit: the audit trail does not record it (docs/AUDIT.md).
            return (await ApplyFieldsAsync(context, programId, match, fields), false);
        }

        // No lookup matched, and every identifier given was looked up: all are free for the new customer.
        string? referrerId = null;
        if (!string.IsNullOrEmpty(referredBy))
        {
            var referrer = await Customers.ByColumnAsync(sql, programId, "referral_code", referredBy.ToUpperInvariant())
                ?? throw OperationException.Invalid("referred_by", $"No customer has the referral code '{referredBy}'.");
            if ((fields.Email is { Length: > 0 } && fields.Email == referrer.Email)
                || (fields.Phone is { Length: > 0 } && fields.Phone == referrer.Phone))
            {
                throw OperationException.Unprocessable("self_referral", "A customer cannot refer themselves.", "referred_by");
            }
            referrerId = referrer.Id;
        }

        var id = Ids.New(Customers.IdPrefix);
        var referralCode = await NewReferralCodeAsync(sql, programId);
        await sql.ExecuteAsync(
            """
            INSERT INTO customers (id, program_id, external_id, email, phone, first_name, last_name, birthday, status,
                referral_code, referred_by_id, qr_code, search_text, notes, created_at, updated_at)
            VALUES (@id, @p, @x, @e, @ph, @fn, @ln, @b, @s, @rc, @rb, @qr, @st, @notes, @now, @now)
            """,
            ("id", id), ("p", programId), ("x", OptionalText(fields.ExternalId)), ("e", OptionalText(fields.Email)),
            ("ph", OptionalText(fields.Phone)), ("fn", OptionalText(fields.FirstName)), ("ln", OptionalText(fields.LastName)),
            ("b", OptionalText(fields.Birthday)), ("s", fields.Status ?? CustomerStatus.Active),
            ("rc", referralCode), ("rb", Sql.Text(referrerId)), ("qr", Ids.QrValue()),
            ("st", Customers.SearchText(fields.FirstName, fields.LastName, fields.Email)), ("notes", OptionalText(fields.Notes)),
            ("now", context.NowMs));

        // customer.created comes first; the opening balance follows as its own points.created.
        var created = (await Customers.ByIdAsync(sql, programId, id))!;
        await Events.AddAsync(context, programId, Events.CustomerCreated, created);
        if (referrerId is not null)
        {
            await ReferralOperations.LinkAsync(context, programId, referrerId, id);
        }
        if (initialPoints > 0)
        {
            await Ledger.PostAsync(context, programId, id, initialPoints, PointsTypes.Adjusted, "Initial points", null, actor);
            created = (await Customers.ByIdAsync(sql, programId, id))!;
        }
        return (created, true);
    }

    /// <summary>
    /// Applies the given fields to an existing customer; emits <c>customer.updated</c> and records it in the
    /// audit trail (as <paramref name="actor"/>'s change) when anything changed.
    /// </summary>
    public static async Task<CustomerDto> UpdateAsync(WriteContext context, Actor actor, string programId, CustomerDto customer, CustomerFields f)
    {
        var updated = await ApplyFieldsAsync(context, programId, customer, f);
        if (!ReferenceEquals(updated, customer))
        {
            await AuditTrail.RecordAsync(context, actor, programId, AuditActions.CustomerUpdated, customer.Id, customer, updated, customer.Id);
        }
        return updated;
    }

    private static async Task<CustomerDto> ApplyFieldsAsync(WriteContext context, string programId, CustomerDto customer, CustomerFields f)
    {
        string? Next(string? given, string? current) => given is null ? current : Nullify(given);
        var next = customer with
        {
            ExternalId = Next(f.ExternalId, customer.ExternalId),
            Email = Next(f.Email, customer.Email),
            Phone = Next(f.Phone, customer.Phone),
            FirstName = Next(f.FirstName, customer.FirstName),
            LastName = Next(f.LastName, customer.LastName),
            Birthday = Next(f.Birthday, customer.Birthday),
            Status = f.Status ?? customer.Status,
            Notes = Next(f.Notes, customer.Notes),
        };
        if (next == customer)
        {
            return customer;
        }
        await EnsureUniqueAsync(context.Sql, programId, customer.Id, f);
        await context.Sql.ExecuteAsync(
            """
            UPDATE customers SET external_id = @x, email = @e, phone = @ph, first_name = @fn, last_name = @ln,
                birthday = @b, status = @s, search_text = @st, notes = @notes, updated_at = @now
            WHERE id = @id AND program_id = @p
            """,
            ("x", Sql.Text(next.ExternalId)), ("e", Sql.Text(next.Email)), ("ph", Sql.Text(next.Phone)), ("fn", Sql.Text(next.FirstName)),
            ("ln", Sql.Text(next.LastName)), ("b", Sql.Text(next.Birthday)), ("s", next.Status),
            ("st", Customers.SearchText(next.FirstName, next.LastName, next.Email)), ("notes", Sql.Text(next.Notes)),
            ("now", context.NowMs), ("id", customer.Id), ("p", programId));
        var updated = (await Customers.ByIdAsync(context.Sql, programId, customer.Id))!;
        await Events.AddAsync(context, programId, Events.CustomerUpdated, updated);
        return updated;
    }

    /// <summary>
    /// Erases a customer (docs/API.md): personal data goes; the row, its opaque id and the ledger stay,
    /// so balances and history still add up. Their events are redacted, stored answers about them
    /// forgotten, and <c>customer.deleted</c> is emitted.
    /// </summary>
    public static async Task<DeletedObject> EraseAsync(WriteContext context, Actor actor, string programId, CustomerDto customer)
    {
        await context.Sql.ExecuteAsync(
            """
            UPDATE customers SET external_id = NULL, email = NULL, phone = NULL, first_name = NULL, last_name = NULL,
                birthday = NULL, search_text = NULL, notes = NULL, status = @s, deleted_at = @now, updated_at = @now
            WHERE id = @id AND program_id = @p
            """,
            ("s", CustomerStatus.Deleted), ("now", context.NowMs), ("id", customer.Id), ("p", programId));
        await Events.RedactCustomerAsync(context, programId, customer.Id);
        await AuditTrail.RedactCustomerAsync(context, programId, customer.Id);
        await ForgetStoredAnswersAboutAsync(context, programId, customer.Id);
        var deleted = new DeletedObject(customer.Id, "customer");
        await Events.AddAsync(context, programId, Events.CustomerDeleted, deleted);
        // The trail keeps who erased whom, and when; recorded after the redaction, it holds no personal data.
        await AuditTrail.RecordAsync(context, actor, programId, AuditActions.CustomerErased, customer.Id,
            new { status = customer.Status }, new { status = CustomerStatus.Deleted }, customer.Id);
        return deleted;
    }

    /// <summary>
    /// Erasure: stored idempotent answers that hold a customer (a replay would hand back their personal
    /// data) are dropped. The table holds only the last 24 hours, so the scan stays small. An encrypted
    /// answer names its customers' ids in its readable header, an older one in its text.
    /// </summary>
    private static Task<int> ForgetStoredAnswersAboutAsync(WriteContext context, string programId, string customerId) =>
        context.Sql.ExecuteAsync(
            context.Database.IsSqlite
                ? "DELETE FROM idempotency_keys WHERE program_id = @p AND instr(response, CAST(@id AS BLOB)) > 0"
                : "DELETE FROM idempotency_keys WHERE program_id = @p AND position(convert_to(@id, 'UTF8') in response) > 0",
            ("p", programId), ("id", customerId));

    /// <summary>external_id, email and phone each belong to one customer of a program.</summary>
    private static async Task EnsureUniqueAsync(Sql sql, string programId, string? selfId, CustomerFields f)
    {
        foreach (var (column, value) in new[] { ("external_id", f.ExternalId), ("email", f.Email), ("phone", f.Phone) })
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }
            var other = await Customers.ByColumnAsync(sql, programId, column, value);
            if (other is not null && other.Id != selfId)
            {
                throw OperationException.Conflict($"{column}_in_use", $"Another customer already has this {column.Replace('_', ' ')}.", column);
            }
        }
    }

    private static string? Nullify(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary><see cref="Nullify"/>, as a text parameter either way (<see cref="Sql.Text"/>).</summary>
    private static object OptionalText(string? value) => Sql.Text(Nullify(value));

    /// <summary>
    /// A referral code no other customer of the program has. Codes are 8 characters, short enough to read
    /// out, so among a million customers a random draw is taken about once in 850,000 draws: draw again.
    /// </summary>
    private static async Task<string> NewReferralCodeAsync(Sql sql, string programId)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var code = Ids.ReferralCode();
            if (await sql.ScalarAsync("SELECT 1 FROM customers WHERE program_id = @p AND referral_code = @rc",
                ("p", programId), ("rc", code)) is null)
            {
                return code;
            }
        }
        throw new InvalidOperationException("Could not generate a unique referral code.");
    }
}
