using System.Reflection;
using Xunit.Sdk;
using Xunit.v3;

namespace Patron.Tests.Infrastructure;

/// <summary>
/// Runs a test body once per database: SQLite always, PostgreSQL when <c>PATRON_TEST_POSTGRES</c>
/// holds a connection string (a user that may create databases); otherwise that row shows as skipped.
/// Each row carries the trait <c>Database</c> (<c>sqlite</c> or <c>postgres</c>), so that a run can keep
/// one database: <c>dotnet test --filter "Database=postgres"</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DatabaseDataAttribute : DataAttribute
{
    public override ValueTask<IReadOnlyCollection<ITheoryDataRow>> GetData(MethodInfo testMethod, DisposalTracker disposalTracker)
    {
        var postgres = new TheoryDataRow<string>(TestDatabases.Postgres).WithTrait(TestDatabases.Trait, TestDatabases.Postgres);
        if (TestDatabases.PostgresAdmin is null)
        {
            postgres.Skip = "PATRON_TEST_POSTGRES is not set";
        }
        var sqlite = new TheoryDataRow<string>(TestDatabases.Sqlite).WithTrait(TestDatabases.Trait, TestDatabases.Sqlite);
        return new([sqlite, postgres]);
    }

    public override bool SupportsDiscoveryEnumeration() => true;
}
