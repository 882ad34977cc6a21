using Npgsql;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Cli;

/// <summary>
/// Mistakes an operator makes at the command line end in one clear line and a non-zero exit, never a
/// stack trace or a silent start (docs/CONFIGURATION.md, Running more than one).
/// </summary>
public sealed class OperatorSafetyTests
{
    private static void ShouldBeOneClearLine(CliRun run, string expected)
    {
        run.Exit.ShouldBe(2, run.Output);
        run.Stderr.ShouldContain(expected, Case.Insensitive, run.Output);
        run.Stderr.ShouldNotContain("   at ", Case.Sensitive, run.Output);
        run.Stderr.ShouldNotContain("Unhandled exception", Case.Sensitive, run.Output);
    }

    [Fact]
    public async Task A_second_serve_on_the_same_SQLite_folder_is_refused_while_the_other_verbs_work_beside_the_first()
    {
        var dataDir = PatronServer.NewDataDir();
        try
        {
            string[] database = ["--Patron:Database:Provider=sqlite", $"--Patron:DataDir={dataDir}"];
            await using var first = await PatronProcess.StartAsync(database, "sk_test_" + Guid.NewGuid().ToString("N"));

            var second = await PatronCliProcess.RunAsync(dataDir, ["serve", "--urls", "http://127.0.0.1:0", .. database]);

            ShouldBeOneClearLine(second, "already serving");
            (await first.Client.GetAsync(new Uri("/healthz", UriKind.Relative), TestContext.Current.CancellationToken)).IsSuccessStatusCode.ShouldBeTrue();
            var list = await PatronCliProcess.RunAsync(dataDir, ["programs", "list", .. database]);
            list.Exit.ShouldBe(0, list.Output);
            list.Stdout.ShouldContain("default");
        }
        finally
        {
            PatronServer.DeleteQuietly(dataDir);
        }
    }

    [Theory]
    [InlineData("serve", "--bogus")]
    [InlineData("programs", "list", "--nme", "x")]
    [InlineData("migrate", "stray")]
    public async Task An_unknown_option_or_argument_is_an_error_that_names_it(params string[] args)
    {
        var dataDir = PatronServer.NewDataDir();
        try
        {
            var run = await PatronCliProcess.RunAsync(dataDir, [.. args, $"--Patron:DataDir={dataDir}"]);

            ShouldBeOneClearLine(run, $"'{args[^1] switch { "x" => "--nme", var a => a }}'");
            File.Exists(Path.Combine(dataDir, "patron.db")).ShouldBeFalse("nothing ran");
        }
        finally
        {
            PatronServer.DeleteQuietly(dataDir);
        }
    }

    [Fact]
    public async Task A_PostgreSQL_database_that_does_not_exist_or_a_server_that_does_not_answer_is_one_line_and_exit_2()
    {
        Assert.SkipWhen(TestDatabases.PostgresAdmin is null, "PATRON_TEST_POSTGRES is not set");
        var missing = new NpgsqlConnectionStringBuilder(TestDatabases.PostgresAdmin) { Database = "patron_missing_" + Guid.NewGuid().ToString("N") };
        var unreachable = new NpgsqlConnectionStringBuilder(TestDatabases.PostgresAdmin) { Host = "127.0.0.1", Port = 1, Timeout = 2 };
        var dir = Path.GetTempPath();

        foreach (var verb in new[] { "migrate", "serve" })
        {
            ShouldBeOneClearLine(await PatronCliProcess.RunAsync(dir,
                [verb, "--Patron:Database:Provider=postgres", $"--ConnectionStrings:Patron={missing.ConnectionString}"]), "does not exist");
            ShouldBeOneClearLine(await PatronCliProcess.RunAsync(dir,
                [verb, "--Patron:Database:Provider=postgres", $"--ConnectionStrings:Patron={unreachable.ConnectionString}"]), "could not reach the database");
        }
    }

    [Theory, DatabaseData]
    public async Task A_schema_newer_than_this_Patron_is_refused_with_one_line(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await server.WritePath.RunAsync(context => context.Sql.ExecuteAsync(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future.sql', 0)"));

        var run = await server.CliAsync("migrate");

        ShouldBeOneClearLine(run, "newer than this Patron");
    }

    [Theory, DatabaseData]
    public async Task A_bootstrap_admin_key_set_on_a_database_that_already_has_keys_is_reported_as_not_used(string database)
    {
        var dataDir = PatronServer.NewDataDir();
        await using var testDatabase = await TestDatabase.CreateAsync(database, dataDir);
        try
        {
            var firstKey = "sk_test_" + Guid.NewGuid().ToString("N");
            await using (var first = await PatronProcess.StartAsync(testDatabase.Args, firstKey))
            {
                first.Output.ShouldNotContain("not used");
            }

            await using var again = await PatronProcess.StartAsync(testDatabase.Args, "sk_test_" + Guid.NewGuid().ToString("N"));

            again.Output.ShouldContain("Patron:Bootstrap:AdminKey is set but this database already has API keys: it was not used.");
            (await again.ClientWithKey(firstKey).GetAsync(new Uri("/api/v1/program", UriKind.Relative), TestContext.Current.CancellationToken))
                .IsSuccessStatusCode.ShouldBeTrue();
        }
        finally
        {
            PatronServer.DeleteQuietly(dataDir);
        }
    }
}
