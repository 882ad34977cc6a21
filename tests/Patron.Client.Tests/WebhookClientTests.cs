using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Patron.Tests.Infrastructure;
using Patron.Tests.Webhooks;
using Patron.Webhooks;
using Shouldly;

namespace Patron.Client.Tests;

/// <summary>A webhook that Patron really delivers, verified and parsed with the client's helper.</summary>
public sealed class WebhookClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A server whose webhooks may reach a receiver on 127.0.0.1; the test runs the dispatcher's passes itself.</summary>
    private static Task<PatronServer> StartAsync(string database) => PatronServer.StartAsync(database, settings: new Dictionary<string, string>
    {
        ["Patron:Webhooks:AllowPrivateTargets"] = "true",
        ["Patron:Webhooks:Dispatcher"] = "false",
    });

    private static Task<int> DispatchAsync(PatronServer server) =>
        server.App.Services.GetRequiredService<WebhookDispatcher>().RunOnceAsync(Ct);

    [Theory, DatabaseData]
    public async Task A_webhook_delivered_by_Patron_verifies_with_the_client_helper_and_parses_into_the_model(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await StartAsync(database);
        using var patron = server.Client();
        var endpoint = await patron.WebhookEndpoints.CreateAsync(new()
        {
            Url = receiver.Url(),
            Events = [EventTypes.CustomerCreated, EventTypes.PointsCreated],
            Description = "client test",
        }, cancellationToken: Ct);
        endpoint.Secret.ShouldNotBeNull().ShouldStartWith("whsec_");
        endpoint.Events.ShouldBe([EventTypes.CustomerCreated, EventTypes.PointsCreated]);

        var customer = await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail(), FirstName = "Grace" }, cancellationToken: Ct);
        await patron.PointsTransactions.AwardAsync(customer.Id, 40, cancellationToken: Ct);
        (await DispatchAsync(server)).ShouldBe(2);

        var deliveries = receiver.Requests.OrderBy(r => r.Number).ToList();
        deliveries.Count.ShouldBe(2);
        var created = deliveries.Single(d => d.EventType == EventTypes.CustomerCreated);

        // Stripe style: the raw body and the Patron-Signature header.
        var evt = WebhookSignature.ConstructEvent(created.Text, created.Header("Patron-Signature"), endpoint.Secret);
        evt.Type.ShouldBe(EventTypes.CustomerCreated);
        evt.Id.ShouldBe(created.Header("webhook-id"));
        var data = evt.DataObject().ShouldBeOfType<Customer>();
        data.Id.ShouldBe(customer.Id);
        data.FirstName.ShouldBe("Grace");

        // Standard Webhooks: the three webhook-* headers.
        var points = deliveries.Single(d => d.EventType == EventTypes.PointsCreated);
        var pointsEvent = WebhookSignature.ConstructEvent(points.Body, points.Headers, endpoint.Secret);
        pointsEvent.DataAs<PointsTransaction>().Points.ShouldBe(40);
        pointsEvent.DataObject().ShouldBeOfType<PointsTransaction>().CustomerId.ShouldBe(customer.Id);

        // The same event as the API shows it.
        var listed = await patron.Events.GetAsync(evt.Id, cancellationToken: Ct);
        listed.Type.ShouldBe(evt.Type);
        listed.DataAs<Customer>().Email.ShouldBe(customer.Email);

        var log = await patron.WebhookEndpoints.ListDeliveriesAsync(endpoint.Id, cancellationToken: Ct);
        log.Data.Count.ShouldBe(2);
        log.Data.ShouldAllBe(d => d.Status == "succeeded" && d.LastStatusCode == 200);
    }

    [Theory, DatabaseData]
    public async Task A_tampered_stale_or_wrongly_keyed_delivery_is_refused_by_the_client_helper(string database)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await StartAsync(database);
        using var patron = server.Client();
        var endpoint = await patron.WebhookEndpoints.CreateAsync(new() { Url = receiver.Url() }, cancellationToken: Ct);
        await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct);
        (await DispatchAsync(server)).ShouldBe(1);
        var delivery = receiver.Requests.Single();
        var header = delivery.Header("Patron-Signature");
        var secret = endpoint.Secret!;

        WebhookSignature.ConstructEvent(delivery.Body, header, secret).Type.ShouldBe(EventTypes.CustomerCreated);
        Should.Throw<WebhookSignatureException>(() => WebhookSignature.ConstructEvent(delivery.Text + " ", header, secret));
        Should.Throw<WebhookSignatureException>(() => WebhookSignature.ConstructEvent(
            delivery.Text, header, "whsec_" + Convert.ToBase64String(new byte[32])));
        Should.Throw<WebhookSignatureException>(() => WebhookSignature.ConstructEvent(
            delivery.Text, header, secret, TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow.AddMinutes(10)));
        Should.Throw<WebhookSignatureException>(() => WebhookSignature.ConstructEvent(delivery.Text, null, secret));

        var tampered = Encoding.UTF8.GetBytes(delivery.Text.Replace("customer.created", "customer.deleted", StringComparison.Ordinal));
        Should.Throw<WebhookSignatureException>(() => WebhookSignature.ConstructEvent(tampered, delivery.Headers, secret));
        var otherId = delivery.Headers.ToDictionary(h => h.Key, h => h.Value);
        otherId["webhook-id"] = "evt_01JD3KQ8X4V2N7Q9R5T6Y8Z0AB";
        Should.Throw<WebhookSignatureException>(() => WebhookSignature.ConstructEvent(delivery.Body, otherId, secret));
    }

    [Theory, DatabaseData]
    public async Task Webhook_endpoints_are_listed_changed_and_deleted_through_the_client(string database)
    {
        await using var server = await StartAsync(database);
        using var patron = server.Client();
        var endpoint = await patron.WebhookEndpoints.CreateAsync(new() { Url = "http://127.0.0.1:9/hook" }, cancellationToken: Ct);

        var changed = await patron.WebhookEndpoints.UpdateAsync(endpoint.Id, new() { Enabled = false, Description = "paused" }, cancellationToken: Ct);
        changed.Enabled.ShouldBeFalse();
        changed.DisabledReason.ShouldBe("manual");
        changed.Description.ShouldBe("paused");
        changed.Secret.ShouldBeNull();
        (await patron.WebhookEndpoints.GetAsync(endpoint.Id, cancellationToken: Ct)).Events.ShouldBe(["*"]);
        (await patron.WebhookEndpoints.ListAsync(cancellationToken: Ct)).Data.Single().Id.ShouldBe(endpoint.Id);

        var deleted = await patron.WebhookEndpoints.DeleteAsync(endpoint.Id, cancellationToken: Ct);
        deleted.Deleted.ShouldBeTrue();
        (await Should.ThrowAsync<PatronException>(() => patron.WebhookEndpoints.GetAsync(endpoint.Id, cancellationToken: Ct)))
            .Code.ShouldBe("resource_missing");
    }
}
