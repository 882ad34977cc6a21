using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Members;

/// <summary>The widget script and the hosted page as HTTP resources (the browser tests drive them).</summary>
public sealed class WidgetTests
{
    [Theory, DatabaseData]
    public async Task The_widget_script_is_served_small_and_cacheable(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ct = TestContext.Current.CancellationToken;
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        using var script = await client.GetAsync("/widget/v1.js", ct);
        script.StatusCode.ShouldBe(HttpStatusCode.OK);
        script.Content.Headers.ContentType!.MediaType.ShouldBe("text/javascript");
        var body = await script.Content.ReadAsByteArrayAsync(ct);
        body.Length.ShouldBeLessThan(30 * 1024);
        body.Length.ShouldBe(Patron.Members.WidgetEndpoints.ScriptBytes);
        System.Text.Encoding.UTF8.GetString(body).ShouldContain("attachShadow");

        using var again = new HttpRequestMessage(HttpMethod.Get, "/widget/v1.js");
        again.Headers.TryAddWithoutValidation("If-None-Match", script.Headers.ETag!.ToString());
        using var notModified = await client.SendAsync(again, ct);
        notModified.StatusCode.ShouldBe(HttpStatusCode.NotModified);
    }

    [Theory, DatabaseData]
    public async Task The_hosted_page_embeds_the_signed_credential_escaped_and_is_404_for_an_unknown_program(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ct = TestContext.Current.CancellationToken;
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        (await server.Client.PatchJsonAsync("/api/v1/program", new { name = "Bean <Club>" })).Code.ShouldBe(200);

        var html = await client.GetStringAsync(
            $"/p/{server.ProgramId}?customer=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&timestamp=1&signature=abc", ct);
        html.ShouldContain("Bean &lt;Club&gt;");
        html.ShouldContain("data-customer=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"");
        html.ShouldNotContain("<script>alert(1)");

        var anonymous = await client.GetStringAsync($"/p/{server.ProgramId}", ct);
        anonymous.ShouldNotContain("widget/v1.js");
        using var missing = await client.GetAsync("/p/prog_nope", ct);
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        missing.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("script-src 'self'");
    }
}
