using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using Patron.Storage;

namespace Patron.Members;

/// <summary>
/// The embeddable widget (<c>/widget/v1.js</c>, a static file kept in the repository and served from
/// the assembly) and the hosted loyalty page <c>/p/{program}</c> for shops without a theme to change.
/// </summary>
public static class WidgetEndpoints
{
    public const string ScriptPath = "/widget/v1.js";

    private static readonly Lazy<(byte[] Body, string ETag)> Script = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Patron.Members.Widget.v1.js")
            ?? throw new InvalidOperationException("The widget script is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var body = copy.ToArray();
        return (body, "\"" + Convert.ToHexStringLower(SHA256.HashData(body))[..16] + "\"");
    });

    /// <summary>The widget's size in bytes as served (docs/WIDGET.md reports it; a test keeps it under 30 KB).</summary>
    public static int ScriptBytes => Script.Value.Body.Length;

    public static void MapWidget(this IEndpointRouteBuilder app)
    {
        app.MapGet(ScriptPath, ServeScript).ExcludeFromDescription();
        app.MapGet("/p/{program}", HostedPage).ExcludeFromDescription();
    }

    private static IResult ServeScript(HttpContext http)
    {
        var (body, etag) = Script.Value;
        var headers = http.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = "public, max-age=300";
        headers.XContentTypeOptions = "nosniff";
        // Loaded by shops' pages from Patron's origin.
        headers["Cross-Origin-Resource-Policy"] = "cross-origin";
        if (http.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            return Results.StatusCode(304);
        }
        return Results.Bytes(body, "text/javascript; charset=utf-8");
    }

    /// <summary>
    /// The program's loyalty page: the widget's panel, open, for the customer named by the signed
    /// <c>customer</c>, <c>timestamp</c> and <c>signature</c> query parameters (the shop links its
    /// signed-in customers here). The page itself shows no customer data: the widget fetches it.
    /// </summary>
    private static async Task<IResult> HostedPage(string program, HttpContext http, Database db)
    {
        var name = program.Length <= 100 ? await db.ReadAsync(sql => MemberStore.ProgramNameAsync(sql, program)) : null;
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "private, no-store";
        headers.XContentTypeOptions = "nosniff";
        if (name is null)
        {
            return Results.Content(Page("Not found", "<p>There is no loyalty program here.</p>"), "text/html; charset=utf-8", statusCode: 404);
        }
        var q = http.Request.Query;
        string Attr(string key) => WebUtility.HtmlEncode(q[key].ToString());
        var title = WebUtility.HtmlEncode(name);
        var body = q["customer"].ToString().Length == 0 || q["signature"].ToString().Length == 0
            ? "<p>Open this page from your account at the shop to see your points and rewards.</p>"
            : $"""
              <div id="patron"></div>
              <script src="{ScriptPath}" data-mount="#patron" data-program="{WebUtility.HtmlEncode(program)}" data-customer="{Attr("customer")}" data-timestamp="{Attr("timestamp")}" data-signature="{Attr("signature")}"></script>
              """;
        return Results.Content(Page(title, $"<h1>{title}</h1>\n{body}"), "text/html; charset=utf-8");
    }

    private static string Page(string title, string body) => $"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{title}</title>
        <style>body{"{"}font-family:system-ui,sans-serif;max-width:480px;margin:40px auto;padding:0 16px;color:#1f2937{"}"}</style>
        </head>
        <body>
        {body}
        </body>
        </html>
        """;
}
