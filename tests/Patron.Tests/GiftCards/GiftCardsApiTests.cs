using System.Text.Json;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.GiftCards;

/// <summary>Gift cards (docs/API.md): issue, look up, load, spend, never below zero, references credit once.</summary>
public sealed class GiftCardsApiTests
{
    private const string Cards = "/api/v1/gift_cards";

    [Theory, DatabaseData]
    public async Task A_card_is_issued_with_an_unguessable_code_then_loaded_and_spent_exactly(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await server.Client.PostJsonAsync("/api/v1/customers", new { email = "gift@example.com" });

        var issued = await server.Client.PostJsonAsync(Cards, new { initial_balance = 50.25m, customer_id = "gift@example.com" });
        issued.Code.ShouldBe(201, issued.Raw);
        issued.Str("object").ShouldBe("gift_card");
        issued.Str("id").ShouldStartWith("gc_");
        var code = issued.Str("code");
        code.ShouldMatch("^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$");
        issued["balance"].GetDecimal().ShouldBe(50.25m);
        issued["initial_balance"].GetDecimal().ShouldBe(50.25m);
        issued.Str("currency").ShouldBe("USD");
        issued.Str("status").ShouldBe("active");
        issued.Str("customer_id").ShouldBe(customer.Str("id"));
        issued["expires_at"].ValueKind.ShouldBe(JsonValueKind.Null);

        // Two cards never share a code.
        var other = await server.Client.PostJsonAsync(Cards, new { initial_balance = 0 });
        other.Str("code").ShouldNotBe(code);

        // The code works in any case and without dashes.
        var got = await server.Client.GetJsonAsync($"{Cards}/{code.Replace("-", "").ToLowerInvariant()}");
        got.Code.ShouldBe(200, got.Raw);
        got.Str("code").ShouldBe(code);
        got.Str("id").ShouldBe(issued.Str("id"));

        var load = await server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = 10.0001m, reference = "load-1" });
        load.Code.ShouldBe(201, load.Raw);
        load.Str("object").ShouldBe("gift_card_transaction");
        load.Str("type").ShouldBe("load");
        load["balance_after"].GetDecimal().ShouldBe(60.2501m);

        var spend = await server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = -60.25m });
        spend.Code.ShouldBe(201, spend.Raw);
        spend.Str("type").ShouldBe("spend");
        spend["balance_after"].GetDecimal().ShouldBe(0.0001m);

        var tooMuch = await server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = -0.0002m });
        tooMuch.Code.ShouldBe(422);
        tooMuch.ErrorCode.ShouldBe("insufficient_funds");

        var card = await server.Client.GetJsonAsync($"{Cards}/{code}");
        card["balance"].GetDecimal().ShouldBe(0.0001m);
        card["initial_balance"].GetDecimal().ShouldBe(50.25m);

        var list = await server.Client.GetJsonAsync($"{Cards}/{code}/transactions");
        list.Long("total_count").ShouldBe(3);
        var amounts = list["data"].EnumerateArray().Select(t => t.GetProperty("amount").GetDecimal()).ToList();
        amounts.ShouldBe([-60.25m, 10.0001m, 50.25m]);
        amounts.Sum().ShouldBe(0.0001m);

        var events = await server.Client.GetJsonAsync("/api/v1/events?limit=100");
        var updates = events["data"].EnumerateArray().Where(e => e.GetProperty("type").GetString() == "gift_card.updated").ToList();
        updates.Count.ShouldBe(4); // two issues, one load, one spend; the refused spend wrote nothing
        // The code is a bearer secret: events never carry it.
        events.Raw.ShouldNotContain(code);
        events.Raw.ShouldNotContain(code.Replace("-", ""));
    }

    [Theory, DatabaseData]
    public async Task Bad_input_is_refused(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        (await server.Client.PostJsonAsync(Cards, new { })).ErrorCode.ShouldBe("parameter_missing");
        (await server.Client.PostJsonAsync(Cards, new { initial_balance = -1 })).ErrorCode.ShouldBe("parameter_invalid");
        (await server.Client.PostJsonAsync(Cards, new { initial_balance = 1.00001m })).ErrorCode.ShouldBe("parameter_invalid");
        (await server.Client.PostJsonAsync(Cards, new { initial_balance = 5, currency = "EUR" })).ErrorCode.ShouldBe("currency_mismatch");
        (await server.Client.PostJsonAsync(Cards, new { initial_balance = 5, customer_id = "nobody@example.com" })).Code.ShouldBe(404);
        var card = await server.Client.PostJsonAsync(Cards, new { initial_balance = 5 });
        var code = card.Str("code");
        (await server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = 0 })).ErrorCode.ShouldBe("parameter_invalid");
        (await server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { })).ErrorCode.ShouldBe("parameter_missing");
        (await server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = "ten" })).Code.ShouldBe(422);
        (await server.Client.GetJsonAsync($"{Cards}/AAAA-BBBB-CCCC-DDDD")).Code.ShouldBe(404);
        (await server.Client.PostJsonAsync($"{Cards}/AAAA-BBBB-CCCC-DDDD/transactions", new { amount = 1 })).Code.ShouldBe(404);
        var read = await server.ClientWithScopeAsync(Patron.Api.Scope.Read);
        (await read.PostJsonAsync(Cards, new { initial_balance = 1 })).Code.ShouldBe(403);
        (await read.GetJsonAsync($"{Cards}/{code}")).Code.ShouldBe(200);
    }

    [Theory, DatabaseData]
    public async Task Fifty_parallel_spends_never_take_a_card_below_zero(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        // 100.00 / 7.50 = 13.33: exactly 13 spends fit, leaving 2.50.
        var code = (await server.Client.PostJsonAsync(Cards, new { initial_balance = 100m })).Str("code");

        var responses = await ParallelAsync(50, _ => server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = -7.5m }));

        responses.Count(r => r.Code == 201).ShouldBe(13, string.Join("\n", responses.Where(r => r.Code != 201 && r.Code != 422).Select(r => r.Raw)));
        responses.Count(r => r.Code == 422 && r.ErrorCode == "insufficient_funds").ShouldBe(37);
        responses.Where(r => r.Code == 201).Select(r => r["balance_after"].GetDecimal()).Order()
            .ShouldBe(Enumerable.Range(0, 13).Select(i => 2.5m + 7.5m * i));
        (await server.Client.GetJsonAsync($"{Cards}/{code}"))["balance"].GetDecimal().ShouldBe(2.5m);
        var list = await server.Client.GetJsonAsync($"{Cards}/{code}/transactions?limit=100");
        list.Long("total_count").ShouldBe(14);
        list["data"].EnumerateArray().Sum(t => t.GetProperty("amount").GetDecimal()).ShouldBe(2.5m);
    }

    [Theory, DatabaseData]
    public async Task A_repeated_reference_returns_the_original_and_moves_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var code = (await server.Client.PostJsonAsync(Cards, new { initial_balance = 20m })).Str("code");

        var first = await server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = -5m, reference = "till-1" });
        first.Code.ShouldBe(201);
        var again = await server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = -5m, reference = "till-1" });
        again.Code.ShouldBe(200);
        again.Str("id").ShouldBe(first.Str("id"));
        (await server.Client.GetJsonAsync($"{Cards}/{code}"))["balance"].GetDecimal().ShouldBe(15m);

        // The same reference on another card is another movement.
        var code2 = (await server.Client.PostJsonAsync(Cards, new { initial_balance = 20m })).Str("code");
        (await server.Client.PostJsonAsync($"{Cards}/{code2}/transactions", new { amount = -5m, reference = "till-1" })).Code.ShouldBe(201);

        var responses = await ParallelAsync(20, _ => server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = 30m, reference = "topup-9" }));
        responses.ShouldAllBe(r => r.Code == 201 || r.Code == 200);
        responses.Count(r => r.Code == 201).ShouldBe(1);
        responses.Select(r => r.Str("id")).Distinct().Count().ShouldBe(1);
        (await server.Client.GetJsonAsync($"{Cards}/{code}"))["balance"].GetDecimal().ShouldBe(45m);
        (await server.Client.GetJsonAsync($"{Cards}/{code}/transactions")).Long("total_count").ShouldBe(3);
    }

    [Theory, DatabaseData]
    public async Task An_expired_card_refuses_spends(string database)
    {
        var clock = new ManualClock();
        await using var server = await PatronServer.StartAsync(database, clock);
        var expiresAt = clock.GetUtcNow().AddDays(30);
        (await server.Client.PostJsonAsync(Cards, new { initial_balance = 10m, expires_at = clock.GetUtcNow().AddDays(-1).ToString("O") }))
            .ErrorCode.ShouldBe("parameter_invalid");
        var issued = await server.Client.PostJsonAsync(Cards, new { initial_balance = 10m, expires_at = expiresAt.ToString("O") });
        issued.Code.ShouldBe(201, issued.Raw);
        var code = issued.Str("code");
        issued["expires_at"].GetDateTimeOffset().ShouldBe(expiresAt);

        (await server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = -1m })).Code.ShouldBe(201);
        clock.Advance(TimeSpan.FromDays(30));

        var card = await server.Client.GetJsonAsync($"{Cards}/{code}");
        card.Str("status").ShouldBe("expired");
        card["balance"].GetDecimal().ShouldBe(9m);
        var spend = await server.Client.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = -1m });
        spend.Code.ShouldBe(422);
        spend.ErrorCode.ShouldBe("gift_card_expired");
        (await server.Client.GetJsonAsync($"{Cards}/{code}"))["balance"].GetDecimal().ShouldBe(9m);
    }

    [Theory, DatabaseData]
    public async Task Another_programs_card_is_not_found(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var code = (await server.Client.PostJsonAsync(Cards, new { initial_balance = 10m })).Str("code");
        var (_, other) = await server.CreateProgramAsync();

        (await other.GetJsonAsync($"{Cards}/{code}")).Code.ShouldBe(404);
        (await other.GetJsonAsync($"{Cards}/{code}/transactions")).Code.ShouldBe(404);
        var spend = await other.PostJsonAsync($"{Cards}/{code}/transactions", new { amount = -10m });
        spend.Code.ShouldBe(404);
        spend.Raw.ShouldNotContain(code);
        (await server.Client.GetJsonAsync($"{Cards}/{code}"))["balance"].GetDecimal().ShouldBe(10m);
    }
}
