using Microsoft.Data.Sqlite;
using Patron.Storage;
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
}
