using System.Reflection;
using Npgsql;
using Xunit.Sdk;
using Xunit.v3;

namespace Patron.Tests.Infrastructure;

/// <summary>
/// Runs a test body once per database: SQLite always, PostgreSQL when <c>PATRON_TEST_POSTGRES</c>
/// holds a connection string (a user that may create databases); otherwise that row shows as skipped.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DatabaseDataAttribute : DataAttribute
{
    public override ValueTask<IReadOnlyCollection<ITheoryDataRow>> GetData(MethodInfo testMethod, DisposalTracker disposalTracker)
    {
        var postgres = new TheoryDataRow<string>(TestDatabases.Postgres);
        if (TestDatabases.PostgresAdmin is null)
        {
            postgres.Skip = "PATRON_TEST_POSTGRES is not set";
        }
        return new([new TheoryDataRow<string>(TestDatabases.Sqlite), postgres]);
    }

    public override bool SupportsDiscoveryEnumeration() => true;
}

public static class TestDatabases
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static string? PostgresAdmin =>
        Environment.GetEnvironmentVariable("PATRON_TEST_POSTGRES") is { Length: > 0 } cs ? cs : null;

    /// <summary>Configuration arguments that point a Patron process at a new, empty database of this kind.</summary>
    public static async Task<string[]> NewDatabaseArgsAsync(string kind, string dataDir)
    {
        if (kind == Sqlite)
        {
            return ["--Patron:Database:Provider=sqlite", $"--Patron:DataDir={dataDir}"];
        }
        var admin = PostgresAdmin ?? throw new InvalidOperationException("PATRON_TEST_POSTGRES is not set.");
        var name = "patron_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        // Several test servers share one cluster: keep each pool well under its max_connections.
        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 20 };
        return ["--Patron:Database:Provider=postgres", $"--ConnectionStrings:Patron={builder.ConnectionString}", $"--Patron:DataDir={dataDir}"];
    }
}
