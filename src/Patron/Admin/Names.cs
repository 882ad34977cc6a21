using Patron.Domain;

namespace Patron.Dashboard;

public static class Names
{
    /// <summary>How a customer is named on a page: their name, else email, phone or id.</summary>
    public static string Of(CustomerDto c) =>
        string.Join(' ', new[] { c.FirstName, c.LastName }.Where(s => !string.IsNullOrEmpty(s))) is { Length: > 0 } name
            ? name : c.Email ?? c.Phone ?? c.Id;
}
