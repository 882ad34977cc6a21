using System.Net;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Client.Tests;

/// <summary>Retries: the same Idempotency-Key on every attempt of a write, so a lost answer never credits twice.</summary>
public sealed class ReliabilityClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, DatabaseData]
    public async Task An_award_whose_answer_was_lost_is_retried_and_credits_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        using var setup = server.Client();
        var customer = await setup.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct);
        var lossy = new LoseFirstWriteAnswer();
        using var patron = server.Client(handler: lossy);

        // No reference: only the client's Idempotency-Key protects this award from a double credit.
        var award = await patron.PointsTransactions.AwardAsync(customer.Id, 75, "Lost answer", cancellationToken: Ct);

        award.Points.ShouldBe(75);
        award.BalanceAfter.ShouldBe(75);
        var writes = lossy.Requests.Where(r => r.Method == HttpMethod.Post).ToList();
        writes.Count.ShouldBe(2, "the first answer was lost, so the client sent the award again");
        writes[0].IdempotencyKey.ShouldNotBeNullOrEmpty();
        writes[1].IdempotencyKey.ShouldBe(writes[0].IdempotencyKey);
        (await setup.Customers.GetAsync(customer.Id, cancellationToken: Ct)).PointsBalance.ShouldBe(75);
        var ledger = await setup.PointsTransactions.ListForCustomerAsync(customer.Id, cancellationToken: Ct);
        ledger.Data.Single().Id.ShouldBe(award.Id);
    }

    [Theory, DatabaseData]
    public async Task Without_retries_a_lost_answer_surfaces_as_a_PatronException_without_status(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        using var patron = server.Client(handler: new LoseFirstWriteAnswer(), retries: 0);

        var e = await Should.ThrowAsync<PatronException>(() =>
            patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct));

        e.StatusCode.ShouldBeNull();
        e.InnerException.ShouldBeOfType<HttpRequestException>();
    }

    [Theory, DatabaseData]
    public async Task Each_call_gets_its_own_idempotency_key_and_a_given_one_is_sent_as_is(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var recorder = new RecordingHandler();
        using var patron = server.Client(handler: recorder);
        var customer = await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct);

        var key = "job-" + Guid.NewGuid();
        var first = await patron.PointsTransactions.AwardAsync(customer.Id, 10, requestOptions: new() { IdempotencyKey = key }, cancellationToken: Ct);
        var replay = await patron.PointsTransactions.AwardAsync(customer.Id, 10, requestOptions: new() { IdempotencyKey = key }, cancellationToken: Ct);
        await patron.PointsTransactions.AwardAsync(customer.Id, 10, cancellationToken: Ct);

        replay.Id.ShouldBe(first.Id);
        (await patron.Customers.GetAsync(customer.Id, cancellationToken: Ct)).PointsBalance.ShouldBe(20);
        var keys = recorder.Requests.Where(r => r.Method == HttpMethod.Post).Select(r => r.IdempotencyKey).ToList();
        keys.Count.ShouldBe(4);
        keys[1].ShouldBe(key);
        keys[2].ShouldBe(key);
        keys.Distinct().Count().ShouldBe(3);
        recorder.Requests.Where(r => r.Method == HttpMethod.Get).ShouldAllBe(r => r.IdempotencyKey == null);
    }

    [Theory, DatabaseData]
    public async Task A_503_is_retried_with_the_same_idempotency_key(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var flaky = new FirstAnswerUnavailable();
        using var patron = server.Client(handler: flaky);

        var customer = await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct);

        customer.Id.ShouldStartWith("cus_");
        flaky.Requests.Select(r => r.Status).ShouldBe([503, 201]);
        flaky.Requests[1].IdempotencyKey.ShouldBe(flaky.Requests[0].IdempotencyKey);
    }

    [Theory, DatabaseData]
    public async Task A_rate_limited_call_waits_what_Retry_After_asks_and_then_succeeds(string database)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await PatronServer.StartAsync(database, clock);
        var limited = await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Write, rateLimitPerMinute: 1);
        var recorder = new OnAnswer(status =>
        {
            // The server's window is a minute of its clock: once the 429 has been answered, that
            // minute is made to pass, so the retry after Retry-After is let through.
            if (status == 429)
            {
                clock.Advance(TimeSpan.FromSeconds(61));
            }
        });
        using var patron = server.Client(limited!.Value.Secret, recorder);
        // The first request opens the key's window; 58 s later the next one is over the limit for 2 s more.
        await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct);
        clock.Advance(TimeSpan.FromSeconds(58));

        var customer = await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct);

        customer.Id.ShouldStartWith("cus_");
        var requests = recorder.Requests;
        requests.Select(r => r.Status).ShouldBe([201, 429, 201]);
        requests[1].RetryAfter.ShouldBe("2");
        (requests[2].At - requests[1].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(2) - TimeSpan.FromMilliseconds(50));
        requests[2].IdempotencyKey.ShouldBe(requests[1].IdempotencyKey);
    }

    [Theory, DatabaseData]
    public async Task A_429_past_the_retries_raises_the_rate_limit_error(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var limited = await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Read, rateLimitPerMinute: 1);
        using var patron = server.Client(limited!.Value.Secret, retries: 0);
        await patron.Customers.ListAsync(cancellationToken: Ct);

        var e = await Should.ThrowAsync<PatronException>(() => patron.Customers.ListAsync(cancellationToken: Ct));

        e.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        e.Type.ShouldBe("rate_limit_error");
        e.Code.ShouldBe("rate_limited");
        e.RetryAfter.ShouldNotBeNull().ShouldBeInRange(1, 60);
    }

    [Theory, DatabaseData]
    public async Task A_cancelled_call_stops_waiting_for_its_retry(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var limited = await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Read, rateLimitPerMinute: 1);
        using var patron = server.Client(limited!.Value.Secret);
        await patron.Customers.ListAsync(cancellationToken: Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(300));
        var started = DateTimeOffset.UtcNow;

        await Should.ThrowAsync<TaskCanceledException>(() => patron.Customers.ListAsync(cancellationToken: cancel.Token));

        (DateTimeOffset.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(5), "the retry after the 429 waits up to a minute");
    }
}

/// <summary>Records every request and calls back with each answer's status before the client sees it.</summary>
public sealed class OnAnswer(Action<int> callback) : RecordingHandler
{
    protected override async Task<HttpResponseMessage> Forward(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.Forward(request, cancellationToken);
        callback((int)response.StatusCode);
        return response;
    }
}
