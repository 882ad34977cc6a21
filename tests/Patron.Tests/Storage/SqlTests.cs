using Microsoft.Data.Sqlite;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Storage;

public sealed class SqlTests
{
    [Fact]
    public async Task Parameters_named_with_or_without_their_at_sign_bind_to_the_same_sqlite_parameter_on_every_execution()
    {
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        using var cache = new StatementCache();
        var sql = new Sql(connection, cache: cache);

        Convert.ToInt64(await sql.ScalarAsync("SELECT @a * 10 + @b", ("a", 1L), ("b", 2L))).ShouldBe(12);
        // The same prepared statement again, with new values and the names written as in the SQL.
        Convert.ToInt64(await sql.ScalarAsync("SELECT @a * 10 + @b", ("@a", 3L), ("b", 4L))).ShouldBe(34);
        (await sql.ScalarAsync("SELECT @a * 10 + @b", ("a", 5L), ("b", null))).ShouldBeNull();
    }

    [Fact]
    public async Task A_parameter_the_sqlite_statement_does_not_name_is_refused_rather_than_bound_elsewhere()
    {
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        var sql = new Sql(connection);

        await Should.ThrowAsync<InvalidOperationException>(() => sql.ScalarAsync("SELECT @a + @b", ("a", 1L), ("c", 2L)));
    }

    [Fact]
    public async Task A_postgres_statement_prepared_for_values_stays_prepared_for_nulls_given_their_type()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        var ct = TestContext.Current.CancellationToken;
        await using var testDatabase = await TestDatabase.CreateAsync(TestDatabases.Postgres, PatronServer.NewDataDir());
        using var db = testDatabase.Open();
        await using var connection = await db.OpenAsync(ct);
        var sql = new Sql(connection);
        await sql.ExecuteAsync("CREATE TABLE entries (note text, amount bigint)");
        const string Insert = "INSERT INTO entries (note, amount) VALUES (@note, @amount)";
        // Npgsql prepares a statement on its second use; each execution of the prepared statement is one plan used.
        async Task<long> PreparedRunsAsync() => Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COALESCE(SUM(generic_plans + custom_plans), 0) FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO entries%'"));

        for (var i = 0; i < 3; i++)
        {
            await sql.ExecuteAsync(Insert, ("note", Sql.Text("paid")), ("amount", Sql.Int64(10)));
        }
        var afterValues = await PreparedRunsAsync();
        for (var i = 0; i < 3; i++)
        {
            await sql.ExecuteAsync(Insert, ("note", Sql.Text(null)), ("amount", Sql.Int64(null)));
        }

        afterValues.ShouldBe(2);
        (await PreparedRunsAsync()).ShouldBe(afterValues + 3);
        Convert.ToInt64(await sql.ScalarAsync("SELECT COUNT(*) FROM entries WHERE note IS NULL AND amount IS NULL")).ShouldBe(3);
    }
}
