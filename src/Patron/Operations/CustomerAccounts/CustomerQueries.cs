using Patron.Domain;
using Patron.Storage;

namespace Patron.Operations.CustomerAccounts;

/// <summary>
/// The filters of the customer list (docs/API.md, Customers); empty or null filters are not applied.
/// <c>Tier</c> is a tier's id or a live tier's name; <c>Search</c> is text in the name, email or phone.
/// </summary>
public sealed record CustomerFilter(
    string? Email = null, string? Phone = null, string? ExternalId = null, string? Status = null, string? Tier = null, string? Search = null);

/// <summary>Reads of customers for every front door: the filtered list and one customer by any reference.</summary>
public static class CustomerQueries
{
    /// <summary>One window of the program's live customers that match the filter, newest first.</summary>
    public static async Task<ListEnvelope<CustomerDto>> ListAsync(Database db, string programId, CustomerFilter filter, Paging paging)
    {
        var (where, args) = Where(db, programId, filter);
        return await db.ReadAsync(async sql =>
        {
            var listArgs = new List<(string, object?)>(args);
            var rows = await sql.ListAsync(paging.Apply($"SELECT {Customers.Columns} FROM customers WHERE {where}", listArgs),
                Customers.Map, [.. listArgs]);
            long? total = paging.StartingAfter is null
                ? Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM customers WHERE {where}", [.. args]))
                : null;
            return paging.Envelope(rows, total);
        });
    }

    /// <summary>A live customer by Patron id, or null.</summary>
    public static Task<CustomerDto?> ByIdAsync(Database db, string programId, string id) =>
        db.ReadAsync(sql => Customers.ByIdAsync(sql, programId, id));

    /// <summary>A customer by id, external id, email, phone or QR value; not found otherwise.</summary>
    public static Task<CustomerDto> GetAsync(Database db, string programId, string reference) =>
        db.ReadAsync(sql => Customers.GetAsync(sql, programId, reference));

    /// <summary>A customer by id, external id, email, phone or QR value, or null.</summary>
    public static Task<CustomerDto?> FindAsync(Database db, string programId, string reference) =>
        db.ReadAsync(sql => Customers.FindAsync(sql, programId, reference));

    /// <summary>
    /// The dashboard's customer list: live customers, newest first, paged by <c>starting_after</c>;
    /// <paramref name="search"/> matches part of a name, an email or a phone, or an external id exactly.
    /// </summary>
    public static Task<CursorPage<CustomerDto>> BrowseAsync(
        Database db, string programId, string? search, string? status, string? startingAfter, int limit) =>
        db.ReadAsync(async sql =>
        {
            var where = "program_id = @p AND deleted_at IS NULL";
            var args = new List<(string, object?)> { ("p", programId), ("n", limit + 1) };
            if (!string.IsNullOrWhiteSpace(search))
            {
                where += $" AND (search_text {db.ILike} @s ESCAPE '\\' OR phone LIKE @s ESCAPE '\\' OR external_id = @raw)";
                args.Add(("s", ContainsPattern(search.Trim())));
                args.Add(("raw", search.Trim()));
            }
            if (status is CustomerStatus.Active or CustomerStatus.Blocked)
            {
                where += " AND status = @status";
                args.Add(("status", status));
            }
            if (startingAfter is not null)
            {
                where += " AND id < @after";
                args.Add(("after", startingAfter));
            }
            var rows = await sql.ListAsync($"SELECT {Customers.Columns} FROM customers WHERE {where} ORDER BY id DESC LIMIT @n",
                Customers.Map, [.. args]);
            return CursorPage.Of(rows, limit, startingAfter);
        });

    private static (string Where, List<(string, object?)> Args) Where(Database db, string programId, CustomerFilter filter)
    {
        var where = "program_id = @p AND deleted_at IS NULL";
        var args = new List<(string, object?)> { ("p", programId) };
        void Filter(string name, string? raw, string clause, Func<string, object?> value)
        {
            if (!string.IsNullOrEmpty(raw))
            {
                where += " AND " + clause;
                args.Add((name, value(raw)));
            }
        }
        Filter("email", filter.Email, "email = @email", v => Contact.NormalizeEmail(v) ?? v);
        Filter("phone", filter.Phone, "phone = @phone", v => Contact.NormalizePhone(v) ?? v);
        Filter("external_id", filter.ExternalId, "external_id = @external_id", v => v);
        Filter("status", filter.Status, "status = @status", v => v is CustomerStatus.Active or CustomerStatus.Blocked
            ? v : throw OperationException.Invalid("status", "'status' must be 'active' or 'blocked'."));
        // A tier id or a live tier's name (names are unique among a program's live tiers).
        Filter("tier", filter.Tier, "vip_tier_id IN (SELECT id FROM vip_tiers WHERE program_id = @p AND deleted_at IS NULL AND (id = @tier OR name = @tier))", v => v);
        Filter("search", filter.Search, $"search_text {db.ILike} @search ESCAPE '\\'", ContainsPattern);
        return (where, args);
    }

    /// <summary>A LIKE pattern (escape character '\') that matches text containing <paramref name="text"/>, lower-cased.</summary>
    private static string ContainsPattern(string text) =>
        "%" + text.ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
}
