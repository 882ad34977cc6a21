using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Xml.Linq;
using Patron.Tests.Infrastructure;
using QRCoder;
using Shouldly;

namespace Patron.Tests.Customers;

/// <summary>
/// A customer's QR card (docs/API.md, Customers). No QR decoder restores from this machine's
/// package feed (ZXing.Net, ZXingCpp and QRCodeDecoderLibrary are all missing), so the PNG is checked
/// module by module: the image is parsed here (zlib + PNG filters, no imaging library), every module's
/// centre pixel is read, and the grid must equal QRCoder's own encoding of the customer's qr_code,
/// computed in the test. A PNG of any other value, a blank or a shifted image fails.
/// </summary>
public sealed class QrCodeTests
{
    [Theory, DatabaseData]
    public async Task The_svg_and_png_encode_the_customers_qr_code_which_finds_the_customer(string database)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await PatronServer.StartAsync(database);
        var customer = await server.Client.PostJsonAsync("/api/v1/customers", new { email = "qr@example.com" });
        var id = customer.Str("id");
        var qr = customer.Str("qr_code");
        qr.ShouldStartWith("pq_");

        using var svgResponse = await server.Client.GetAsync($"/api/v1/customers/{id}/qr.svg", ct);
        svgResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        svgResponse.Content.Headers.ContentType!.MediaType.ShouldBe("image/svg+xml");
        var svg = XDocument.Parse(await svgResponse.Content.ReadAsStringAsync(ct));
        svg.Root!.Name.LocalName.ShouldBe("svg");
        svg.Root.Name.NamespaceName.ShouldBe("http://www.w3.org/2000/svg");
        svg.Descendants().Count().ShouldBeGreaterThan(1);

        // By the QR value itself, as a till's scanner would ask.
        using var pngResponse = await server.Client.GetAsync($"/api/v1/customers/{qr}/qr.png", ct);
        pngResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        pngResponse.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
        var image = Png.Read(await pngResponse.Content.ReadAsByteArrayAsync(ct));

        using var generator = new QRCodeGenerator();
        using var expected = generator.CreateQrCode(qr, QRCodeGenerator.ECCLevel.M);
        var modules = ModulesOf(image, expected.ModuleMatrix.Count);
        modules.ShouldBe(Matrix(expected));
        // And not just any QR code: another value's modules differ.
        using var otherValue = generator.CreateQrCode(qr + "x", QRCodeGenerator.ECCLevel.M);
        modules.ShouldNotBe(Matrix(otherValue));

        var found = await server.Client.GetJsonAsync($"/api/v1/customers/{qr}");
        found.Code.ShouldBe(200);
        found.Str("id").ShouldBe(id);

        (await server.Client.GetJsonAsync("/api/v1/customers/pq_nobody/qr.png")).Code.ShouldBe(404);
        var (_, other) = await server.CreateProgramAsync();
        (await other.GetJsonAsync($"/api/v1/customers/{qr}/qr.svg")).Code.ShouldBe(404);
    }

    private static bool[][] Matrix(QRCodeData data) =>
        data.ModuleMatrix.Select(row => Enumerable.Range(0, row.Length).Select(i => row[i]).ToArray()).ToArray();

    /// <summary>Samples the centre pixel of each module of an image <paramref name="modules"/> modules wide.</summary>
    private static bool[][] ModulesOf(Png.Image image, int modules)
    {
        image.Width.ShouldBe(image.Height);
        (image.Width % modules).ShouldBe(0, $"a {image.Width}-pixel image is not a whole number of pixels per module for {modules} modules");
        var size = image.Width / modules;
        return Enumerable.Range(0, modules).Select(y => Enumerable.Range(0, modules)
            .Select(x => image.IsDark(x * size + size / 2, y * size + size / 2)).ToArray()).ToArray();
    }
}

/// <summary>A small PNG reader: non-interlaced, grey, palette, RGB or RGBA; every filter type.</summary>
internal static class Png
{
    public sealed record Image(int Width, int Height, byte[][] Luma)
    {
        public bool IsDark(int x, int y) => Luma[y][x] < 128;
    }

    public static Image Read(byte[] png)
    {
        png.AsSpan(0, 8).ToArray().ShouldBe(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 });
        int width = 0, height = 0, depth = 0, colorType = 0;
        byte[]? palette = null;
        using var idat = new MemoryStream();
        for (var at = 8; at < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    depth = data[8];
                    colorType = data[9];
                    data[12].ShouldBe((byte)0, "interlaced PNGs are not read here");
                    break;
                case "PLTE":
                    palette = data.ToArray();
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }
            at += 12 + length;
        }

        var channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new InvalidDataException($"color type {colorType}") };
        var bitsPerPixel = channels * depth;
        var stride = (width * bitsPerPixel + 7) / 8;
        var bpp = Math.Max(1, bitsPerPixel / 8);
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            z.CopyTo(inflated);
        }
        var raw = inflated.ToArray();
        raw.Length.ShouldBe(height * (stride + 1));

        var luma = new byte[height][];
        var previous = new byte[stride];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var line = raw.AsSpan(y * (stride + 1) + 1, stride).ToArray();
            for (var i = 0; i < stride; i++)
            {
                int a = i >= bpp ? line[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
                line[i] = (byte)(line[i] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"filter {filter}"),
                });
            }
            luma[y] = new byte[width];
            for (var x = 0; x < width; x++)
            {
                luma[y][x] = Luma(line, x, depth, colorType, palette);
            }
            previous = line;
        }
        return new Image(width, height, luma);
    }

    private static byte Luma(byte[] line, int x, int depth, int colorType, byte[]? palette)
    {
        if (colorType is 0 or 3)
        {
            var bit = x * depth;
            var value = (line[bit / 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1);
            if (colorType == 3)
            {
                var p = palette ?? throw new InvalidDataException("palette image without PLTE");
                return (byte)((p[value * 3] + p[value * 3 + 1] + p[value * 3 + 2]) / 3);
            }
            return (byte)(value * 255 / ((1 << depth) - 1));
        }
        depth.ShouldBe(8);
        var n = colorType switch { 2 => 3, 4 => 2, _ => 4 };
        var px = line.AsSpan(x * n, n);
        return colorType == 4 ? px[0] : (byte)((px[0] + px[1] + px[2]) / 3);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
