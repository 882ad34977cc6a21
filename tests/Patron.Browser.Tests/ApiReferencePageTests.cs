using Microsoft.Playwright;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>The API reference at <c>/docs</c>, opened in a real browser.</summary>
public sealed class ApiReferencePageTests(BrowserFixture browser)
{
    [BrowserFact]
    public async Task Api_reference_renders_every_document_without_any_request_leaving_the_machine()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        await using var context = await browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var elsewhere = new List<string>();
        page.Request += (_, request) =>
        {
            var uri = new Uri(request.Url);
            if (uri.Scheme is "http" or "https" && uri.Host != server.BaseAddress.Host)
            {
                lock (elsewhere)
                {
                    elsewhere.Add(request.Url);
                }
            }
        };

        await page.GotoAsync(new Uri(server.BaseAddress, "/docs/").ToString());

        await Assertions.Expect(page.Locator(".opblock-tag-section").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("/api/v1/customers").First).ToBeVisibleAsync();
        var documents = await page.Locator("select#select option").AllTextContentsAsync();
        documents.ShouldContain("Patron API v1");
        documents.Count.ShouldBeGreaterThan(1, "each dialect has its own document");
        elsewhere.ShouldBeEmpty();
    }
}
