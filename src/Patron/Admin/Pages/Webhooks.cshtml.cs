using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Patron.Domain;
using Patron.Operations.Webhooks;
using Patron.Storage;
using Patron.Webhooks;

namespace Patron.Dashboard.Pages;

/// <summary>Webhook endpoints: create (the signing secret is shown once) and each one's delivery log. Owners only.</summary>
[Authorize(Policy = AdminAuth.OwnerPolicy)]
public sealed class WebhooksModel(Database database, IWritePath writes, WebhookSecrets secrets, IOptions<PatronOptions> options) : AdminPage
{
    public List<WebhookEndpointRow> Endpoints { get; private set; } = [];

    public WebhookEndpointRow? Selected { get; private set; }

    public CursorPage<WebhookDeliveryDto>? Deliveries { get; private set; }

    public string? CreatedSecret { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? endpoint, [FromQuery(Name = "starting_after")] string? startingAfter)
    {
        await LoadAsync();
        if (endpoint is not null)
        {
            Selected = Endpoints.FirstOrDefault(e => e.Id == endpoint);
            if (Selected is null)
            {
                return NotFound();
            }
            var programId = Actor.ProgramId;
            Deliveries = await WebhookDeliveryQueries.PageAsync(database, programId, Selected.Id, Cursor(startingAfter), PageSize);
        }
        return Page();
    }

    public async Task<IActionResult> OnPostCreateAsync(string? url, string? description, string? events)
    {
        url = url?.Trim();
        if (string.IsNullOrEmpty(url) || url.Length > 2000)
        {
            await LoadAsync();
            return Refuse("Give the endpoint's URL.");
        }
        description = description?.Trim() is { Length: > 0 } d ? d : null;
        if (description is { Length: > 500 })
        {
            await LoadAsync();
            return Refuse("The description is limited to 500 characters.");
        }
        var list = (events ?? "*").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        string? secret = null;
        var done = await TryAsync(async () =>
        {
            var (row, plain) = await WebhookEndpointOperations.PrepareAsync(secrets, options.Value.Webhooks.AllowPrivateTargets, programId,
                new WebhookEndpointSettings(url, list.Length == 0 ? ["*"] : list, Enabled: true, Description: description), HttpContext.RequestAborted);
            await writes.RunAsync(async context =>
            {
                await WebhookEndpointOperations.CreateAsync(context, staff, row);
                return row.Id;
            });
            secret = plain;
        });
        await LoadAsync();
        if (done)
        {
            CreatedSecret = secret;
            Response.Headers.CacheControl = "no-store";
        }
        return Page();
    }

    private async Task LoadAsync() => Endpoints = await WebhookEndpointWrites.ListAllAsync(database, Actor.ProgramId);
    /// <summary>Sends one delivery of the log again, now (the endpoint's own retry schedule is left as it was).</summary>
    public async Task<IActionResult> OnPostReplayAsync(string? endpoint, string? delivery)
    {
        var programId = Actor.ProgramId;
        var done = await TryAsync(() => writes.RunAsync(context => WebhookReplay.ReplayAsync(context, programId, delivery ?? "")));
        if (!done)
        {
            return await OnGetAsync(endpoint, null) is NotFoundResult ? NotFound() : Page();
        }
        Notice = $"Delivery {delivery} is queued to be sent again.";
        return Redirect($"/admin/webhooks?endpoint={Uri.EscapeDataString(endpoint ?? "")}");
    }

    /// <summary>Posts a signed test event to one endpoint at once and shows its answer; the log is left as it was.</summary>
    public async Task<IActionResult> OnPostTestAsync(string? endpoint)
    {
        await LoadAsync();
        var row = Endpoints.FirstOrDefault(e => e.Id == endpoint);
        if (row is null)
        {
            return NotFound();
        }
        var clock = HttpContext.RequestServices.GetRequiredService<TimeProvider>();
        var attempt = await WebhookReplay.TestSendAsync(secrets, clock, options.Value.Webhooks, row, HttpContext.RequestAborted);
        if (!attempt.Success)
        {
            Error = $"The test event to {row.Url} failed: {attempt.Error}";
            Response.StatusCode = 502;
            return Page();
        }
        Notice = $"The test event to {row.Url} was answered with HTTP {attempt.StatusCode} in {attempt.ResponseMs} ms.";
        return Redirect("/admin/webhooks");
    }
}
