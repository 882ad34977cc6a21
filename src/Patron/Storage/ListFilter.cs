namespace Patron.Storage;

/// <summary>
/// The WHERE clause of a list query and its arguments, always scoped to the caller's program, built
/// one filter at a time from the query string.
/// </summary>
public sealed class ListFilter(string programId)
{
    private readonly string _programId = programId;

    public string Where { get; private set; } = "program_id = @p";
    public List<(string, object?)> Args { get; } = [("p", programId)];

    /// <summary>Adds <c>AND condition</c> with its one argument, unless <paramref name="value"/> is empty.</summary>
    public ListFilter Add(string condition, string name, string value)
    {
        if (value.Length > 0)
        {
            Where += " AND " + condition;
            Args.Add((name, value));
        }
        return this;
    }

    /// <summary>
    /// <c>?customer_id=</c> takes any customer reference (id, external id, email, phone, QR code). One that
    /// names no customer of the program is compared as given, so the list is empty rather than an error.
    /// </summary>
    public async Task<ListFilter> AddCustomerAsync(Sql sql, string reference)
    {
        if (reference.Length > 0)
        {
            var customer = await Customers.FindAsync(sql, _programId, reference);
            Add("customer_id = @c", "c", customer?.Id ?? reference);
        }
        return this;
    }
}
