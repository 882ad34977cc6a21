using Npgsql;
using Patron.Storage;
using Shouldly;

namespace Patron.Tests.Storage;

public sealed class DatabaseTests
{
    [Fact]
    public void PostgreSQL_connections_prepare_their_most_used_statements_unless_the_connection_string_says_otherwise()
    {
        using var plain = new Database(DatabaseProvider.Postgres, "Host=127.0.0.1;Database=patron;Username=patron");
        var settings = new NpgsqlConnectionStringBuilder(plain.PostgresDataSource!.ConnectionString);
        settings.MaxAutoPrepare.ShouldBe(64);
        settings.AutoPrepareMinUsages.ShouldBe(2);

        using var off = new Database(DatabaseProvider.Postgres, "Host=127.0.0.1;Database=patron;Username=patron;Max Auto Prepare=0");
        new NpgsqlConnectionStringBuilder(off.PostgresDataSource!.ConnectionString).MaxAutoPrepare.ShouldBe(0);

        using var own = new Database(DatabaseProvider.Postgres, "Host=127.0.0.1;Database=patron;Username=patron;maxautoprepare=8");
        new NpgsqlConnectionStringBuilder(own.PostgresDataSource!.ConnectionString).MaxAutoPrepare.ShouldBe(8);
    }
}
