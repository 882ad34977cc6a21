using System.Diagnostics;
using System.Globalization;
using System.Text;

// Reads one CSV file with each parser (Patron's earlier hand-written one, Patron's Csv.Read as it is now), in turn, RUNS times, and prints the median time and allocation
// of each. Every parser must find the same records (count and a checksum of every field's text).
//   dotnet run -c Release --project bench/Patron.Bench.Csv -- [rows] [runs] [file]
var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var file = args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), $"patron-bench-{rows}.csv");
if (!File.Exists(file))
{
    Generate(file, rows);
}
Console.WriteLine($"{file}: {new FileInfo(file).Length / 1_000_000.0:F1} MB, {rows:N0} data rows, {runs} runs each, interleaved");

var parsers = new (string Name, Func<TextReader, (long Records, long Checksum)> Parse)[]
{
    ("hand-written (Patron until now)", HandWritten),
    ("Patron Csv.Read", PatronCsv),
    ("Sylvan.Data.Csv 1.4.4", SylvanCsv),
    ("CsvHelper 34.0.0", CsvHelperCsv),
};
var times = parsers.ToDictionary(p => p.Name, _ => new List<double>());
var allocations = parsers.ToDictionary(p => p.Name, _ => new List<long>());
(long, long)? expected = null;
for (var run = 0; run < runs; run++)
{
    foreach (var (name, parse) in parsers)
    {
        GC.Collect();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        using var reader = new StreamReader(file, Encoding.UTF8);
        var result = parse(reader);
        watch.Stop();
        allocations[name].Add(GC.GetTotalAllocatedBytes(precise: true) - allocated);
        times[name].Add(watch.Elapsed.TotalMilliseconds);
        expected ??= result;
        if (result != expected)
        {
            throw new InvalidOperationException($"{name} read {result}, the first parser {expected}.");
        }
    }
}
Console.WriteLine($"records {expected!.Value.Item1:N0} (header included), checksum {expected.Value.Item2}");
Console.WriteLine("| parser | median ms | runs (ms) | median MB allocated |");
Console.WriteLine("|---|---:|---|---:|");
foreach (var (name, _) in parsers)
{
    Console.WriteLine($"| {name} | {Median(times[name]):F0} | {string.Join(", ", times[name].Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))} | {Median(allocations[name].Select(a => (double)a).ToList()) / 1_000_000:F0} |");
}
return 0;

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static long Sum(long checksum, string field) => unchecked((checksum * 31) + field.Length + (field.Length > 0 ? field[0] : 0));

static (long, long) HandWritten(TextReader reader)
{
    long records = 0, checksum = 0;
    foreach (var record in Patron.Bench.Csv.HandWrittenCsv.Read(reader))
    {
        records++;
        foreach (var field in record)
        {
            checksum = Sum(checksum, field);
        }
    }
    return (records, checksum);
}

static (long, long) PatronCsv(TextReader reader)
{
    long records = 0, checksum = 0;
    foreach (var record in Patron.Cli.Csv.Read(reader))
    {
        records++;
        foreach (var field in record)
        {
            checksum = Sum(checksum, field);
        }
    }
    return (records, checksum);
}

static (long, long) SylvanCsv(TextReader reader)
{
    long records = 0, checksum = 0;
    using var csv = Sylvan.Data.Csv.CsvDataReader.Create(reader, new Sylvan.Data.Csv.CsvDataReaderOptions { HasHeaders = false });
    while (csv.Read())
    {
        records++;
        for (var i = 0; i < csv.RowFieldCount; i++)
        {
            checksum = Sum(checksum, csv.GetString(i));
        }
    }
    return (records, checksum);
}

static (long, long) CsvHelperCsv(TextReader reader)
{
    long records = 0, checksum = 0;
    using var csv = CsvHelper.CsvReader.Create(reader, new CsvHelper.CsvReaderOptions { HasHeader = false }, true);
    using var data = new CsvHelper.CsvDataReader(csv, false);
    while (data.Read())
    {
        records++;
        for (var i = 0; i < data.FieldCount; i++)
        {
            checksum = Sum(checksum, data.GetString(i));
        }
    }
    return (records, checksum);
}

// Customers as `patron export customers` writes them: one in twenty has a quoted name with a comma,
// one in a hundred a doubled quote, one in a thousand a line break inside a quoted field.
static void Generate(string file, int rows)
{
    var random = new Random(18);
    using var writer = new StreamWriter(file, false, new UTF8Encoding(false));
    writer.Write("id,external_id,email,phone,first_name,last_name,birthday,status,points_balance,pending_points,lifetime_points,created_at\n");
    for (var i = 0; i < rows; i++)
    {
        var last = (i % 1000) switch
        {
            0 => "\"Line\nbreak\"",
            var n when n % 100 == 1 => "\"O\"\"Brien\"",
            var n when n % 20 == 2 => "\"Smith, Jr\"",
            _ => "Smith",
        };
        writer.Write($"cus_{i:D20},shop-{i},customer{i}@example.com,+4477009{i % 100000:D5},Ada,{last},1990-0{1 + (i % 9)}-1{i % 10},active,{random.Next(0, 10_000)},0,{random.Next(0, 50_000)},2026-11-{1 + (i % 28):D2}T10:00:00Z\n");
    }
}
