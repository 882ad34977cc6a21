using System.Globalization;
using System.Text.Json;
using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Operations.Orders;
using Patron.Storage;

namespace Patron.Dialects.LoyaltyLion;

/// <summary>
/// Reading LoyaltyLion's request fields: amounts are decimal strings (<c>"99.95"</c>) or numbers, ids
/// are strings or numbers. Each refusal is a 422 naming the LoyaltyLion field.
/// </summary>
internal static class LoyaltyLionInput
{
    /// <summary>An amount from 0 to <see cref="Limits.MaxAmount"/> with at most 4 decimals (the core's bounds), or null when absent.</summary>
    public static decimal? Amount(JsonElement? value, string name)
    {
        if (value is not { ValueKind: not JsonValueKind.Null } v)
        {
            return null;
        }
        decimal amount = 0;
        var read = v.ValueKind switch
        {
            JsonValueKind.String => decimal.TryParse(v.GetString(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out amount),
            JsonValueKind.Number => v.TryGetDecimal(out amount),
            _ => false,
        };
        if (!read)
        {
            throw OperationException.Invalid(name, $"'{name}' must be an amount with at most 4 decimals, such as \"99.95\".");
        }
        // The bounds are the core's, checked once for every order amount (OrderOperations.CheckAmount).
        OrderOperations.CheckAmount(name, amount);
        return amount;
    }

    /// <summary>An id given as a string or a whole number, trimmed; null when absent or empty.</summary>
    public static string? Id(JsonElement? value, string name)
    {
        if (value is not { ValueKind: not JsonValueKind.Null } v)
        {
            return null;
        }
        var text = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!.Trim(),
            JsonValueKind.Number when v.TryGetInt64(out var n) => n.ToString(CultureInfo.InvariantCulture),
            _ => throw OperationException.Invalid(name, $"'{name}' must be a string or a whole number."),
        };
        if (text.Length > Limits.IdLength)
        {
            throw OperationException.Invalid(name, $"'{name}' is limited to {Limits.IdLength} characters.");
        }
        return text.Length == 0 ? null : text;
    }

    /// <summary>One of <paramref name="allowed"/>, or null when absent.</summary>
    public static string? OneOf(string? value, string name, params string[] allowed) =>
        value is null || allowed.Contains(value)
            ? value
            : throw OperationException.Invalid(name, $"'{name}' must be one of: {string.Join(", ", allowed)}.");

    /// <summary>An ISO 8601 date, checked only (Patron records when the request arrives).</summary>
    public static void Date(string? value, string name)
    {
        if (value is not null && !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
        {
            throw OperationException.Invalid(name, $"'{name}' must be an ISO 8601 date, such as \"2025-01-01T12:00:00Z\".");
        }
    }

    /// <summary>An amount as LoyaltyLion writes it: a decimal string with at least two decimals.</summary>
    public static string Text(decimal amount) => amount.ToString("0.00##", CultureInfo.InvariantCulture);

    /// <summary>A limit from 1 to 500 (LoyaltyLion's bound), 100 by default.</summary>
    public static int Limit(HttpRequest request)
    {
        var raw = request.Query["limit"].ToString();
        if (raw.Length == 0)
        {
            return 100;
        }
        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= 500
            ? limit
            : throw OperationException.Invalid("limit", "'limit' must be a whole number from 1 to 500.");
    }

    /// <summary>
    /// The customer LoyaltyLion's <c>customer_id</c> (the merchant's own id, Patron's external_id) names;
    /// one not known yet is created with that id and <paramref name="email"/>, linked to the referrer
    /// whose referral code is <paramref name="referredBy"/>. An email that already belongs to a customer
    /// with another merchant id is a conflict, never a silent re-link.
    /// </summary>
    public static async Task<CustomerDto> CustomerAsync(
        WriteContext context, string programId, string merchantId, string? email, string? referredBy, string actor)
    {
        if (await Customers.ByColumnAsync(context.Sql, programId, "external_id", merchantId) is { } known)
        {
            return known;
        }
        var fields = CustomerFields.From(new CustomerInput { ExternalId = merchantId, Email = email });
        if (fields.Email is { Length: > 0 } e && await Customers.ByColumnAsync(context.Sql, programId, "email", e) is { ExternalId: { } other } byEmail)
        {
            // The same customer, committed by a concurrent request between the two reads, or another one.
            return other == merchantId
                ? byEmail
                : throw OperationException.Conflict("customer_email_in_use",
                    "'customer_email' belongs to a customer with another customer_id.", "customer_email");
        }
        return (await CustomerOperations.CreateOrUpdateAsync(context, programId, fields, 0, referredBy, actor)).Customer;
    }
}
