using System.Net;
using Patron.Api;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Client.Tests;

/// <summary>The error envelope as <see cref="PatronException"/>.</summary>
public sealed class ErrorsClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, DatabaseData]
    public async Task A_422_raises_a_PatronException_with_its_code_and_param(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        using var patron = server.Client();
        var customer = await patron.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct);

        var invalid = await Should.ThrowAsync<PatronException>(() => patron.PointsTransactions.CreateAsync(
            customer.Id, new() { Points = 10, Type = "expired" }, cancellationToken: Ct));
        invalid.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        invalid.Type.ShouldBe("invalid_request_error");
        invalid.Code.ShouldBe("parameter_invalid");
        invalid.Param.ShouldBe("type");
        invalid.Message.ShouldContain("type");

        var insufficient = await Should.ThrowAsync<PatronException>(() => patron.PointsTransactions.DeductAsync(customer.Id, 5, cancellationToken: Ct));
        insufficient.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        insufficient.Code.ShouldBe("insufficient_points");
        (await patron.Customers.GetAsync(customer.Id, cancellationToken: Ct)).PointsBalance.ShouldBe(0);

        var missing = await Should.ThrowAsync<PatronException>(() => patron.Customers.CreateAsync(new() { FirstName = "Nobody" }, cancellationToken: Ct));
        missing.Code.ShouldBe("parameter_missing");
        missing.Param.ShouldNotBeNull();
    }

    [Theory, DatabaseData]
    public async Task A_refused_call_is_not_retried(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var recorder = new RecordingHandler();
        using var patron = server.Client(handler: recorder);

        await Should.ThrowAsync<PatronException>(() => patron.Customers.CreateAsync(new() { Phone = "7700 900123" }, cancellationToken: Ct));

        recorder.Requests.Count.ShouldBe(1);
        recorder.Requests[0].Status.ShouldBe(422);
    }

    [Theory, DatabaseData]
    public async Task Missing_objects_bad_keys_and_missing_scopes_raise_their_envelopes(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        using var patron = server.Client();
        var notFound = await Should.ThrowAsync<PatronException>(() => patron.Customers.GetAsync("nobody@example.com", cancellationToken: Ct));
        notFound.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        notFound.Type.ShouldBe("not_found_error");
        notFound.Code.ShouldBe("resource_missing");

        using var stranger = server.Client("sk_not_a_key_of_this_server_000000000000000");
        var unauthorized = await Should.ThrowAsync<PatronException>(() => stranger.Customers.ListAsync(cancellationToken: Ct));
        unauthorized.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        unauthorized.Type.ShouldBe("authentication_error");

        var read = await Admin.CreateKeyAsync(server.WritePath, server.ProgramId, Scope.Read);
        using var reader = server.Client(read!.Value.Secret);
        var forbidden = await Should.ThrowAsync<PatronException>(() =>
            reader.Customers.CreateAsync(new() { Email = ClientKit.UniqueEmail() }, cancellationToken: Ct));
        forbidden.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        forbidden.Code.ShouldBe("insufficient_scope");

        var badCursor = await Should.ThrowAsync<PatronException>(() => patron.Customers.ListAsync(new() { StartingAfter = "nope" }, cancellationToken: Ct));
        badCursor.Param.ShouldBe("starting_after");
    }
}
