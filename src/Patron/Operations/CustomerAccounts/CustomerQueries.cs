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
    public static Task<ListEnvelope<CustomerDto>> ListAsync(Database db, string programId, CustomerFilter filter, Paging paging)
    {
        var where = Where(db, programId, filter);
        return db.ReadAsync(sql => where.PageAsync(sql, Customers.Columns, "customers", Customers.Map, paging));
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
    /// <remarks>
    /// The trigram index lists every match of a term before the newest can be picked, which for a term most
    /// customers match (<c>example</c>) is slower than reading the newest customers until a page is full.
    /// So the newest <see cref="NewestWindow"/> customers are read first; when they hold more than a page of
    /// matches, that page is the answer (the same rows the full query returns), else the index is used.
    /// </remarks>
    public static Task<CursorPage<CustomerDto>> BrowseAsync(
        Database db, string programId, string? search, string? status, string? startingAfter, int limit) =>
        db.ReadAsync(async sql =>
        {
            var term = search?.Trim();
            if (db.IsSqlite && CustomerSearch.IndexQuery(term ?? "") is not null)
            {
                var newest = $"(SELECT * FROM customers WHERE program_id = @p{(startingAfter is null ? "" : " AND id < @after")} " +
                             $"ORDER BY id DESC LIMIT {NewestWindow}) AS customers";
                var page = await Browse(programId, term, status, db.ILike, indexed: false)
                    .CursorPageAsync(sql, Customers.Columns, newest, Customers.Map, startingAfter, limit);
                if (page.HasMore)
                {
                    return page;
                }
            }
            return await Browse(programId, term, status, db.ILike, indexed: db.IsSqlite)
                .CursorPageAsync(sql, Customers.Columns, "customers", Customers.Map, startingAfter, limit);
        });

    /// <summary>How many of the newest customers the dashboard's search reads before it uses the index.</summary>
    private const int NewestWindow = 1000;

    private static ListFilter Browse(string programId, string? term, string? status, string iLike, bool indexed) =>
        new ListFilter(programId).Live()
            .Search(indexed, term,
                $"(search_text {iLike} @s ESCAPE '\\' OR phone LIKE @s ESCAPE '\\' OR external_id = @raw)",
                [("s", ListFilter.ContainsPattern(term ?? "")), ("raw", term)], alsoWhere: "external_id = @raw")
            .When(status is CustomerStatus.Active or CustomerStatus.Blocked, "status = @status", ("status", status));

    private static ListFilter Where(Database db, string programId, CustomerFilter filter) =>
        new ListFilter(programId).Live()
            .Add("email = @email", "email", Normalized(filter.Email, Contact.NormalizeEmail))
            .Add("phone = @phone", "phone", Normalized(filter.Phone, Contact.NormalizePhone))
            .Add("external_id = @external_id", "external_id", filter.ExternalId)
            .Add("status = @status", "status", ValidStatus(filter.Status))
            // A tier id or a live tier's name (names are unique among a program's live tiers).
            .Add("vip_tier_id IN (SELECT id FROM vip_tiers WHERE program_id = @p AND deleted_at IS NULL AND (id = @tier OR name = @tier))",
                "tier", filter.Tier)
            .Search(db.IsSqlite, filter.Search, $"search_text {db.ILike} @search ESCAPE '\\'",
                [("search", ListFilter.ContainsPattern(filter.Search ?? ""))]);

    /// <summary>The filter value normalised as stored, or as given when it does not normalise.</summary>
    private static string? Normalized(string? raw, Func<string, string?> normalize) =>
        string.IsNullOrEmpty(raw) ? raw : normalize(raw) ?? raw;

    private static string? ValidStatus(string? status) =>
        string.IsNullOrEmpty(status) || status is CustomerStatus.Active or CustomerStatus.Blocked
            ? status
            : throw OperationException.Invalid("status", "'status' must be 'active' or 'blocked'.");
}
