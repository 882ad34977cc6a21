using Patron.Domain;
using Patron.Storage;

namespace Patron.Api;

/// <summary>Customers (SPEC section 3): list, create-or-update, get by any reference, patch, erase.</summary>
public static class CustomersEndpoints
{
    public static RouteGroupBuilder MapCustomersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/customers").WithTags("Customers");
        group.MapGet("/", List).WithSummary("List customers")
            .Produces<ListEnvelope<CustomerDto>>();
        group.MapPost("/", CreateOrUpdate).WithSummary("Create a customer, or update the one with the same external_id, email or phone")
            .Accepts<CustomerInput>("application/json").Produces<CustomerDto>(201).Produces<CustomerDto>();
        group.MapGet("/{reference}", Get).WithSummary("Get a customer by id, external_id, email, phone or QR value")
            .Produces<CustomerDto>();
        group.MapPatch("/{reference}", Update).WithSummary("Update a customer; an empty string clears a field")
            .Accepts<CustomerInput>("application/json").Produces<CustomerDto>();
        group.MapDelete("/{reference}", Erase).WithSummary("Erase a customer's personal data; the ledger is kept")
            .Produces<DeletedObject>();
        return group;
    }

    /// <summary>The body of POST and PATCH /customers.</summary>
    public sealed class CustomerInput
    {
        public string? ExternalId { get; set; }
        public string? Email { get; set; }
        public string? Phone { get; set; }
        public string? FirstName { get; set; }
        public string? LastName { get; set; }
        public string? Birthday { get; set; }
        public string? Status { get; set; }
        public long? InitialPoints { get; set; }
        public string? ReferredBy { get; set; }
    }

    /// <summary>Input after validation: null = not given, "" = clear (PATCH), otherwise the normalised value.</summary>
    private sealed record Fields(
        string? ExternalId, string? Email, string? Phone, string? FirstName, string? LastName,
        string? Birthday, string? Status)
    {
        public static Fields From(CustomerInput input)
        {
            return new Fields(
                Text(input.ExternalId, "external_id", 200),
                Clearable(input.Email, "email", v => Contact.NormalizeEmail(v), "is not a valid email address"),
                Clearable(input.Phone, "phone", v => Contact.NormalizePhone(v), "must be an international number such as +4915112345678"),
                Text(input.FirstName, "first_name", 200),
                Text(input.LastName, "last_name", 200),
                Clearable(input.Birthday, "birthday", v => Contact.NormalizeBirthday(v), "must be a date as YYYY-MM-DD"),
                input.Status switch
                {
                    null => null,
                    CustomerStatus.Active or CustomerStatus.Blocked => input.Status,
                    _ => throw ApiException.Invalid("status", "'status' must be 'active' or 'blocked'."),
                });
        }

        private static string? Text(string? value, string name, int max)
        {
            if (value is null)
            {
                return null;
            }
            var trimmed = value.Trim();
            return trimmed.Length > max ? throw ApiException.Invalid(name, $"'{name}' is limited to {max} characters.") : trimmed;
        }

        private static string? Clearable(string? value, string name, Func<string, string?> normalize, string problem)
        {
            if (value is null || value.Trim().Length == 0)
            {
                return value is null ? null : "";
            }
            return normalize(value) ?? throw ApiException.Invalid(name, $"'{name}' {problem}.");
        }
    }

    private static async Task<IResult> List(HttpRequest request, Caller caller, Database db)
    {
        var paging = Paging.From(request);
        var where = "program_id = @p AND deleted_at IS NULL";
        var args = new List<(string, object?)> { ("p", caller.ProgramId) };
        var q = request.Query;
        void Filter(string name, string clause, Func<string, object?> value)
        {
            var raw = q[name].ToString();
            if (raw.Length > 0)
            {
                where += " AND " + clause;
                args.Add((name, value(raw)));
            }
        }
        Filter("email", "email = @email", v => Contact.NormalizeEmail(v) ?? v);
        Filter("phone", "phone = @phone", v => Contact.NormalizePhone(v) ?? v);
        Filter("external_id", "external_id = @external_id", v => v);
        Filter("status", "status = @status", v => v is CustomerStatus.Active or CustomerStatus.Blocked
            ? v : throw ApiException.Invalid("status", "'status' must be 'active' or 'blocked'."));
        Filter("tier", "vip_tier_id = @tier", v => v);
        Filter("search", $"search_text {db.ILike} @search ESCAPE '\\'", v =>
            "%" + v.ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%");

        var result = await db.ReadAsync(async sql =>
        {
            var listArgs = new List<(string, object?)>(args);
            var rows = await sql.ListAsync(paging.Apply($"SELECT {Customers.Columns} FROM customers WHERE {where}", listArgs),
                Customers.Map, [.. listArgs]);
            long? total = paging.StartingAfter is null
                ? Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM customers WHERE {where}", [.. args]))
                : null;
            return paging.Envelope(rows, total);
        });
        return TypedResults.Ok(result);
    }

    private static async Task<IResult> Get(string reference, Caller caller, Database db) =>
        TypedResults.Ok(await db.ReadAsync(sql => Customers.GetAsync(sql, caller.ProgramId, reference)));

    private static async Task<IResult> CreateOrUpdate(HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<CustomerInput>();
        var fields = Fields.From(input);
        if (string.IsNullOrEmpty(fields.ExternalId) && string.IsNullOrEmpty(fields.Email) && string.IsNullOrEmpty(fields.Phone))
        {
            throw ApiException.Missing("external_id, email or phone");
        }
        if (input.InitialPoints is < 0)
        {
            throw ApiException.Invalid("initial_points", "'initial_points' cannot be negative.");
        }
        var referredBy = input.ReferredBy?.Trim();

        return await writes.RunAsync(http, caller, async context =>
        {
            var sql = context.Sql;
            CustomerDto? match = null;
            foreach (var (column, value) in new[] { ("external_id", fields.ExternalId), ("email", fields.Email), ("phone", fields.Phone) })
            {
                if (!string.IsNullOrEmpty(value))
                {
                    match = await Customers.ByColumnAsync(sql, caller.ProgramId, column, value);
                    if (match is not null)
                    {
                        break;
                    }
                }
            }

            if (match is not null)
            {
                var updated = await ApplyAsync(context, caller, match, fields);
                return Reply.Ok(updated);
            }

            await EnsureUniqueAsync(sql, caller.ProgramId, null, fields);
            string? referrerId = null;
            if (!string.IsNullOrEmpty(referredBy))
            {
                var referrer = await Customers.ByColumnAsync(sql, caller.ProgramId, "referral_code", referredBy.ToUpperInvariant())
                    ?? throw ApiException.Invalid("referred_by", $"No customer has the referral code '{referredBy}'.");
                if ((fields.Email is { Length: > 0 } && fields.Email == referrer.Email)
                    || (fields.Phone is { Length: > 0 } && fields.Phone == referrer.Phone))
                {
                    throw ApiException.Unprocessable("self_referral", "A customer cannot refer themselves.", "referred_by");
                }
                referrerId = referrer.Id;
            }

            var id = Ids.New("cus_");
            await sql.ExecuteAsync(
                """
                INSERT INTO customers (id, program_id, external_id, email, phone, first_name, last_name, birthday, status,
                    referral_code, referred_by_id, qr_code, search_text, created_at, updated_at)
                VALUES (@id, @p, @x, @e, @ph, @fn, @ln, @b, @s, @rc, @rb, @qr, @st, @now, @now)
                """,
                ("id", id), ("p", caller.ProgramId), ("x", Nullify(fields.ExternalId)), ("e", Nullify(fields.Email)),
                ("ph", Nullify(fields.Phone)), ("fn", Nullify(fields.FirstName)), ("ln", Nullify(fields.LastName)),
                ("b", Nullify(fields.Birthday)), ("s", fields.Status ?? CustomerStatus.Active),
                ("rc", Ids.Token(8)), ("rb", referrerId), ("qr", "pq_" + Ids.Token(24)),
                ("st", Customers.SearchText(fields.FirstName, fields.LastName, fields.Email)), ("now", context.NowMs));

            if (input.InitialPoints is > 0)
            {
                await Ledger.PostAsync(context, caller.ProgramId, id, input.InitialPoints.Value, PointsTypes.Adjusted,
                    "Initial points", null, caller.KeyId);
            }
            var created = (await Customers.ByIdAsync(sql, caller.ProgramId, id))!;
            await Events.AddAsync(context, caller.ProgramId, Events.CustomerCreated, created);
            return Reply.Created(created);
        });
    }

    private static async Task<IResult> Update(string reference, HttpContext http, Caller caller, Writes writes)
    {
        var input = await http.ReadJsonAsync<CustomerInput>();
        var fields = Fields.From(input);
        return await writes.RunAsync(http, caller, async context =>
        {
            var customer = await Customers.GetAsync(context.Sql, caller.ProgramId, reference);
            return Reply.Ok(await ApplyAsync(context, caller, customer, fields));
        });
    }

    /// <summary>Applies the given fields to an existing customer; emits <c>customer.updated</c> when anything changed.</summary>
    private static async Task<CustomerDto> ApplyAsync(WriteContext context, Caller caller, CustomerDto customer, Fields f)
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
        };
        if (next == customer)
        {
            return customer;
        }
        await EnsureUniqueAsync(context.Sql, caller.ProgramId, customer.Id, f);
        await context.Sql.ExecuteAsync(
            """
            UPDATE customers SET external_id = @x, email = @e, phone = @ph, first_name = @fn, last_name = @ln,
                birthday = @b, status = @s, search_text = @st, updated_at = @now
            WHERE id = @id AND program_id = @p
            """,
            ("x", next.ExternalId), ("e", next.Email), ("ph", next.Phone), ("fn", next.FirstName), ("ln", next.LastName),
            ("b", next.Birthday), ("s", next.Status), ("st", Customers.SearchText(next.FirstName, next.LastName, next.Email)),
            ("now", context.NowMs), ("id", customer.Id), ("p", caller.ProgramId));
        var updated = (await Customers.ByIdAsync(context.Sql, caller.ProgramId, customer.Id))!;
        await Events.AddAsync(context, caller.ProgramId, Events.CustomerUpdated, updated);
        return updated;
    }

    /// <summary>external_id, email and phone each belong to one customer of a program.</summary>
    private static async Task EnsureUniqueAsync(Sql sql, string programId, string? selfId, Fields f)
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
                throw ApiException.Conflict($"{column}_in_use", $"Another customer already has this {column.Replace('_', ' ')}.", column);
            }
        }
    }

    private static async Task<IResult> Erase(string reference, HttpContext http, Caller caller, Writes writes) =>
        await writes.RunAsync(http, caller, async context =>
        {
            var customer = await Customers.GetAsync(context.Sql, caller.ProgramId, reference);
            // Erasure (SPEC section 3): personal data goes; the row, its opaque id and the ledger stay,
            // so balances and history still add up.
            await context.Sql.ExecuteAsync(
                """
                UPDATE customers SET external_id = NULL, email = NULL, phone = NULL, first_name = NULL, last_name = NULL,
                    birthday = NULL, search_text = NULL, status = @s, deleted_at = @now, updated_at = @now
                WHERE id = @id AND program_id = @p
                """,
                ("s", CustomerStatus.Deleted), ("now", context.NowMs), ("id", customer.Id), ("p", caller.ProgramId));
            var deleted = new DeletedObject(customer.Id, "customer");
            await Events.AddAsync(context, caller.ProgramId, Events.CustomerDeleted, deleted);
            return Reply.Ok(deleted);
        });

    private static string? Nullify(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
