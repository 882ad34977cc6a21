using System.Net;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Api;

/// <summary><c>Idempotency-Key</c> on POST (docs/API.md, Idempotency; section 5, guarantee 3).</summary>
public sealed class IdempotencyTests
{
    private const string Customers = "/api/v1/customers";

    [Theory, DatabaseData]
    public async Task A_replay_returns_the_identical_answer_marked_as_replayed_and_credits_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);
        var body = new { points = 75, description = "Order 9" };

        var first = await server.Client.PostJsonAsync(PointsPath(id), body, "key-1");
        var replay = await server.Client.PostJsonAsync(PointsPath(id), body, "key-1");
        var again = await server.Client.PostJsonAsync(PointsPath(id), body, "key-1");

        first.Status.ShouldBe(HttpStatusCode.Created);
        first.Header("Idempotent-Replayed").ShouldBeNull();
        foreach (var r in new[] { replay, again })
        {
            r.Status.ShouldBe(HttpStatusCode.Created);
            r.Raw.ShouldBe(first.Raw);
            r.Header("Idempotent-Replayed").ShouldBe("true");
        }
        (await BalanceAsync(server.Client, id)).ShouldBe(75);
        (await server.Client.GetJsonAsync($"{PointsPath(id)}")).Long("total_count").ShouldBe(1);
        (await server.Client.GetJsonAsync("/api/v1/events?type=points.created")).Long("total_count").ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task A_replayed_customer_create_returns_201_again_and_creates_one_customer(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var body = new { email = "ada@example.com", initial_points = 20 };

        var first = await server.Client.PostJsonAsync(Customers, body, "create-ada");
        var replay = await server.Client.PostJsonAsync(Customers, body, "create-ada");

        first.Status.ShouldBe(HttpStatusCode.Created);
        replay.Status.ShouldBe(HttpStatusCode.Created);
        replay.Raw.ShouldBe(first.Raw);
        replay.Header("Idempotent-Replayed").ShouldBe("true");
        (await server.Client.GetJsonAsync(Customers)).Long("total_count").ShouldBe(1);
        (await BalanceAsync(server.Client, first.Str("id"))).ShouldBe(20);
    }

    [Theory, DatabaseData]
    public async Task The_same_key_with_another_body_is_409_idempotency_key_reused(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);
        (await server.Client.PostJsonAsync(PointsPath(id), new { points = 10 }, "key-1")).Status.ShouldBe(HttpStatusCode.Created);

        var reused = await server.Client.PostJsonAsync(PointsPath(id), new { points = 11 }, "key-1");

        reused.Status.ShouldBe(HttpStatusCode.Conflict);
        reused.ErrorType.ShouldBe("conflict_error");
        reused.ErrorCode.ShouldBe("idempotency_key_reused");
        reused.Header("Idempotent-Replayed").ShouldBeNull();
        (await BalanceAsync(server.Client, id)).ShouldBe(10);

        // The original request still replays.
        var replay = await server.Client.PostJsonAsync(PointsPath(id), new { points = 10 }, "key-1");
        replay.Status.ShouldBe(HttpStatusCode.Created);
        replay.Header("Idempotent-Replayed").ShouldBe("true");
    }

    [Theory, DatabaseData]
    public async Task The_same_key_on_another_path_is_409_idempotency_key_reused(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var a = await NewCustomerAsync(server.Client, "a@example.com");
        var b = await NewCustomerAsync(server.Client, "b@example.com");
        (await server.Client.PostJsonAsync(PointsPath(a), new { points = 10 }, "key-1")).Status.ShouldBe(HttpStatusCode.Created);

        var otherCustomer = await server.Client.PostJsonAsync(PointsPath(b), new { points = 10 }, "key-1");
        var otherResource = await server.Client.PostJsonAsync(Customers, new { email = "c@example.com" }, "key-1");

        foreach (var response in new[] { otherCustomer, otherResource })
        {
            response.Status.ShouldBe(HttpStatusCode.Conflict);
            response.ErrorCode.ShouldBe("idempotency_key_reused");
        }
        (await BalanceAsync(server.Client, a)).ShouldBe(10);
        (await BalanceAsync(server.Client, b)).ShouldBe(0);
        (await server.Client.GetJsonAsync($"{Customers}/c@example.com")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory, DatabaseData]
    public async Task A_failed_request_is_not_stored_so_the_same_key_can_succeed_later(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);
        var deduct = new { points = -50, type = "redeemed" };

        var refused = await server.Client.PostJsonAsync(PointsPath(id), deduct, "redeem-1");
        refused.Code.ShouldBe(422);
        refused.ErrorCode.ShouldBe("insufficient_points");

        var refusedAgain = await server.Client.PostJsonAsync(PointsPath(id), deduct, "redeem-1");
        refusedAgain.Code.ShouldBe(422);
        refusedAgain.ErrorCode.ShouldBe("insufficient_points");
        refusedAgain.Header("Idempotent-Replayed").ShouldBeNull();

        (await server.Client.PostJsonAsync(PointsPath(id), new { points = 80 })).Status.ShouldBe(HttpStatusCode.Created);

        var succeeded = await server.Client.PostJsonAsync(PointsPath(id), deduct, "redeem-1");
        succeeded.Status.ShouldBe(HttpStatusCode.Created);
        succeeded.Long("balance_after").ShouldBe(30);
        succeeded.Header("Idempotent-Replayed").ShouldBeNull();

        var replay = await server.Client.PostJsonAsync(PointsPath(id), deduct, "redeem-1");
        replay.Raw.ShouldBe(succeeded.Raw);
        replay.Header("Idempotent-Replayed").ShouldBe("true");
        (await BalanceAsync(server.Client, id)).ShouldBe(30);
    }

    [Theory, DatabaseData]
    public async Task A_validation_failure_is_not_stored_either(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var invalid = await server.Client.PostJsonAsync(Customers, new { email = "broken" }, "create-1");
        invalid.Code.ShouldBe(422);

        var valid = await server.Client.PostJsonAsync(Customers, new { email = "fixed@example.com" }, "create-1");
        valid.Status.ShouldBe(HttpStatusCode.Created);
        valid.Header("Idempotent-Replayed").ShouldBeNull();
    }

    [Theory, DatabaseData]
    public async Task Keys_are_per_program(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var mine = await NewCustomerAsync(server.Client, "ada@example.com");
        var (_, other) = await server.CreateProgramAsync();
        var theirs = await NewCustomerAsync(other, "ada@example.com");
        var path = "/api/v1/customers/ada@example.com/points_transactions";

        var a = await server.Client.PostJsonAsync(path, new { points = 10 }, "shared-key");
        var b = await other.PostJsonAsync(path, new { points = 10 }, "shared-key");

        a.Status.ShouldBe(HttpStatusCode.Created);
        b.Status.ShouldBe(HttpStatusCode.Created);
        b.Header("Idempotent-Replayed").ShouldBeNull();
        b.Str("id").ShouldNotBe(a.Str("id"));
        b.Str("customer_id").ShouldBe(theirs);
        a.Str("customer_id").ShouldBe(mine);
        (await BalanceAsync(server.Client, mine)).ShouldBe(10);
        (await BalanceAsync(other, theirs)).ShouldBe(10);

        // And program B's key with another body is not a conflict with program A's record.
        var c = await other.PostJsonAsync(Customers, new { email = "bob@example.com" }, "only-in-a");
        var d = await server.Client.PostJsonAsync(Customers, new { email = "carol@example.com" }, "only-in-a");
        c.Status.ShouldBe(HttpStatusCode.Created);
        d.Status.ShouldBe(HttpStatusCode.Created);
    }

    [Theory, DatabaseData]
    public async Task A_key_lives_24_hours_and_afterwards_runs_the_request_again(string database)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await PatronServer.StartAsync(database, clock);
        var id = await NewCustomerAsync(server.Client);
        var first = await server.Client.PostJsonAsync(PointsPath(id), new { points = 10 }, "daily");

        clock.Advance(TimeSpan.FromHours(23));
        var withinADay = await server.Client.PostJsonAsync(PointsPath(id), new { points = 10 }, "daily");
        withinADay.Header("Idempotent-Replayed").ShouldBe("true");
        withinADay.Raw.ShouldBe(first.Raw);
        (await server.Client.PostJsonAsync(PointsPath(id), new { points = 99 }, "daily")).ErrorCode.ShouldBe("idempotency_key_reused");

        clock.Advance(TimeSpan.FromHours(2));
        var afterADay = await server.Client.PostJsonAsync(PointsPath(id), new { points = 10 }, "daily");
        afterADay.Status.ShouldBe(HttpStatusCode.Created);
        afterADay.Header("Idempotent-Replayed").ShouldBeNull();
        afterADay.Str("id").ShouldNotBe(first.Str("id"));
        (await BalanceAsync(server.Client, id)).ShouldBe(20);

        // The renewed key replays its new answer, and refuses another body again.
        (await server.Client.PostJsonAsync(PointsPath(id), new { points = 10 }, "daily")).Raw.ShouldBe(afterADay.Raw);
        (await server.Client.PostJsonAsync(PointsPath(id), new { points = 99 }, "daily")).ErrorCode.ShouldBe("idempotency_key_reused");
        (await BalanceAsync(server.Client, id)).ShouldBe(20);
    }

    [Theory, DatabaseData]
    public async Task Keys_are_shared_by_every_api_key_of_one_program(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);
        var write = await server.ClientWithScopeAsync(Patron.Api.Scope.Write);

        var first = await server.Client.PostJsonAsync(PointsPath(id), new { points = 10 }, "till-retry");
        var second = await write.PostJsonAsync(PointsPath(id), new { points = 10 }, "till-retry");

        second.Header("Idempotent-Replayed").ShouldBe("true");
        second.Raw.ShouldBe(first.Raw);
        (await BalanceAsync(server.Client, id)).ShouldBe(10);
    }

    [Theory, DatabaseData]
    public async Task Requests_without_a_key_are_never_replayed(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        var first = await server.Client.PostJsonAsync(PointsPath(id), new { points = 5 });
        var second = await server.Client.PostJsonAsync(PointsPath(id), new { points = 5 });

        first.Status.ShouldBe(HttpStatusCode.Created);
        second.Status.ShouldBe(HttpStatusCode.Created);
        second.Str("id").ShouldNotBe(first.Str("id"));
        (await BalanceAsync(server.Client, id)).ShouldBe(10);
    }

    [Theory, DatabaseData]
    public async Task An_overlong_key_is_422(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        var response = await server.Client.PostJsonAsync(PointsPath(id), new { points = 5 }, new string('k', 256));

        response.Code.ShouldBe(422);
        response.ErrorCode.ShouldBe("parameter_invalid");
        (await BalanceAsync(server.Client, id)).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_key_also_replays_a_delete(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var id = await NewCustomerAsync(server.Client);

        var deleted = await SendWithKeyAsync(server.Client, HttpMethod.Delete, $"{Customers}/{id}", "erase-1");
        var replay = await SendWithKeyAsync(server.Client, HttpMethod.Delete, $"{Customers}/{id}", "erase-1");

        deleted.Status.ShouldBe(HttpStatusCode.OK);
        replay.Status.ShouldBe(HttpStatusCode.OK);
        replay.Raw.ShouldBe(deleted.Raw);
        replay.Header("Idempotent-Replayed").ShouldBe("true");
        (await server.Client.GetJsonAsync("/api/v1/events?type=customer.deleted")).Long("total_count").ShouldBe(1);
    }

    private static Task<ApiResponse> SendWithKeyAsync(HttpClient client, HttpMethod method, string path, string key)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Idempotency-Key", key);
        return Http.SendAsync(client, request);
    }
}
