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
        await using var context = await browser.NewContextAsync();
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

        // The first render waits for the server to build the document: give a loaded machine time.
        await Assertions.Expect(page.Locator(".opblock-tag-section").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByText("/api/v1/customers").First).ToBeVisibleAsync();
        var documents = await page.Locator("select#select option").AllTextContentsAsync();
        documents.ShouldContain("Patron API v1");
        documents.Count.ShouldBeGreaterThan(1, "each dialect has its own document");
        elsewhere.ShouldBeEmpty();
    }

    [BrowserFact]
    public async Task A_user_enters_a_key_in_the_api_reference_and_tries_a_call_that_answers_200()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var sentKey = new List<string?>();
        page.Request += (_, request) =>
        {
            if (request.Url.EndsWith("/api/v1/program", StringComparison.Ordinal))
            {
                lock (sentKey)
                {
                    sentKey.Add(request.Headers.TryGetValue("authorization", out var value) ? value : null);
                }
            }
        };
        await page.GotoAsync(new Uri(server.BaseAddress, "/docs/").ToString());

        await Assertions.Expect(page.Locator(".btn.authorize").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await page.Locator(".btn.authorize").First.ClickAsync();
        await page.Locator(".auth-container input").First.FillAsync(server.AdminKey);
        await page.Locator(".auth-btn-wrapper .btn.modal-btn.auth.authorize").First.ClickAsync();
        await page.Locator(".btn-done").First.ClickAsync();
        var operation = page.Locator("#operations-Program-getProgram");
        await operation.Locator(".opblock-summary").First.ClickAsync();
        await operation.Locator(".try-out__btn").ClickAsync();
        await operation.Locator(".execute").ClickAsync();

        var answer = operation.Locator(".live-responses-table tr.response").First;
        await Assertions.Expect(answer.Locator(".response-col_status")).ToHaveTextAsync("200", new() { Timeout = 30_000 });
        await Assertions.Expect(answer.Locator(".response-col_description")).ToContainTextAsync(server.ProgramId);
        sentKey.ShouldBe([$"Bearer {server.AdminKey}"]);
    }
}
