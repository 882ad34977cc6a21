using System.Diagnostics;
using System.Globalization;
using Patron.Bench.Seed;

// Writes a benchmark dataset straight into a Patron database (bench/README.md):
//   Patron.Bench.Seed --provider sqlite --data DIR | --provider postgres --connection CS
//                     --customers N --entries M --admin-key sk_... --out customers.txt [--sample K] [--seed S]
// The schema and the first program/admin key come from Patron itself (Migrator, Bootstrap), so the
// server starts on this database exactly as on one it created.
var options = SeedOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(SeedOptions.Usage);
    return 2;
}

var total = Stopwatch.StartNew();
var plan = new DatasetPlan(options.Customers, options.Entries, options.Seed,
    DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
ISeedTarget target = options.Provider == "postgres"
    ? new PostgresTarget(options.ConnectionString!)
    : new SqliteTarget(options.DataDir!);

var (programId, keyId) = await target.PrepareAsync(options.AdminKey);
Log($"schema ready, program {programId}, admin key {keyId} ({total.Elapsed.TotalSeconds:F1} s)");

var generator = new Generator(plan, programId, keyId);
var phase = Stopwatch.StartNew();
await target.LoadAsync(generator, Log);
Log($"loaded {plan.Customers:N0} customers and {plan.Entries:N0} ledger entries in {phase.Elapsed.TotalSeconds:F1} s");

phase.Restart();
await target.FinishAsync(Log);
Log($"indexes and finishing in {phase.Elapsed.TotalSeconds:F1} s");

var written = generator.WriteSample(options.OutFile, options.Sample);
Log($"wrote {written:N0} customers to {options.OutFile}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"SEED customers={plan.Customers} entries={plan.Entries} seconds={total.Elapsed.TotalSeconds:F1}"));
return 0;

static void Log(string message) =>
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"[seed {DateTime.Now:HH:mm:ss.f} cpu {Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F1}s] {message}"));
