using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Patron.Api;
using Patron.Storage;

namespace Patron.Cli;

/// <summary>
/// The command-line verbs of the one executable (docs/CONFIGURATION.md). Every verb reads the same
/// configuration as <c>serve</c> (appsettings.json, environment, <c>--data</c>, <c>--Key=value</c>),
/// and the writing verbs work beside a running server.
/// </summary>
public static class PatronCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Patron: a self-hosted loyalty engine.");
        root.Subcommands.Add(Serve());
        root.Subcommands.Add(Migrate());
        root.Subcommands.Add(Programs());
        root.Subcommands.Add(Keys());
        root.Subcommands.Add(Import());
        root.Subcommands.Add(Export());
        root.Subcommands.Add(HealthCheck.Command());
        root.Subcommands.Add(Mcp.McpStdio.Command(Configuration));
        root.Subcommands.Add(UsersCommand.Build(ReadyDatabaseAsync, WritePath, DataOption));
        var parse = root.Parse(args);
        if (parse.Errors.Count == 0 && UnknownToken(parse.UnmatchedTokens) is { } unknown)
        {
            await Console.Error.WriteLineAsync(unknown.StartsWith('-')
                ? $"Unknown option '{unknown}'. Settings are written --Section:Key=value (docs/CONFIGURATION.md); see: patron {parse.CommandResult.Command.Name} --help"
                : $"Unexpected argument '{unknown}'. See: patron {parse.CommandResult.Command.Name} --help");
            return 2;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is InvalidOperationException or Csv.MalformedException)
        {
            // Configuration, usage and input-file problems: say what is wrong, without a stack trace.
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (Npgsql.PostgresException e)
        {
            // A missing database, a refused login, a missing permission: PostgreSQL's own words, in one line.
            await Console.Error.WriteLineAsync($"Patron could not use the database: {e.MessageText} (SQLSTATE {e.SqlState}).");
            return 2;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException || Database.IsUnavailable(e))
        {
            await Console.Error.WriteLineAsync($"Patron could not reach the database: {e.Message}");
            return 2;
        }
    }

    /// <summary>
    /// Verbs let tokens they do not declare through, for the configuration system: <c>--Section:Key=value</c>
    /// or <c>--Section:Key value</c>, and the host's own <c>--urls</c>, <c>--environment</c> and
    /// <c>--contentRoot</c>. Returns the first token that is none of these, so a typo is never ignored.
    /// </summary>
    private static string? UnknownToken(IReadOnlyList<string> tokens)
    {
        string[] hostSwitches = ["--urls", "--environment", "--contentRoot"];
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var name = token.Split('=', 2)[0];
            if (!token.StartsWith("--", StringComparison.Ordinal)
                || !(name.Contains(':', StringComparison.Ordinal) || hostSwitches.Contains(name, StringComparer.OrdinalIgnoreCase)))
            {
                return token;
            }
            if (!token.Contains('=', StringComparison.Ordinal) && i + 1 < tokens.Count && !tokens[i + 1].StartsWith('-'))
            {
                i++; // the setting's value
            }
        }
        return null;
    }

    private static Option<string> DataOption() => new("--data") { Description = "Folder of the SQLite database (default ./patron-data)." };

    private static Command Serve()
    {
        var command = new Command("serve", "Run the HTTP API (default http://127.0.0.1:5080).")
        {
            new Option<string>("--urls") { Description = "Addresses to listen on, e.g. http://127.0.0.1:8080." },
            DataOption(),
        };
        command.TreatUnmatchedTokensAsErrors = false;
        // The web host reads --urls, --data and any --Section:Key=value itself.
        command.SetAction((ParseResult _, CancellationToken _) => PatronApp.ServeAsync(ArgsAfterVerb("serve")));
        return command;
    }

    private static Command Migrate()
    {
        var command = new Command("migrate", "Create or upgrade the database schema, then exit.") { DataOption() };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (ParseResult _, CancellationToken _) =>
        {
            using var database = OpenDatabase();
            var applied = await Migrator.MigrateAsync(database);
            Console.WriteLine(applied.Count == 0 ? "The schema is up to date." : $"Applied: {string.Join(", ", applied)}");
            return 0;
        });
        return command;
    }

    private static Command Programs()
    {
        var name = new Option<string>("--name") { Description = "The program's name.", Required = true };
        var currency = new Option<string>("--currency") { Description = "ISO currency code (default USD)." };
        var create = new Command("create", "Create a program; prints its id on the last line.") { name, currency, DataOption() };
        create.TreatUnmatchedTokensAsErrors = false;
        create.SetAction(async (ParseResult parse, CancellationToken _) =>
        {
            var code = (parse.GetValue(currency) ?? "USD").Trim().ToUpperInvariant();
            if (code.Length != 3 || !code.All(char.IsAsciiLetterUpper))
            {
                await Console.Error.WriteLineAsync("--currency must be a three-letter ISO code such as EUR.");
                return 2;
            }
            using var database = await ReadyDatabaseAsync();
            var program = await Admin.CreateProgramAsync(WritePath(database), parse.GetValue(name)!, code);
            Console.WriteLine($"Created program '{program.Name}'.");
            Console.WriteLine(program.Id);
            return 0;
        });

        var list = new Command("list", "List programs.") { DataOption() };
        list.TreatUnmatchedTokensAsErrors = false;
        list.SetAction(async (ParseResult _, CancellationToken _) =>
        {
            using var database = await ReadyDatabaseAsync();
            await using var db = new PatronDb(PatronDb.Options(database));
            foreach (var p in await db.Programs.OrderBy(p => p.CreatedAt).ToListAsync())
            {
                Console.WriteLine($"{p.Id}\t{p.Name}\t{p.Currency}\t{PatronJson.Timestamp(PatronJson.FromMs(p.CreatedAt))}");
            }
            return 0;
        });
        return new Command("programs", "Manage programs.") { create, list };
    }

    private static Command Keys()
    {
        var program = new Option<string>("--program") { Description = "The program id (prog_...).", Required = true };
        var scope = new Option<string>("--scope") { Description = "read, write or admin.", Required = true };
        var name = new Option<string>("--name") { Description = "A label for the key." };
        var rate = new Option<int?>("--rate-limit") { Description = "Requests per minute for this key (0 = no limit)." };
        var expires = new Option<DateTimeOffset?>("--expires-at") { Description = "When the key stops working (ISO-8601)." };
        var create = new Command("create", "Create an API key; prints its secret on the last line.") { program, scope, name, rate, expires, DataOption() };
        create.TreatUnmatchedTokensAsErrors = false;
        create.SetAction(async (ParseResult parse, CancellationToken _) =>
        {
            if (Caller.ParseScope(parse.GetValue(scope)) is not { } s)
            {
                await Console.Error.WriteLineAsync("--scope must be read, write or admin.");
                return 2;
            }
            // The same limits as POST /api/v1/api_keys, named by this command's options.
            if (ApiKeyService.Refusal(parse.GetValue(name), parse.GetValue(expires), parse.GetValue(rate), DateTimeOffset.UtcNow) is { } refusal)
            {
                var option = refusal.Field switch { "rate_limit_per_minute" => "--rate-limit", "expires_at" => "--expires-at", _ => "--name" };
                await Console.Error.WriteLineAsync($"{option} {refusal.Reason}");
                return 2;
            }
            var programId = parse.GetValue(program)!;
            using var database = await ReadyDatabaseAsync();
            var result = await Admin.CreateKeyAsync(WritePath(database), programId, s, parse.GetValue(name),
                parse.GetValue(expires), parse.GetValue(rate));
            if (result is not { } created)
            {
                await Console.Error.WriteLineAsync($"No program '{programId}'. See: patron programs list");
                return 1;
            }
            Console.WriteLine($"Created {Caller.ScopeName(s)} key {created.Item1.Id}. The secret is shown only now:");
            Console.WriteLine(created.Item2);
            return 0;
        });

        var listProgram = new Option<string>("--program") { Description = "Only this program's keys." };
        var list = new Command("list", "List API keys (never their secrets).") { listProgram, DataOption() };
        list.TreatUnmatchedTokensAsErrors = false;
        list.SetAction(async (ParseResult parse, CancellationToken _) =>
        {
            using var database = await ReadyDatabaseAsync();
            await using var db = new PatronDb(PatronDb.Options(database)) { ProgramId = parse.GetValue(listProgram) };
            foreach (var k in await db.ApiKeys.OrderBy(k => k.CreatedAt).ToListAsync())
            {
                var state = k.RevokedAt is not null ? "revoked" : "active";
                Console.WriteLine($"{k.Id}\t{k.ProgramId}\t{k.Scope}\t{k.SecretHint}\t{state}\t{k.Name}");
            }
            return 0;
        });

        var id = new Argument<string>("id") { Description = "The key id (key_...)." };
        var revoke = new Command("revoke", "Revoke an API key.") { id, DataOption() };
        revoke.TreatUnmatchedTokensAsErrors = false;
        revoke.SetAction(async (ParseResult parse, CancellationToken _) =>
        {
            var keyId = parse.GetValue(id)!;
            using var database = await ReadyDatabaseAsync();
            var revoked = await Admin.RevokeKeyAsync(WritePath(database), keyId);
            Console.WriteLine(revoked ? $"Revoked {keyId}." : $"No active key '{keyId}'.");
            return revoked ? 0 : 1;
        });
        return new Command("keys", "Manage API keys.") { create, list, revoke };
    }

    private static Option<string> ProgramOption() =>
        new("--program") { Description = "The program id (prog_...); may be left out when there is only one program." };

    private static Command Import()
    {
        var file = new Argument<string>("file")
        {
            Description = "CSV with a header row: external_id, email, phone, first_name, last_name, birthday, status, points (or points_balance, as export writes it).",
        };
        var program = ProgramOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Check every row and report what would happen; write nothing." };
        var updateExisting = new Option<bool>("--update-existing") { Description = "Update a customer found by email or phone alone (otherwise such a row is a conflict)." };
        var reportFile = new Option<string>("--report") { Description = "Write one CSV line per row (line, outcome, customer_id, detail) to this file." };
        var rowByRow = new Option<bool>("--row-by-row") { Description = "Write every row through the per-row path, without the bulk path for new customers (slower)." };
        var customers = new Command("customers", "Create or update customers from a CSV file, with their opening points balances.")
        {
            file, program, dryRun, updateExisting, reportFile, rowByRow, DataOption(),
        };
        customers.TreatUnmatchedTokensAsErrors = false;
        customers.SetAction(async (ParseResult parse, CancellationToken _) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                await Console.Error.WriteLineAsync($"No file '{path}'.");
                return 2;
            }
            using var database = await ReadyDatabaseAsync();
            var programId = await ImportExport.ResolveProgramAsync(database, parse.GetValue(program));
            // On SQLite the importer gets the group-commit writer: one long-lived connection, prepared statements,
            // and checkpoints beside the writer.
            await using var writer = database.IsSqlite ? new SqliteWritePath(database, TimeProvider.System, bulk: true) : null;
            IWritePath writes = writer is not null ? writer : WritePath(database);
            await using var report = parse.GetValue(reportFile) is { } reportPath ? new StreamWriter(reportPath) : null;
            var options = new ImportExport.ImportOptions(parse.GetValue(dryRun), parse.GetValue(updateExisting), report, RowByRow: parse.GetValue(rowByRow));
            var progress = new ImportExport.Progress(options.DryRun ? "checked" : "imported");
            var result = await ImportExport.ImportCustomersAsync(writes, programId, path, Console.Error,
                (fraction, rows) => progress.Report(fraction, rows), options);
            progress.Report(1, result.Created + result.Updated, final: true);
            Console.WriteLine(options.DryRun
                ? $"Dry run, nothing written: would create {result.Created}, update {result.Updated}; conflicts {result.Conflicts}, rejected {result.Rejected}."
                : $"Created {result.Created}, updated {result.Updated}, conflicts {result.Conflicts}, rejected {result.Rejected}.");
            return result.Rejected == 0 && result.Conflicts == 0 ? 0 : 1;
        });
        return new Command("import", "Import data from files.") { customers, ImportVouchers() };
    }

    /// <summary><c>import vouchers --reward ID FILE</c>: codes for a pool reward, one per line (or a JSON array).</summary>
    private static Command ImportVouchers()
    {
        var file = new Argument<string>("file") { Description = "Text or CSV with one code per line (first column; a 'code' header is skipped), or a JSON array." };
        var reward = new Option<string>("--reward") { Description = "The pool reward (rwd_...) that gets the codes.", Required = true };
        var program = ProgramOption();
        var command = new Command("vouchers", "Add voucher codes to a pool reward; codes the program already has are reported as duplicates.")
        {
            file, reward, program, DataOption(),
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (ParseResult parse, CancellationToken _) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                await Console.Error.WriteLineAsync($"No file '{path}'.");
                return 2;
            }
            using var database = await ReadyDatabaseAsync();
            var programId = await ImportExport.ResolveProgramAsync(database, parse.GetValue(program));
            try
            {
                var text = await File.ReadAllTextAsync(path);
                IEnumerable<string?> raw = text.TrimStart().StartsWith('[')
                    ? System.Text.Json.JsonSerializer.Deserialize<List<string?>>(text) ?? []
                    : Vouchers.FromCsv(text).Select(c => (string?)c);
                var codes = Vouchers.Clean(raw, "file");
                long imported = 0, duplicates = 0;
                // Batches of one transaction each, so a huge file never holds the writer for long.
                foreach (var chunk in codes.Chunk(10_000))
                {
                    var result = await WritePath(database).RunAsync(context =>
                        Operations.RewardsAndRedemptions.VoucherOperations.ImportAsync(context, Domain.Actor.Cli, programId, parse.GetValue(reward)!, chunk));
                    imported += result.Imported;
                    duplicates += result.DuplicateCount;
                    foreach (var code in result.Duplicates.Take(20))
                    {
                        await Console.Error.WriteLineAsync($"duplicate: {code}");
                    }
                }
                Console.WriteLine($"Imported {imported}, duplicates {duplicates}.");
                return 0;
            }
            catch (Exception e) when (e is ApiException or Patron.Domain.OperationException or System.Text.Json.JsonException)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }
        });
        return command;
    }

    private static Command Export()
    {
        Command Verb(string name, string description, Func<Database, string, TextWriter, Action<long>, Task<long>> export)
        {
            var file = new Argument<string>("file") { Description = "The CSV file to write ('-' for standard output)." };
            var program = ProgramOption();
            var command = new Command(name, description) { file, program, DataOption() };
            command.TreatUnmatchedTokensAsErrors = false;
            command.SetAction(async (ParseResult parse, CancellationToken _) =>
            {
                using var database = await ReadyDatabaseAsync();
                var programId = await ImportExport.ResolveProgramAsync(database, parse.GetValue(program));
                var path = parse.GetValue(file)!;
                await using var writer = path == "-" ? null : new StreamWriter(path);
                var output = writer ?? Console.Out;
                var progress = new ImportExport.Progress("exported");
                var rows = await export(database, programId, output, n => progress.Report(null, n));
                progress.Report(null, rows, final: true);
                return 0;
            });
            return command;
        }
        return new Command("export", "Export data as CSV.")
        {
            Verb("customers", "Every customer with balances (erased customers are left out).", ImportExport.ExportCustomersAsync),
            Verb("ledger", "Every points ledger entry.", ImportExport.ExportLedgerAsync),
        };
    }

    /// <summary>The process's arguments after the verb, for the configuration system.</summary>
    private static string[] ArgsAfterVerb(string verb)
    {
        var all = Environment.GetCommandLineArgs().Skip(1).ToArray();
        var at = Array.IndexOf(all, verb);
        return at < 0 ? all : all[(at + 1)..];
    }

    private static IConfiguration Configuration() => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(ConfigurationArgs(), PatronApp.SwitchMappings)
        .Build();

    /// <summary>
    /// The <c>--key=value</c> and <c>--key value</c> pairs among the arguments, for the configuration
    /// system. Verbs, file names and a switch's own value stay out, so that a path argument is never
    /// read as the value of the switch before it.
    /// </summary>
    private static string[] ConfigurationArgs()
    {
        var args = Environment.GetCommandLineArgs().Skip(1).ToArray();
        var pairs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }
            if (args[i].Contains('=', StringComparison.Ordinal))
            {
                pairs.Add(args[i]);
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                pairs.Add(args[i]);
                pairs.Add(args[++i]);
            }
        }
        return [.. pairs];
    }

    private static Database OpenDatabase() => Database.FromConfiguration(Configuration());

    private static async Task<Database> ReadyDatabaseAsync()
    {
        var database = OpenDatabase();
        await Migrator.MigrateAsync(database);
        return database;
    }

    private static TransactionPerOperationWritePath WritePath(Database database) => new(database, TimeProvider.System);
}
