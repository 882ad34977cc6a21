using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Patron.Dashboard;

/// <summary>
/// The dashboard's few script files (src/Patron/Admin/Static), kept in the assembly and served by Patron
/// itself at <c>/admin/static/{name}</c>: no CDN, no Node build.
/// </summary>
public static class AdminStatic
{
    public const string BasePath = AdminAuth.BasePath + "/static";

    private static readonly FrozenDictionary<string, Lazy<(byte[] Body, string ETag)>> Files =
        new[] { "jsQR.js", "pos-scan.js" }.ToFrozenDictionary(name => name, name => new Lazy<(byte[], string)>(() => Load(name)));

    public static void MapAdminStatic(this IEndpointRouteBuilder app) =>
        app.MapGet(BasePath + "/{name}", Serve).ExcludeFromDescription().AllowAnonymous();

    private static IResult Serve(string name, HttpContext http)
    {
        if (!Files.TryGetValue(name, out var file))
        {
            return Results.NotFound();
        }
        var (body, etag) = file.Value;
        var headers = http.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = "public, max-age=300";
        headers.XContentTypeOptions = "nosniff";
        return http.Request.Headers.IfNoneMatch.ToString() == etag
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(body, "text/javascript; charset=utf-8");
    }

    private static (byte[], string) Load(string name)
    {
        using var stream = typeof(AdminStatic).Assembly.GetManifestResourceStream("Patron.Admin.Static." + name)
            ?? throw new InvalidOperationException($"The dashboard file {name} is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var body = copy.ToArray();
        return (body, "\"" + Convert.ToHexStringLower(SHA256.HashData(body))[..16] + "\"");
    }
}
