using System.Text;
using System.Text.Json;
using Patron.Api;

namespace Patron.Dialects.LoyaltyDog;

/// <summary>
/// LoyaltyDog's REST API under <c>/compat/loyaltydog</c> (docs/migrate/loyaltydog.md): customers found or
/// created by email, phone or custom identifier, points transactions (earn, redeem, adjust) with an
/// idempotent <c>reference</c>, balances and gift cards. Bearer keys; camelCase JSON.
/// </summary>
public sealed class LoyaltyDogDialect : Dialect
{
    public override string Name => "loyaltydog";

    public override string Title => "LoyaltyDog";

    public override PathString BasePath => "/compat/loyaltydog";

    public override Task WriteErrorAsync(HttpContext http, ApiException error)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = new LoyaltyDogError(new LoyaltyDogErrorBody(error.Status, error.Code, error.Message, CamelCase(error.Param), error.RetryAfter));
        return JsonSerializer.SerializeAsync(http.Response.Body, body, LoyaltyDogJson.Options);
    }

    public override void Map(RouteGroupBuilder routes)
    {
        LoyaltyDogCustomers.Map(routes);
        LoyaltyDogTransactions.Map(routes);
        LoyaltyDogGiftCards.Map(routes);
    }

    /// <summary>The core names fields in snake_case (<c>external_id</c>); LoyaltyDog clients know them in camelCase.</summary>
    public static string? CamelCase(string? param)
    {
        if (param is null || !param.Contains('_', StringComparison.Ordinal))
        {
            return param;
        }
        var sb = new StringBuilder(param.Length);
        var upper = false;
        foreach (var c in param)
        {
            if (c == '_')
            {
                upper = true;
                continue;
            }
            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return sb.ToString();
    }

    /// <summary>
    /// A Patron key belongs to one program: a <c>programId</c> other than the key's is as unknown as one
    /// that does not exist (404), so no program learns of another.
    /// </summary>
    public static void RequireProgram(Caller caller, string? programId)
    {
        if (string.IsNullOrWhiteSpace(programId))
        {
            throw ApiException.Missing("programId");
        }
        if (!string.Equals(programId.Trim(), caller.ProgramId, StringComparison.Ordinal))
        {
            throw ApiException.NotFound("program", programId.Length > 64 ? programId[..64] + "…" : programId);
        }
    }
}
