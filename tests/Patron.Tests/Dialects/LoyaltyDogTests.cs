using System.Net;
using System.Text.Json;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Infrastructure.TestKit;

namespace Patron.Tests.Dialects;

/// <summary>
/// LoyaltyDog's API served by Patron under /compat/loyaltydog (docs/migrate/loyaltydog.md): the requests of
/// LoyaltyDog's custom-integration guide, answers field by field, its error shape, tenancy, references that
/// credit once under retries and races, and every change seen through the native API and its events.
/// </summary>
public sealed class LoyaltyDogTests
{
    private const string Base = "/compat/loyaltydog";

    private static string Transactions(string programId) => $"{Base}/loyalty/programs/{programId}/transactions";

    private static string BalancePath(string programId, string customerId) => $"{Base}/loyalty/programs/{programId}/customers/{customerId}/balance";

    private static readonly string[] CustomerFields =
        ["id", "programId", "email", "phone", "externalId", "firstName", "lastName", "status", "pointsBalance", "pendingPoints",
         "lifetimePoints", "walletPassUrl", "createdAt", "updatedAt"];

    private static readonly string[] TransactionFields =
        ["id", "programId", "customerId", "type", "amount", "currency", "points", "balance", "status", "availableAt", "reference",
         "description", "createdAt"];

    private static void ShouldHaveExactly(ApiResponse response, string[] fields) =>
        response.Body.EnumerateObject().Select(p => p.Name).Order().ShouldBe(fields.Order(), response.Raw);

    /// <summary>The error shape: <c>{"error": {"status", "code", "message", "param"?}}</c> with the status of the answer.</summary>
    private static void ShouldBeError(ApiResponse response, int status, string code, string? param = null)
    {
        response.Code.ShouldBe(status, response.Raw);
        var error = response["error"];
        error.GetProperty("status").GetInt32().ShouldBe(status, response.Raw);
        error.GetProperty("code").GetString().ShouldBe(code, response.Raw);
        error.GetProperty("message").GetString().ShouldNotBeNullOrWhiteSpace();
        if (param is not null)
        {
            error.GetProperty("param").GetString().ShouldBe(param, response.Raw);
        }
        response.Body.EnumerateObject().Count().ShouldBe(1, response.Raw);
    }

    private static async Task<string> NewLdCustomerAsync(HttpClient client, string programId, string? email = null)
    {
        var created = await client.PostJsonAsync($"{Base}/customers", new { programId, email = email ?? UniqueEmail() });
        created.Code.ShouldBe(201, created.Raw);
        return created.Str("id");
    }

    private static Task<ApiResponse> EarnAsync(HttpClient client, string programId, string customerId, long amount, string? reference, string currency = "USD") =>
        client.PostJsonAsync(Transactions(programId), new { customerId, type = "earn", amount, currency, reference });

    // ---- The reference's minimal example ----

    [Theory, DatabaseData]
    public async Task The_guides_minimal_example_creates_the_customer_then_awards_points_for_the_sale(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;

        // 1. Create or find the customer: exactly the guide's body, with the Patron program id for prog_123.
        var created = await server.Client.PostJsonAsync($"{Base}/customers", """{ "programId": "PROGRAM", "email": "ada@example.com" }""".Replace("PROGRAM", program));
        created.Code.ShouldBe(201, created.Raw);
        ShouldHaveExactly(created, CustomerFields);
        created.Str("id").ShouldStartWith("cus_");
        created.Str("programId").ShouldBe(program);
        created.Str("email").ShouldBe("ada@example.com");
        created["phone"].ValueKind.ShouldBe(JsonValueKind.Null);
        created["externalId"].ValueKind.ShouldBe(JsonValueKind.Null);
        created.Str("status").ShouldBe("active");
        created.Long("pointsBalance").ShouldBe(0);
        created.Long("pendingPoints").ShouldBe(0);
        created.Long("lifetimePoints").ShouldBe(0);
        created["walletPassUrl"].ValueKind.ShouldBe(JsonValueKind.Null);
        DateTimeOffset.Parse(created.Str("createdAt"), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(-5));
        var customer = created.Str("id");

        // 2. Award points for a sale: the guide's body, with the Patron ids for prog_123 and cust_456.
        var body = """
            {
              "customerId": "CUSTOMER",
              "type": "earn",
              "amount": 5000,
              "currency": "USD",
              "reference": "order_789"
            }
            """.Replace("CUSTOMER", customer);
        var earned = await server.Client.PostJsonAsync(Transactions(program), body);
        earned.Code.ShouldBe(201, earned.Raw);
        ShouldHaveExactly(earned, TransactionFields);
        earned.Str("id").ShouldStartWith("ptx_");
        earned.Str("programId").ShouldBe(program);
        earned.Str("customerId").ShouldBe(customer);
        earned.Str("type").ShouldBe("earn");
        earned.Long("amount").ShouldBe(5000);
        earned.Str("currency").ShouldBe("USD");
        earned.Long("points").ShouldBe(50, "5000 cents at the default 1 point per dollar");
        earned.Long("balance").ShouldBe(50);
        earned.Str("status").ShouldBe("available");
        earned["availableAt"].ValueKind.ShouldBe(JsonValueKind.Null);
        earned.Str("reference").ShouldBe("order_789");
        earned.Str("description").ShouldBe("Sale: 50.00 USD");

        // The transaction reads back the same.
        var got = await server.Client.GetJsonAsync($"{Transactions(program)}/{earned.Str("id")}");
        got.Code.ShouldBe(200, got.Raw);
        got.Raw.ShouldBe(earned.Raw);

        // Surface state: the customer and the balance.
        var balance = await server.Client.GetJsonAsync(BalancePath(program, customer));
        balance.Code.ShouldBe(200, balance.Raw);
        ShouldHaveExactly(balance, ["customerId", "programId", "points", "pendingPoints", "lifetimePoints", "pointsSpent"]);
        balance.Str("customerId").ShouldBe(customer);
        balance.Str("programId").ShouldBe(program);
        balance.Long("points").ShouldBe(50);
        balance.Long("lifetimePoints").ShouldBe(50);
        var again = await server.Client.GetJsonAsync($"{Base}/customers/{customer}");
        ShouldHaveExactly(again, CustomerFields);
        again.Long("pointsBalance").ShouldBe(50);
        (await server.Client.GetJsonAsync($"{Base}/loyalty/programs/{program}/customers/{customer}")).Raw.ShouldBe(again.Raw);
    }

    [Theory, DatabaseData]
    public async Task The_guides_placeholder_ids_are_not_Patron_ids_and_get_404_in_the_dialect_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var customer = await server.Client.PostJsonAsync($"{Base}/customers", """{ "programId": "prog_123", "email": "ada@example.com" }""");
        ShouldBeError(customer, 404, "resource_missing");
        var earn = await server.Client.PostJsonAsync($"{Base}/loyalty/programs/prog_123/transactions",
            """{ "customerId": "cust_456", "type": "earn", "amount": 5000, "currency": "USD", "reference": "order_789" }""");
        ShouldBeError(earn, 404, "resource_missing");
        var inProgram = await EarnAsync(server.Client, server.ProgramId, "cust_456", 5000, "order_789");
        ShouldBeError(inProgram, 404, "resource_missing");
        (await server.Client.TotalAsync(CustomersPath)).ShouldBe(0);
    }

    // ---- Customers ----

    [Theory, DatabaseData]
    public async Task A_customer_is_found_again_by_email_phone_or_custom_identifier_with_200_and_created_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;

        var created = await server.Client.PostJsonAsync($"{Base}/customers",
            new { programId = program, email = "Grace@Example.com", phone = "+44 7700 900123", customIdentifier = "pos-42", firstName = "Grace" });
        created.Code.ShouldBe(201, created.Raw);
        created.Str("email").ShouldBe("grace@example.com");
        created.Str("phone").ShouldBe("+447700900123");
        created.Str("externalId").ShouldBe("pos-42");
        created.Str("firstName").ShouldBe("Grace");
        var id = created.Str("id");

        foreach (object body in new object[]
        {
            new { programId = program, email = "grace@example.com" },
            new { programId = program, phone = "+447700900123" },
            new { programId = program, customIdentifier = "pos-42" },
            new { programId = program, externalId = "pos-42" },
        })
        {
            var found = await server.Client.PostJsonAsync($"{Base}/customers", body);
            found.Code.ShouldBe(200, found.Raw);
            found.Str("id").ShouldBe(id);
            found.Str("firstName").ShouldBe("Grace");
        }

        // The same customer through the native API, created once and announced once.
        var native = await CustomerAsync(server.Client, id);
        native.Str("external_id").ShouldBe("pos-42");
        (await server.Client.TotalAsync("/api/v1/events?type=customer.created")).ShouldBe(1);
        (await server.Client.TotalAsync(CustomersPath)).ShouldBe(1);
        // Reads accept any reference Patron knows the customer by.
        (await server.Client.GetJsonAsync($"{Base}/customers/pos-42")).Str("id").ShouldBe(id);
    }

    [Theory, DatabaseData]
    public async Task Ten_parallel_find_or_creates_of_one_email_create_one_customer(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var answers = await ParallelAsync(10, _ =>
            server.Client.PostJsonAsync($"{Base}/customers", new { programId = server.ProgramId, email = "rush@example.com" }));

        answers.Count(a => a.Code == 201).ShouldBe(1, string.Join("\n", answers.Select(a => a.Raw)));
        answers.Count(a => a.Code == 200).ShouldBe(9);
        answers.Select(a => a.Str("id")).Distinct().Count().ShouldBe(1);
        (await server.Client.TotalAsync(CustomersPath)).ShouldBe(1);
        (await server.Client.TotalAsync("/api/v1/events?type=customer.created")).ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task A_customer_without_an_identifier_or_program_is_refused_in_the_dialect_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        ShouldBeError(await server.Client.PostJsonAsync($"{Base}/customers", new { programId = server.ProgramId }), 422, "parameter_missing");
        ShouldBeError(await server.Client.PostJsonAsync($"{Base}/customers", new { email = "a@example.com" }), 422, "parameter_missing", "programId");
        ShouldBeError(await server.Client.PostJsonAsync($"{Base}/customers", new { programId = server.ProgramId, email = "not-an-email" }),
            422, "parameter_invalid", "email");
        ShouldBeError(await server.Client.PostJsonAsync($"{Base}/customers",
            new { programId = server.ProgramId, customIdentifier = "a", externalId = "b" }), 422, "parameter_invalid", "customIdentifier");
        ShouldBeError(await server.Client.SendRawAsync(HttpMethod.Post, $"{Base}/customers", "{not json"), 400, "invalid_json");
        (await server.Client.TotalAsync(CustomersPath)).ShouldBe(0);
    }

    // ---- Keys and tenancy ----

    [Theory, DatabaseData]
    public async Task No_key_or_a_wrong_key_is_401_and_a_read_key_may_read_but_not_write(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;
        var customer = await NewLdCustomerAsync(server.Client, program);
        var anonymous = server.ClientWithKey(null);
        var wrong = server.ClientWithKey("sk_wrong_key_0000000000000000");
        var read = await server.ClientWithScopeAsync(Scope.Read);

        ShouldBeError(await anonymous.GetJsonAsync($"{Base}/customers/{customer}"), 401, "missing_api_key");
        ShouldBeError(await anonymous.PostJsonAsync($"{Base}/customers", new { programId = program, email = "x@example.com" }), 401, "missing_api_key");
        ShouldBeError(await wrong.GetJsonAsync(BalancePath(program, customer)), 401, "invalid_api_key");

        (await read.GetJsonAsync(BalancePath(program, customer))).Code.ShouldBe(200);
        ShouldBeError(await read.PostJsonAsync($"{Base}/customers", new { programId = program, email = "y@example.com" }), 403, "insufficient_scope");
        ShouldBeError(await EarnAsync(read, program, customer, 1000, "r-1"), 403, "insufficient_scope");
        (await BalanceAsync(server.Client, customer)).ShouldBe(0);
        (await server.Client.TotalAsync(CustomersPath)).ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task An_unknown_route_is_404_in_the_dialect_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        ShouldBeError(await server.Client.GetJsonAsync($"{Base}/no/such/route"), 404, "route_not_found");
        ShouldBeError(await server.Client.SendRawAsync(HttpMethod.Delete, $"{Base}/customers", null), 405, "method_not_allowed");
    }

    [Theory, DatabaseData]
    public async Task Another_programs_id_or_customer_is_404_and_nothing_of_it_changes(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var mine = server.ProgramId;
        var (theirs, theirAdmin) = await server.CreateProgramAsync();
        var theirCustomer = await NewLdCustomerAsync(theirAdmin, theirs);
        (await OkAsync(EarnAsync(theirAdmin, theirs, theirCustomer, 1000, null))).Long("points").ShouldBe(10);
        var myCustomer = await NewLdCustomerAsync(server.Client, mine);

        // Their program id, in the body and in the path, with my key.
        ShouldBeError(await server.Client.PostJsonAsync($"{Base}/customers", new { programId = theirs, email = "x@example.com" }), 404, "resource_missing");
        ShouldBeError(await EarnAsync(server.Client, theirs, theirCustomer, 1000, "t-1"), 404, "resource_missing");
        ShouldBeError(await EarnAsync(server.Client, theirs, myCustomer, 1000, "t-2"), 404, "resource_missing");
        ShouldBeError(await server.Client.GetJsonAsync(BalancePath(theirs, theirCustomer)), 404, "resource_missing");
        ShouldBeError(await server.Client.GetJsonAsync($"{Base}/loyalty/programs/{theirs}/customers/{myCustomer}"), 404, "resource_missing");

        // Their customer's id, within my program.
        ShouldBeError(await server.Client.GetJsonAsync($"{Base}/customers/{theirCustomer}"), 404, "resource_missing");
        ShouldBeError(await server.Client.GetJsonAsync(BalancePath(mine, theirCustomer)), 404, "resource_missing");
        ShouldBeError(await EarnAsync(server.Client, mine, theirCustomer, 1000, "t-3"), 404, "resource_missing");
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(mine), new { customerId = theirCustomer, type = "redeem", points = 5 }),
            404, "resource_missing");

        // Their transaction, by id.
        var theirEntry = (await LedgerAsync(theirAdmin, theirCustomer))[0].Id;
        ShouldBeError(await server.Client.GetJsonAsync($"{Transactions(mine)}/{theirEntry}"), 404, "resource_missing");

        (await BalanceAsync(theirAdmin, theirCustomer)).ShouldBe(10);
        (await LedgerAsync(theirAdmin, theirCustomer)).Count.ShouldBe(1);
        (await server.Client.TotalAsync(CustomersPath)).ShouldBe(1);
    }

    // ---- Earning, references, races ----

    [Theory, DatabaseData]
    public async Task A_retried_earn_with_the_same_reference_credits_once_and_answers_the_first_transaction(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;
        var customer = await NewLdCustomerAsync(server.Client, program);

        var first = await EarnAsync(server.Client, program, customer, 2599, "order_1");
        first.Code.ShouldBe(201, first.Raw);
        first.Long("points").ShouldBe(25);
        var retry = await EarnAsync(server.Client, program, customer, 2599, "order_1");
        retry.Code.ShouldBe(200, retry.Raw);
        retry.Raw.ShouldBe(first.Raw);
        // A different reference is a different sale.
        (await EarnAsync(server.Client, program, customer, 1000, "order_2")).Code.ShouldBe(201);

        (await BalanceAsync(server.Client, customer)).ShouldBe(35);
        var ledger = await LedgerAsync(server.Client, customer);
        ledger.Select(e => e.Reference).ShouldBe(["order_1", "order_2"]);
        ledger.Select(e => e.Points).ShouldBe([25L, 10L]);
    }

    [Theory, DatabaseData]
    public async Task Twenty_parallel_earns_with_the_same_reference_credit_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;
        var customer = await NewLdCustomerAsync(server.Client, program);

        var answers = await ParallelAsync(20, _ => EarnAsync(server.Client, program, customer, 5000, "order_race"));

        answers.Count(a => a.Code == 201).ShouldBe(1, string.Join("\n", answers.Select(a => a.Raw)));
        answers.Count(a => a.Code == 200).ShouldBe(19);
        answers.Select(a => a.Str("id")).Distinct().Count().ShouldBe(1);
        answers.ShouldAllBe(a => a.Long("points") == 50 && a.Long("balance") == 50);
        (await BalanceAsync(server.Client, customer)).ShouldBe(50);
        (await LedgerAsync(server.Client, customer)).Count.ShouldBe(1);
        (await server.Client.TotalAsync("/api/v1/events?type=points.created")).ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task Thirty_parallel_redemptions_never_spend_more_than_the_balance(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;
        var customer = await NewLdCustomerAsync(server.Client, program);
        (await OkAsync(server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "adjust", points = 100 })))
            .Long("balance").ShouldBe(100);

        var answers = await ParallelAsync(30, i =>
            server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "redeem", points = 7, reference = $"redeem-{i}" }));

        var spent = answers.Where(a => a.Code == 201).ToList();
        spent.Count.ShouldBe(14, string.Join("\n", answers.Select(a => a.Raw)));
        foreach (var refused in answers.Where(a => a.Code != 201))
        {
            ShouldBeError(refused, 422, "insufficient_points");
        }
        spent.ShouldAllBe(a => a.Str("type") == "redeem" && a.Long("points") == -7 && a.Long("balance") >= 0);
        spent.Select(a => a.Long("balance")).Order().ShouldBe(Enumerable.Range(0, 14).Select(i => 2L + (7 * i)));
        (await BalanceAsync(server.Client, customer)).ShouldBe(2);
        var native = await CustomerAsync(server.Client, customer);
        native.Long("points_spent").ShouldBe(98);
    }

    [Theory, DatabaseData]
    public async Task An_earn_in_another_currency_is_refused_and_writes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;
        var customer = await NewLdCustomerAsync(server.Client, program);

        ShouldBeError(await EarnAsync(server.Client, program, customer, 5000, "eur-1", "EUR"), 422, "currency_mismatch", "currency");
        ShouldBeError(await EarnAsync(server.Client, program, customer, 5000, "bad-1", "US"), 422, "parameter_invalid", "currency");

        (await BalanceAsync(server.Client, customer)).ShouldBe(0);
        (await LedgerAsync(server.Client, customer)).ShouldBeEmpty();
        // The reference was not used up by the refusal.
        (await EarnAsync(server.Client, program, customer, 5000, "eur-1", "usd")).Code.ShouldBe(201);
    }

    [Theory, DatabaseData]
    public async Task An_earn_converts_the_amount_as_a_paid_order_of_that_total_does(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;
        await SetProgramAsync(server.Client, new { points_per_unit = 1.5m, rounding = "nearest" });
        var viaDialect = await NewLdCustomerAsync(server.Client, program);
        var viaOrder = await NewLdCustomerAsync(server.Client, program);

        // 19.99 * 1.5 = 29.985: 30 to the nearest point.
        var earned = await EarnAsync(server.Client, program, viaDialect, 1999, "sale-1");
        earned.Code.ShouldBe(201, earned.Raw);
        var order = await server.Client.PostJsonAsync("/api/v1/orders", new { id = "o-1", customer_id = viaOrder, total = 19.99m, status = "paid" });
        order.Code.ShouldBe(201, order.Raw);

        earned.Long("points").ShouldBe(30);
        earned.Long("points").ShouldBe(order.Long("points_earned"));
        earned.Str("description").ShouldBe("Sale: 19.99 USD");

        await SetProgramAsync(server.Client, new { rounding = "floor" });
        (await OkAsync(EarnAsync(server.Client, program, viaDialect, 1999, "sale-2"))).Long("points").ShouldBe(29);
        // Less than one point is recorded with 0 points: the sale is seen, and its reference answers it again.
        var tiny = await EarnAsync(server.Client, program, viaDialect, 50, "sale-3");
        tiny.Code.ShouldBe(201, tiny.Raw);
        tiny.Long("points").ShouldBe(0);
        (await EarnAsync(server.Client, program, viaDialect, 50, "sale-3")).Str("id").ShouldBe(tiny.Str("id"));
        (await BalanceAsync(server.Client, viaDialect)).ShouldBe(59);
    }

    [Theory, DatabaseData]
    public async Task An_earn_waits_the_programs_points_delay_as_an_orders_points_do(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;
        await SetProgramAsync(server.Client, new { points_delay_days = 14 });
        var customer = await NewLdCustomerAsync(server.Client, program);

        var earned = await EarnAsync(server.Client, program, customer, 10000, "late-1");
        earned.Code.ShouldBe(201, earned.Raw);
        earned.Long("points").ShouldBe(100);
        earned.Str("status").ShouldBe("pending");
        earned.Long("balance").ShouldBe(0);
        DateTimeOffset.Parse(earned.Str("availableAt"), System.Globalization.CultureInfo.InvariantCulture)
            .ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddDays(13));
        var balance = await server.Client.GetJsonAsync(BalancePath(program, customer));
        balance.Long("points").ShouldBe(0);
        balance.Long("pendingPoints").ShouldBe(100);
    }

    [Theory, DatabaseData]
    public async Task Redeem_and_adjust_move_points_and_are_refused_beyond_the_balance(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;
        var customer = await NewLdCustomerAsync(server.Client, program);

        var added = await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "adjust", points = 40, reference = "adj-1" });
        added.Code.ShouldBe(201, added.Raw);
        ShouldHaveExactly(added, TransactionFields);
        added.Str("type").ShouldBe("adjust");
        added.Long("points").ShouldBe(40);
        added["amount"].ValueKind.ShouldBe(JsonValueKind.Null);
        added["currency"].ValueKind.ShouldBe(JsonValueKind.Null);

        var redeemed = await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "redeem", points = 15 });
        redeemed.Code.ShouldBe(201, redeemed.Raw);
        redeemed.Str("type").ShouldBe("redeem");
        redeemed.Long("points").ShouldBe(-15);
        redeemed.Long("balance").ShouldBe(25);

        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "redeem", points = 26 }),
            422, "insufficient_points");
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "adjust", points = -26 }),
            422, "insufficient_points");
        var removed = await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "adjust", points = -25 });
        removed.Long("balance").ShouldBe(0);

        // Bad input, each refused before anything is written.
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "adjust", points = 1, reference = "cancel:red_1" }),
            422, "parameter_invalid", "reference");
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "gift", points = 1 }), 422, "parameter_invalid", "type");
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "redeem", points = -1 }), 422, "parameter_invalid", "points");
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "adjust", points = 0 }), 422, "parameter_invalid", "points");
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "redeem" }), 422, "parameter_missing", "points");
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "earn", currency = "USD" }), 422, "parameter_missing", "amount");
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "earn", amount = 0 }), 422, "parameter_invalid", "amount");
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "earn", amount = 10.5 }), 422, "parameter_invalid", "amount");
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program), new { type = "earn", amount = 100 }), 422, "parameter_missing", "customerId");
        ShouldBeError(await server.Client.PostJsonAsync(Transactions(program),
            new { customerId = customer, type = "earn", amount = 100, reference = new string('r', 201) }), 422, "parameter_invalid", "reference");
        (await LedgerAsync(server.Client, customer)).Count.ShouldBe(3);
    }

    [Theory, DatabaseData]
    public async Task A_blocked_customer_earns_nothing_but_may_be_adjusted(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;
        var customer = await NewLdCustomerAsync(server.Client, program);
        (await OkAsync(EarnAsync(server.Client, program, customer, 1000, "before-block"))).Code.ShouldBe(201);
        (await server.Client.PatchJsonAsync($"{CustomersPath}/{customer}", new { status = "blocked" })).Code.ShouldBe(200);

        ShouldBeError(await EarnAsync(server.Client, program, customer, 1000, "after-block"), 403, "customer_blocked");
        // A retry of the sale recorded before the block still answers it.
        (await EarnAsync(server.Client, program, customer, 1000, "before-block")).Code.ShouldBe(200);
        (await server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "adjust", points = 5 })).Code.ShouldBe(201);
        (await BalanceAsync(server.Client, customer)).ShouldBe(15);
    }

    // ---- The native API sees the same ----

    [Theory, DatabaseData]
    public async Task What_the_dialect_writes_is_the_native_customer_ledger_and_events(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;
        var customer = await NewLdCustomerAsync(server.Client, program, "native@example.com");
        var earned = await OkAsync(EarnAsync(server.Client, program, customer, 12000, "order_n1"));
        var redeemed = await OkAsync(server.Client.PostJsonAsync(Transactions(program), new { customerId = customer, type = "redeem", points = 20, reference = "r-n1" }));

        var native = await CustomerAsync(server.Client, customer);
        native.Str("email").ShouldBe("native@example.com");
        native.Long("points_balance").ShouldBe(100);
        native.Long("lifetime_points").ShouldBe(120);
        native.Long("points_spent").ShouldBe(20);

        var ledger = await LedgerAsync(server.Client, customer);
        ledger.Select(e => (e.Id, e.Type, e.Points, e.Reference, e.BalanceAfter)).ShouldBe(
        [
            (earned.Str("id"), "earned", 120L, "order_n1", 120L),
            (redeemed.Str("id"), "redeemed", -20L, "r-n1", 100L),
        ]);
        // The native ledger's reference and the dialect's are one: the native endpoint replays the dialect's earn.
        var replay = await server.Client.PostJsonAsync(PointsPath(customer), new { points = 120, reference = "order_n1" });
        replay.Code.ShouldBe(200, replay.Raw);
        replay.Str("id").ShouldBe(earned.Str("id"));

        var created = await server.Client.AllAsync("/api/v1/events?type=customer.created");
        created.Count.ShouldBe(1);
        created[0].GetProperty("data").GetProperty("id").GetString().ShouldBe(customer);
        var points = await server.Client.AllAsync("/api/v1/events?type=points.created");
        points.Select(e => e.GetProperty("data").GetProperty("id").GetString()).Order()
            .ShouldBe(new[] { earned.Str("id"), redeemed.Str("id") }.Order());
    }

    // ---- Gift cards ----

    [Theory, DatabaseData]
    public async Task A_gift_cards_balance_is_read_by_code_in_minor_units_and_listed_for_its_customer(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var program = server.ProgramId;
        var customer = await NewLdCustomerAsync(server.Client, program);
        var issued = await server.Client.PostJsonAsync("/api/v1/gift_cards", new { initial_balance = 25.50m, customer_id = customer });
        issued.Code.ShouldBe(201, issued.Raw);
        var code = issued.Str("code");
        (await server.Client.PostJsonAsync($"/api/v1/gift_cards/{code}/transactions", new { amount = -5.25m })).Code.ShouldBe(201);
        await server.Client.PostJsonAsync("/api/v1/gift_cards", new { initial_balance = 10m }); // someone else's

        var card = await server.Client.GetJsonAsync($"{Base}/gift-cards/{code.Replace("-", "").ToLowerInvariant()}");
        card.Code.ShouldBe(200, card.Raw);
        ShouldHaveExactly(card, ["id", "code", "codeLast4", "balance", "initialBalance", "currency", "status", "expiresAt", "customerId", "createdAt"]);
        card.Str("id").ShouldBe(issued.Str("id"));
        card.Str("code").ShouldBe(code);
        card.Long("balance").ShouldBe(2025);
        card.Long("initialBalance").ShouldBe(2550);
        card.Str("currency").ShouldBe("USD");
        card.Str("status").ShouldBe("active");
        card.Str("customerId").ShouldBe(customer);

        var list = await server.Client.GetJsonAsync($"{Base}/customers/{customer}/gift-cards");
        list.Code.ShouldBe(200, list.Raw);
        var cards = list["data"].EnumerateArray().ToList();
        cards.Count.ShouldBe(1);
        cards[0].GetProperty("id").GetString().ShouldBe(issued.Str("id"));
        cards[0].GetProperty("code").ValueKind.ShouldBe(JsonValueKind.Null);
        cards[0].GetProperty("balance").GetInt64().ShouldBe(2025);

        var (_, theirAdmin) = await server.CreateProgramAsync();
        ShouldBeError(await theirAdmin.GetJsonAsync($"{Base}/gift-cards/{code}"), 404, "resource_missing");
        ShouldBeError(await server.Client.GetJsonAsync($"{Base}/gift-cards/NOPE-NOPE-NOPE-NOPE"), 404, "resource_missing");
    }

    // ---- Rate limits ----

    [Theory, DatabaseData]
    public async Task Past_the_keys_rate_limit_the_answer_is_429_with_Retry_After_in_the_dialect_shape(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var limited = await server.ClientWithScopeAsync(Scope.Write, rateLimitPerMinute: 2);
        var customer = await NewLdCustomerAsync(server.Client, server.ProgramId);

        (await limited.GetJsonAsync($"{Base}/customers/{customer}")).Code.ShouldBe(200);
        (await limited.GetJsonAsync($"{Base}/customers/{customer}")).Code.ShouldBe(200);
        var refused = await EarnAsync(limited, server.ProgramId, customer, 1000, "limited-1");

        ShouldBeError(refused, 429, "rate_limited");
        int.Parse(refused.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture).ShouldBeInRange(1, 60);
        refused["error"].GetProperty("retryAfter").GetInt32().ShouldBeInRange(1, 60);
        (await BalanceAsync(server.Client, customer)).ShouldBe(0);
    }

    // ---- The migration guide ----

    [Theory, DatabaseData]
    public async Task The_migration_guides_curl_session_runs_as_written(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var results = await GuideSession.RunAsync(server, "docs/migrate/loyaltydog.md", "## A curl session");

        // A key, the program, the customer created then found, the sale credited then replayed, the balance.
        results.Select(r => r.Code).ShouldBe([201, 200, 201, 200, 201, 200, 200]);
        var customer = results.First(r => r.Body.TryGetProperty("walletPassUrl", out _));
        var balance = results.Last(r => r.Body.TryGetProperty("pendingPoints", out _) && r.Body.TryGetProperty("pointsSpent", out _));
        balance.Str("customerId").ShouldBe(customer.Str("id"));
        balance.Long("points").ShouldBeGreaterThan(0);
        balance.Long("points").ShouldBe(await BalanceAsync(server.Client, customer.Str("id")));
    }
}
