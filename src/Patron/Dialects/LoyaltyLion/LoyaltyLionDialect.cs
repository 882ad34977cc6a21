using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Patron.Api;

namespace Patron.Dialects.LoyaltyLion;

/// <summary>
/// LoyaltyLion's v2 Admin API (docs/migrate/loyaltylion.md): activities, orders, customers, voucher
/// code import and the referral link, under <c>/compat/loyaltylion/v2</c>. Every write runs the
/// core's operations (orders, activities, customers, vouchers); this class only reads LoyaltyLion's
/// shapes and writes them back.
/// </summary>
public sealed class LoyaltyLionDialect : Dialect
{
    public override string Name => "loyaltylion";

    public override string Title => "LoyaltyLion";

    public override PathString BasePath => "/compat/loyaltylion/v2";

    /// <summary>
    /// LoyaltyLion's two ways: HTTP Basic <c>token:secret</c> (the password is the Patron secret key;
    /// the user name is not checked, by convention the key's id) and <c>Authorization: Bearer &lt;key&gt;</c>.
    /// </summary>
    public override string? ReadKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return BearerKey(request);
        }
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? "" : decoded[(colon + 1)..];
        }
        catch (FormatException)
        {
            return "";
        }
    }

    /// <summary>LoyaltyLion's error body: <c>{"error": {"message": ..., "details": {...}}}</c>; details carry Patron's code and parameter.</summary>
    public override Task WriteErrorAsync(HttpContext http, ApiException error)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = new ErrorEnvelope(new ErrorBody(error.Message, new ErrorDetails(error.Code, error.Param)));
        return JsonSerializer.SerializeAsync(http.Response.Body, body, PatronJson.Options);
    }

    public override void Map(RouteGroupBuilder routes)
    {
        routes.MapLoyaltyLionActivities();
        routes.MapLoyaltyLionOrders();
        routes.MapLoyaltyLionCustomers();
        routes.MapLoyaltyLionClaimedRewards();
    }

    private sealed record ErrorEnvelope(ErrorBody Error);

    private sealed record ErrorBody(string Message, ErrorDetails Details);

    private sealed record ErrorDetails(
        string Code,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Param);
}
