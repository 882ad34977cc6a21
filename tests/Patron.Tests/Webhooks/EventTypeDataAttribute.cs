using System.Reflection;
using Patron.Domain;
using Patron.Tests.Infrastructure;
using Xunit.Sdk;
using Xunit.v3;

namespace Patron.Tests.Webhooks;

/// <summary>
/// Runs a test body once per event type in <see cref="EventTypes.All"/> and per database, like
/// <see cref="DatabaseDataAttribute"/>: the PostgreSQL rows show as skipped without <c>PATRON_TEST_POSTGRES</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class EventTypeDataAttribute : DataAttribute
{
    public override ValueTask<IReadOnlyCollection<ITheoryDataRow>> GetData(MethodInfo testMethod, DisposalTracker disposalTracker)
    {
        var rows = new List<ITheoryDataRow>();
        foreach (var type in EventTypes.All)
        {
            rows.Add(new TheoryDataRow<string, string>(type, TestDatabases.Sqlite));
            var postgres = new TheoryDataRow<string, string>(type, TestDatabases.Postgres);
            if (TestDatabases.PostgresAdmin is null)
            {
                postgres.Skip = "PATRON_TEST_POSTGRES is not set";
            }
            rows.Add(postgres);
        }
        return new(rows);
    }

    public override bool SupportsDiscoveryEnumeration() => true;
}
