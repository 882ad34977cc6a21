using Patron.Domain;

namespace Patron.Operations.CustomerAccounts;

/// <summary>The body of POST and PATCH /customers, and one row of a customer import.</summary>
public sealed class CustomerInput
{
    public string? ExternalId { get; set; }

    /// <summary>Loyalino's name for <see cref="ExternalId"/> (the shop's own customer id).</summary>
    public string? ShopifyCustomerId { get; set; }

    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    public string? Birthday { get; set; }
    public string? Status { get; set; }
    public long? InitialPoints { get; set; }
    public string? ReferredBy { get; set; }
    public string? Notes { get; set; }
}

/// <summary>Customer input after validation: null = not given, "" = clear (PATCH), otherwise the normalised value.</summary>
public sealed record CustomerFields(
    string? ExternalId, string? Email, string? Phone, string? FirstName, string? LastName,
    string? Birthday, string? Status, string? Notes = null)
{
    /// <summary>The longest <c>notes</c> a customer may carry, in characters.</summary>
    public const int MaxNotesLength = 2000;

    /// <summary>A new customer needs one way to be found again.</summary>
    public void RequireIdentity()
    {
        if (string.IsNullOrEmpty(ExternalId) && string.IsNullOrEmpty(Email) && string.IsNullOrEmpty(Phone))
        {
            throw OperationException.Missing("external_id, email or phone");
        }
    }

    public static CustomerFields From(CustomerInput input)
    {
        if (input.ExternalId is { } a && input.ShopifyCustomerId is { } b && a.Trim() != b.Trim())
        {
            throw OperationException.Invalid("shopify_customer_id", "'shopify_customer_id' and 'external_id' are the same field; send one of them.");
        }
        return new CustomerFields(
            Text(input.ExternalId ?? input.ShopifyCustomerId, input.ExternalId is null && input.ShopifyCustomerId is not null ? "shopify_customer_id" : "external_id", 200),
            Clearable(input.Email, "email", v => Contact.NormalizeEmail(v), "is not a valid email address"),
            Clearable(input.Phone, "phone", v => Contact.NormalizePhone(v), "must be an international number such as +4915112345678"),
            Text(input.FirstName, "first_name", 200),
            Text(input.LastName, "last_name", 200),
            Clearable(input.Birthday, "birthday", v => Contact.NormalizeBirthday(v), "must be a date as YYYY-MM-DD"),
            input.Status switch
            {
                null => null,
                CustomerStatus.Active or CustomerStatus.Blocked => input.Status,
                _ => throw OperationException.Invalid("status", "'status' must be 'active' or 'blocked'."),
            },
            Text(input.Notes, "notes", MaxNotesLength));
    }

    private static string? Text(string? value, string name, int max)
    {
        if (value is null)
        {
            return null;
        }
        var trimmed = value.Trim();
        return trimmed.Length > max ? throw OperationException.Invalid(name, $"'{name}' is limited to {max} characters.") : trimmed;
    }

    private static string? Clearable(string? value, string name, Func<string, string?> normalize, string problem)
    {
        if (value is null || value.Trim().Length == 0)
        {
            return value is null ? null : "";
        }
        return normalize(value) ?? throw OperationException.Invalid(name, $"'{name}' {problem}.");
    }
}
