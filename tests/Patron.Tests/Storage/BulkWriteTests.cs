using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Storage;

/// <summary>
/// The bulk writes of the customer import (<c>CustomerBulkCreate</c>, <c>BulkRows</c>) straight through the
/// write path, at sizes where a savepoint's journal holds hundreds of pages.
/// </summary>
public sealed class BulkWriteTests
{
    private const int Rows = 1_200; // more than one multi-row statement of customers

    private static long PointsOf(int i) => i % 4 == 0 ? 0 : i;

    private static CustomerBulkCreate.Row[] NewRows(string prefix) =>
    [
        .. Enumerable.Range(0, Rows).Select(i => new CustomerBulkCreate.Row(
            CustomerFields.From(new CustomerInput { ExternalId = $"{prefix}-{i}", Email = $"{prefix}{i}@example.com", FirstName = $"Row {i}" }),
            PointsOf(i))),
    ];

    [Theory, DatabaseData]
    public async Task A_bulk_write_of_many_statements_keeps_every_row_and_a_failed_one_leaves_none_beside_the_writes_committed_with_it(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var client = server.Client;
        var created = await server.WritePath.RunAsync(context =>
            CustomerBulkCreate.CreateAsync(context, server.ProgramId, NewRows("kept"), Actor.Cli, "import"));
        created.ShouldAllBe(c => c != null);

        // The second bulk write touches the pages the first one filled, then fails; an ordinary write queued
        // beside it (on SQLite most likely in the same transaction) must be kept.
        var failing = server.WritePath.RunAsync<CustomerDto?[]>(async context =>
        {
            await CustomerBulkCreate.CreateAsync(context, server.ProgramId, NewRows("lost"), Actor.Cli, "import");
            throw new InvalidOperationException("fails after its inserts");
        });
        var neighbour = client.PostJsonAsync("/api/v1/customers", new { external_id = "neighbour", initial_points = 7 });
        (await Should.ThrowAsync<InvalidOperationException>(failing)).Message.ShouldBe("fails after its inserts");
        (await neighbour).Code.ShouldBe(201);

        var customers = await client.AllAsync("/api/v1/customers");
        customers.Count.ShouldBe(Rows + 1);
        customers.ShouldNotContain(c => (c.GetProperty("external_id").GetString() ?? "").StartsWith("lost-", StringComparison.Ordinal));
        var ledger = (await client.AllAsync("/api/v1/points_transactions"))
            .GroupBy(t => t.GetProperty("customer_id").GetString()!)
            .ToDictionary(g => g.Key, g => g.Sum(t => t.GetProperty("points").GetInt64()));
        ledger.Count.ShouldBe(Enumerable.Range(0, Rows).Count(i => PointsOf(i) > 0) + 1);
        foreach (var customer in customers)
        {
            var id = customer.GetProperty("id").GetString()!;
            var externalId = customer.GetProperty("external_id").GetString()!;
            var expected = externalId == "neighbour" ? 7 : PointsOf(int.Parse(externalId["kept-".Length..], System.Globalization.CultureInfo.InvariantCulture));
            customer.GetProperty("points_balance").GetInt64().ShouldBe(expected, externalId);
            ledger.GetValueOrDefault(id).ShouldBe(expected, externalId);
        }
        (await client.TotalAsync("/api/v1/events?type=customer.created")).ShouldBe(Rows + 1);
        (await client.TotalAsync("/api/v1/events?type=points.created")).ShouldBe(ledger.Count);
        (await client.GetJsonAsync("/api/v1/customers/kept-1199")).Str("email").ShouldBe("kept1199@example.com");
    }

    [Theory, DatabaseData]
    public async Task A_bulk_insert_that_clashes_with_a_unique_index_fails_its_operation_whole_and_the_writer_goes_on(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var failing = server.WritePath.RunAsync<CustomerDto?[]>(async context =>
        {
            await CustomerBulkCreate.CreateAsync(context, server.ProgramId, NewRows("clash"), Actor.Cli, "import");
            var id = Ids.New("evt_");
            object?[] Row(string eventId) => Events.Row(context, server.ProgramId, eventId, Events.CustomerCreated, new { id = "cus_clash" });
            await BulkRows.InsertAsync(context, "events", Events.RowColumns, [Row(Ids.New("evt_")), Row(id), Row(id)]);
            return [];
        });

        await Should.ThrowAsync<System.Data.Common.DbException>(failing.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));
        (await server.Client.PostJsonAsync("/api/v1/customers", new { external_id = "after" })).Code.ShouldBe(201);
        (await server.Client.TotalAsync("/api/v1/customers")).ShouldBe(1);
        (await server.Client.TotalAsync("/api/v1/events?type=customer.created")).ShouldBe(1);
    }

    [Theory, DatabaseData]
    public async Task A_bulk_create_without_lookups_is_refused_whole_by_a_held_email_and_with_them_leaves_that_row_alone(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        (await server.Client.PostJsonAsync("/api/v1/customers", new { email = "held700@example.com" })).Code.ShouldBe(201);
        var rows = NewRows("held");

        var refused = server.WritePath.RunAsync(context =>
            CustomerBulkCreate.CreateAsync(context, server.ProgramId, rows, Actor.Cli, "import", lookUpHeld: false));

        Database.IsConflict(await Should.ThrowAsync<Exception>(refused)).ShouldBeTrue();
        (await server.Client.TotalAsync("/api/v1/customers")).ShouldBe(1);
        (await server.Client.TotalAsync("/api/v1/events?type=customer.created")).ShouldBe(1);

        var created = await server.WritePath.RunAsync(context =>
            CustomerBulkCreate.CreateAsync(context, server.ProgramId, rows, Actor.Cli, "import"));

        created[700].ShouldBeNull();
        created.Count(c => c != null).ShouldBe(Rows - 1);
        (await server.Client.TotalAsync("/api/v1/customers")).ShouldBe(Rows);
    }

    /// <summary>Draws <paramref name="first"/> in order, then codes as the API draws them.</summary>
    private static ReferralCodeDraws Scripted(params string[] first)
    {
        var queue = new Queue<string>(first);
        return new ReferralCodeDraws(() => queue.TryDequeue(out var code) ? code : Ids.ReferralCode());
    }

    [Theory, DatabaseData]
    public async Task A_bulk_create_without_lookups_that_draws_a_held_referral_code_is_refused_whole_and_with_them_draws_another(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var held = (await server.Client.PostJsonAsync("/api/v1/customers", new { email = "holder@example.com" })).Str("referral_code");
        var rows = NewRows("code");

        var refused = server.WritePath.RunAsync(context =>
            CustomerBulkCreate.CreateAsync(context, server.ProgramId, rows, Actor.Cli, "import", lookUpHeld: false, Scripted(held)));

        Database.IsConflict(await Should.ThrowAsync<Exception>(refused)).ShouldBeTrue();
        (await server.Client.TotalAsync("/api/v1/customers")).ShouldBe(1);

        var created = await server.WritePath.RunAsync(context =>
            CustomerBulkCreate.CreateAsync(context, server.ProgramId, rows, Actor.Cli, "import", lookUpHeld: true, Scripted(held)));

        created.ShouldAllBe(c => c != null);
        created.ShouldNotContain(c => c!.ReferralCode == held);
        (await server.Client.TotalAsync("/api/v1/customers")).ShouldBe(Rows + 1);
    }

    [Theory, DatabaseData]
    public async Task Batches_without_lookups_do_not_draw_the_referral_codes_earlier_batches_of_the_same_second_drew(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var second = Ids.ReferralCode()[..3];
        string[] first = [$"{second}22222", $"{second}33333"];
        var other = $"{(second == "222" ? "333" : "222")}66666";
        var draws = Scripted([.. first, .. first, $"{second}44444", $"{second}55555", other]);
        CustomerBulkCreate.Row[] Two(string prefix) =>
            [.. Enumerable.Range(0, 2).Select(i => new CustomerBulkCreate.Row(CustomerFields.From(new CustomerInput { ExternalId = $"{prefix}-{i}" }), 0))];

        var one = await server.WritePath.RunAsync(context =>
            CustomerBulkCreate.CreateAsync(context, server.ProgramId, Two("one"), Actor.Cli, "import", lookUpHeld: false, draws));
        var two = await server.WritePath.RunAsync(context =>
            CustomerBulkCreate.CreateAsync(context, server.ProgramId, Two("two"), Actor.Cli, "import", lookUpHeld: false, draws));

        one.Select(c => c!.ReferralCode).ShouldBe(first);
        two.Select(c => c!.ReferralCode).ShouldBe([$"{second}44444", $"{second}55555"]);
        (await server.Client.GetJsonAsync("/api/v1/customers/two-1")).Str("referral_code").ShouldBe($"{second}55555");
        draws.Count.ShouldBe(4);

        // A code of another second: the codes of the last one can no longer be drawn, and are let go.
        var three = await server.WritePath.RunAsync(context =>
            CustomerBulkCreate.CreateAsync(context, server.ProgramId, Two("three")[..1], Actor.Cli, "import", lookUpHeld: false, draws));
        three[0]!.ReferralCode.ShouldBe(other);
        draws.Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_bulk_writer_on_sqlite_copies_its_log_into_the_database_file_beside_its_commits()
    {
        await using var server = await PatronServer.StartAsync(TestDatabases.Sqlite);
        var database = server.App.Services.GetRequiredService<Database>();
        var file = new FileInfo(Path.Combine(server.DataDir, "patron.db"));
        var before = file.Length;
        await using var writer = new SqliteWritePath(database, TimeProvider.System, bulk: true);
        for (var batch = 0; batch < 6; batch++)
        {
            var created = await writer.RunAsync(context =>
                CustomerBulkCreate.CreateAsync(context, server.ProgramId, NewRows($"b{batch}"), Actor.Cli, "import"));
            created.ShouldAllBe(c => c != null);
        }

        // Six commits of some 4 MB each stay below the writer's own automatic checkpoint (10,000 pages, 40 MB of
        // log): only the checkpoint beside the writer puts them in the database file while the writer is open.
        var grown = 0L;
        for (var wait = 0; wait < 100 && grown < 10_000_000; wait++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            file.Refresh();
            grown = file.Length - before;
        }
        grown.ShouldBeGreaterThan(10_000_000);
        (await server.Client.TotalAsync("/api/v1/customers")).ShouldBe(6 * Rows);
    }

    [Theory, DatabaseData]
    public async Task An_import_pauses_the_search_index_merging_while_it_writes_and_sets_it_back_after(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var db = server.App.Services.GetRequiredService<Database>();
        var path = Path.Combine(server.DataDir, "import.csv");
        await File.WriteAllLinesAsync(path, ["external_id,email,first_name", "m-1,merge1@example.com,Merle", "m-2,merge2@example.com,Mira"],
            TestContext.Current.CancellationToken);
        var during = new List<long?>();
        // Progress is reported after each batch is written, while the import still runs.
        var result = await Patron.Cli.ImportExport.ImportCustomersAsync(server.WritePath, server.ProgramId, path, TextWriter.Null,
            (_, _) => during.Add(Automerge(db)));

        result.Created.ShouldBe(2);
        during.ShouldNotBeEmpty();
        if (database == TestDatabases.Sqlite)
        {
            during.ShouldAllBe(v => v == 0);
            Automerge(db).ShouldBe(4);
        }
        (await server.Client.TotalAsync("/api/v1/customers?search=merge2")).ShouldBe(1);
    }

    /// <summary>FTS5's automerge setting of the customers' search index as it stores it (SQLite), else null.</summary>
    private static long? Automerge(Database database)
    {
        if (!database.IsSqlite)
        {
            return null;
        }
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT v FROM customers_search_config WHERE k = 'automerge'";
        return command.ExecuteScalar() is long v ? v : null;
    }
}
