using Patron.Storage;
using QRCoder;

namespace Patron.Api;

/// <summary>
/// A customer's QR card (docs/API.md, Customers): the customer's unguessable <c>qr_code</c> value as
/// an SVG or PNG image, for a till's scanner. The value itself is a customer reference.
/// </summary>
public static class QrCodesEndpoints
{
    /// <summary>Pixels per module: 10 gives a 330-pixel image for the usual 25-module code with quiet zone.</summary>
    private const int PixelsPerModule = 10;

    public static RouteGroupBuilder MapQrCodesApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/customers/{reference}").WithTags("Customers");
        group.MapGet("/qr.svg", Svg).WithSummary("The customer's QR code value as an SVG image").Produces(200, contentType: "image/svg+xml");
        group.MapGet("/qr.png", Png).WithSummary("The customer's QR code value as a PNG image").Produces(200, contentType: "image/png");
        return group;
    }

    /// <summary>Error correction M (15% of the code may be damaged or dirty): a fair trade for a card on a phone screen or paper.</summary>
    public static QRCodeData Encode(string value)
    {
        using var generator = new QRCodeGenerator();
        return generator.CreateQrCode(value, QRCodeGenerator.ECCLevel.M);
    }

    private static async Task<IResult> Svg(string reference, HttpContext http, Caller caller, Database db)
    {
        var customer = await db.ReadAsync(sql => Customers.GetAsync(sql, caller.ProgramId, reference));
        using var data = Encode(customer.QrCode);
        var svg = new SvgQRCode(data).GetGraphic(PixelsPerModule, "#000000", "#ffffff", drawQuietZones: true,
            sizingMode: SvgQRCode.SizingMode.ViewBoxAttribute);
        NoStore(http);
        return Results.Text(svg, "image/svg+xml; charset=utf-8");
    }

    private static async Task<IResult> Png(string reference, HttpContext http, Caller caller, Database db)
    {
        var customer = await db.ReadAsync(sql => Customers.GetAsync(sql, caller.ProgramId, reference));
        using var data = Encode(customer.QrCode);
        var png = new PngByteQRCode(data).GetGraphic(PixelsPerModule);
        NoStore(http);
        return Results.Bytes(png, "image/png");
    }

    /// <summary>The image carries a customer identifier: shared caches must not keep it.</summary>
    private static void NoStore(HttpContext http) => http.Response.Headers.CacheControl = "private, no-store";
}
