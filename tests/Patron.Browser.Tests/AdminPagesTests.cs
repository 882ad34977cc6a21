using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Patron.Operations.StaffAccounts;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Browser.Tests;

/// <summary>
/// The dashboard's program pages (docs/ADMIN.md): the audit trail, rewards and voucher pools, earn rules,
/// VIP tiers, settings, erasure, webhook replay, the POS camera scan and imports, clicked through as a person would.
/// </summary>
public sealed class AdminPagesTests(BrowserFixture browser)
{
    private const string Password = "correct horse battery";

    [BrowserTheory, DatabaseData]
    public async Task An_owner_reads_the_audit_trail_filtered_by_action_and_subject_page_by_page(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        var rewardIds = new List<string>();
        for (var i = 1; i <= AdminPageSize + 1; i++)
        {
            using var created = await server.Client.PostAsJsonAsync("/api/v1/rewards", new { name = $"Reward {i}", type = "free_product", points_cost = 10 * i }, ct);
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
            rewardIds.Add((await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!);
        }
        using (var key = await server.Client.PostAsJsonAsync("/api/v1/api_keys", new { name = "Audited key", scope = "read" }, ct))
        {
            key.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        var (context, page) = await SignInAsync(server, "owner@example.com");
        await using var _ = context;

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit trail" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit trail" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#audit tbody tr").First).ToContainTextAsync("api_key.created");

        await page.GetByLabel("Action").SelectOptionAsync("reward.created");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToHaveCountAsync(AdminPageSize);
        await Assertions.Expect(page.Locator("#audit")).Not.ToContainTextAsync("api_key.created");
        await Assertions.Expect(page.Locator("#audit tbody tr").First).ToContainTextAsync(rewardIds[^1]);
        await AdminScreens.Screenshot(page, "audit");
        await page.GetByRole(AriaRole.Link, new() { Name = "Older events" }).ClickAsync();
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToContainTextAsync(rewardIds[0]);
        await Assertions.Expect(page.GetByLabel("Action")).ToHaveValueAsync("reward.created");

        await page.GetByLabel("Action").SelectOptionAsync("");
        await page.GetByLabel("Subject (type or id)").FillAsync(rewardIds[3]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToContainTextAsync("Reward 4");

        await page.GetByLabel("Subject (type or id)").FillAsync("api_key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.Locator("#audit tbody tr").First).ToContainTextAsync("Audited key");
        await Assertions.Expect(page.Locator("#audit")).Not.ToContainTextAsync("reward.created");
    }

    [BrowserTheory, DatabaseData]
    public async Task An_owner_erases_a_customer_after_confirming_and_the_ledger_stays(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        string customerId;
        using (var created = await server.Client.PostAsJsonAsync("/api/v1/customers",
            new { phone = "+4915199999999", first_name = "Grace", last_name = "Hopper", email = "grace@example.com" }, ct))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
            customerId = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!;
        }
        var (context, page) = await SignInAsync(server, "owner@example.com");
        await using var _ = context;

        await page.GotoAsync(AdminScreens.Url(server, "/admin/customers/" + customerId));
        await page.GetByRole(AriaRole.Link, new() { Name = "Erase customer…" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Erase Grace Hopper?" })).ToBeVisibleAsync();
        await page.GetByLabel("I understand: erase this customer's personal data").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Erase for good" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Customer {customerId} is erased");

        await page.GetByLabel("Find by id, email, phone, external id, QR code or name").FillAsync("grace@example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No customer matches.")).ToBeVisibleAsync();
        var row = await server.App.Services.GetRequiredService<Database>().ReadAsync(sql =>
            sql.ListAsync("SELECT email, phone, first_name, status FROM customers WHERE id = @id",
                r => (Email: r.StringOrNull(0), Phone: r.StringOrNull(1), Name: r.StringOrNull(2), Status: r.GetString(3)), ("id", customerId)));
        row.ShouldHaveSingleItem().ShouldBe((null, null, null, "deleted"));

        await page.GotoAsync(AdminScreens.Url(server, $"/admin/audit?action=customer.erased"));
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#audit tbody tr")).ToContainTextAsync(customerId);
    }

    [BrowserTheory, DatabaseData]
    public async Task An_owner_sends_a_test_event_and_replays_one_delivery_to_a_webhook_endpoint(string database)
    {
        using var receiver = new WebhookReceiver();
        await using var server = await PatronServer.StartAsync(database,
            settings: new Dictionary<string, string> { ["Patron:Webhooks:AllowPrivateTargets"] = "true" });
        await StaffAccountOperations.CreateAsync(server.WritePath, server.ProgramId, "owner@example.com", StaffRoles.Owner, Password);
        var ct = TestContext.Current.CancellationToken;
        using (var endpoint = await server.Client.PostAsJsonAsync("/api/v1/webhook_endpoints",
            new { url = receiver.Url, events = (string[])["customer.created"] }, ct))
        {
            endpoint.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        var (context, page) = await SignInAsync(server, "owner@example.com");
        await using var _ = context;

        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Send a test event to {receiver.Url}" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("was answered with HTTP 200");
        var test = receiver.Received.ShouldHaveSingleItem();
        test.Body.GetProperty("type").GetString().ShouldBe("webhook.test");
        test.Signed.ShouldBeTrue();

        using (var created = await server.Client.PostAsJsonAsync("/api/v1/customers", new { email = "hook@example.com" }, ct))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        await receiver.WaitForAsync(2);
        var eventId = receiver.Received[1].Body.GetProperty("id").GetString();
        await page.GetByRole(AriaRole.Link, new() { Name = "Delivery log" }).ClickAsync();
        await Assertions.Expect(page.Locator("#deliveries tbody tr")).ToHaveCountAsync(1);
        // The receiver has the event before the dispatcher records the answer: the page is reloaded until it shows it.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(await page.Locator("#deliveries tbody tr").InnerTextAsync()).Contains("succeeded", StringComparison.Ordinal)
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, ct);
            await page.ReloadAsync();
        }
        await Assertions.Expect(page.Locator("#deliveries tbody tr")).ToContainTextAsync("succeeded");
        await page.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is queued to be sent again");
        await receiver.WaitForAsync(3);
        receiver.Received[2].Body.GetProperty("id").GetString().ShouldBe(eventId);
        deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            await page.ReloadAsync();
        }
        while ((await page.Locator("#deliveries tbody tr td.num").InnerTextAsync()).Trim() != "2" && DateTime.UtcNow < deadline);
        await Assertions.Expect(page.Locator("#deliveries tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#deliveries tbody tr td.num")).ToHaveTextAsync("2");
    }

    /// <summary>A webhook endpoint on 127.0.0.1 that answers 200 and keeps what it was sent.</summary>
    private sealed class WebhookReceiver : IDisposable
    {
        private readonly System.Net.HttpListener _listener = new();
        private readonly List<(JsonElement Body, bool Signed)> _received = [];

        public WebhookReceiver()
        {
            var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/hooks/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(ListenAsync);
        }

        public string Url { get; }

        public List<(JsonElement Body, bool Signed)> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public async Task WaitForAsync(int count)
        {
            for (var i = 0; i < 300 && Received.Count < count; i++)
            {
                await Task.Delay(100);
            }
            Received.Count.ShouldBeGreaterThanOrEqualTo(count);
        }

        private async Task ListenAsync()
        {
            while (_listener.IsListening)
            {
                System.Net.HttpListenerContext call;
                try
                {
                    call = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is System.Net.HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                using (var reader = new StreamReader(call.Request.InputStream))
                {
                    var body = JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement.Clone();
                    lock (_received)
                    {
                        _received.Add((body, call.Request.Headers["webhook-signature"] is { Length: > 0 }));
                    }
                }
                call.Response.StatusCode = 200;
                call.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }

    private static readonly string[] CustomerCreated = ["customer.created"];

    private const int AdminPageSize = Patron.Dashboard.AdminPage.PageSize;

    /// <summary>A new browser context (dispose it) whose page is signed in as <paramref name="email"/>.</summary>
    private async Task<(IBrowserContext Context, IPage Page)> SignInAsync(PatronServer server, string email, int width = 1100)
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = 800 } });
        var page = await context.NewPageAsync();
        await AdminScreens.SignInAsync(page, server, email, Password);
        return (context, page);
    }

}
