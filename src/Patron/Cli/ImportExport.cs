using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Patron.Api;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Cli;

/// <summary>
/// <c>import customers FILE.csv</c> and <c>export customers|ledger FILE</c> (docs/CONFIGURATION.md). Imports
/// run through the same customer create-or-update code as the API, in batches of one transaction each.
/// </summary>
public static class ImportExport
{
    private const int BatchSize = 2_000;
    private static readonly string[] KnownColumns =
        ["external_id", "email", "phone", "first_name", "last_name", "birthday", "status", "points", "initial_points"];

    public sealed record ImportResult(long Created, long Updated, long Rejected);

    /// <summary>Picks <paramref name="programId"/>, or the only program when none is named.</summary>
    public static async Task<string> ResolveProgramAsync(Database database, string? programId)
    {
        await using var db = new PatronDb(PatronDb.Options(database));
        if (programId is not null)
        {
            return await db.Programs.AnyAsync(p => p.Id == programId)
                ? programId
                : throw new InvalidOperationException($"No program '{programId}'. See: programs list");
        }
        var ids = await db.Programs.Select(p => p.Id).Take(2).ToListAsync();
        return ids.Count switch
        {
            1 => ids[0],
            0 => throw new InvalidOperationException("There is no program yet: run 'serve' once, or 'programs create --name NAME'."),
            _ => throw new InvalidOperationException("There is more than one program: name one with --program prog_..."),
        };
    }

    public static async Task<ImportResult> ImportCustomersAsync(
        IWritePath path, string programId, string file, TextWriter errors, Action<double, long>? progress = null, bool rowPerOperation = false)
    {
        // A malformed file is refused whole, before its first row is written.
        await Csv.CheckAsync(file);
        await using var stream = File.OpenRead(file);
        using var reader = new StreamReader(stream);
        using var records = Csv.Read(reader).GetEnumerator();
        if (!records.MoveNext())
        {
            return new ImportResult(0, 0, 0);
        }
        errors = TextWriter.Synchronized(errors);
        var header = records.Current.Select(h => h.Trim().ToLowerInvariant()).ToArray();
        foreach (var unknown in header.Where(h => !KnownColumns.Contains(h)))
        {
            await errors.WriteLineAsync($"note: column '{unknown}' is not imported");
        }
        int Col(string name) => Array.IndexOf(header, name);
        var (cExternal, cEmail, cPhone, cFirst, cLast, cBirthday, cStatus) =
            (Col("external_id"), Col("email"), Col("phone"), Col("first_name"), Col("last_name"), Col("birthday"), Col("status"));
        var cPoints = Col("points") >= 0 ? Col("points") : Col("initial_points");

        long created = 0, updated = 0, rejected = 0, line = 1;
        var batch = new List<(long Line, CustomerFields Fields, long Points)>(BatchSize);

        // Each row runs as its own operation, so a refused row leaves nothing behind. On SQLite the rows of
        // a batch are queued together and the group-commit writer commits up to a few hundred of them at
        // once; every row keeps its own small savepoint (a savepoint spanning thousands of rows makes each
        // statement's rollback journal, and the time to trim it, grow with the batch). Elsewhere a batch is
        // one transaction, run by one operation.
        async Task<(bool IsNew, string? Refused)> UpsertRowAsync(WriteContext context, long rowLine, CustomerFields fields, long points)
        {
            // Every refusal in UpsertAsync happens before it writes.
            try
            {
                var (_, isNew) = await CustomerWrites.UpsertAsync(context, programId, fields, points, null, "import");
                return (isNew, null);
            }
            catch (Exception e) when (e is ApiException or OperationException)
            {
                return (false, $"line {rowLine}: {e.Message}");
            }
        }

        // A failure the API would answer with a 500 (a database error) is reported with the row's line, and
        // the import goes on: the operation that failed was rolled back, nothing of it was written.
        async Task<(bool IsNew, string? Refused)> RunRowAsync((long Line, CustomerFields Fields, long Points) r)
        {
            try
            {
                return await path.RunAsync(context => UpsertRowAsync(context, r.Line, r.Fields, r.Points));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return (false, $"line {r.Line}: not written: {e.Message}");
            }
        }

        async Task<(bool IsNew, string? Refused)[]> RunBatchAsync((long Line, CustomerFields Fields, long Points)[] rows)
        {
            try
            {
                return await path.RunAsync(async context =>
                {
                    var results = new (bool IsNew, string? Refused)[rows.Length];
                    for (var i = 0; i < rows.Length; i++)
                    {
                        results[i] = await UpsertRowAsync(context, rows[i].Line, rows[i].Fields, rows[i].Points);
                    }
                    return results;
                });
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return [.. rows.Select(r => (false, (string?)$"line {r.Line}: not written (a row of lines {rows[0].Line}-{rows[^1].Line} failed): {e.Message}"))];
            }
        }

        // The next batch is read and validated while the previous one is written.
        async Task WriteAsync((long Line, CustomerFields Fields, long Points)[] rows)
        {
            var outcomes = rowPerOperation ? await Task.WhenAll(rows.Select(RunRowAsync)) : await RunBatchAsync(rows);

            foreach (var (isNew, refused) in outcomes)
            {
                if (refused is not null)
                {
                    Interlocked.Increment(ref rejected);
                    await errors.WriteLineAsync(refused);
                }
                else if (isNew)
                {
                    Interlocked.Increment(ref created);
                }
                else
                {
                    Interlocked.Increment(ref updated);
                }
            }
            progress?.Invoke(stream.Length == 0 ? 1 : (double)stream.Position / stream.Length, Interlocked.Read(ref created) + Interlocked.Read(ref updated));
        }

        Task inFlight = Task.CompletedTask;
        async Task FlushAsync()
        {
            var rows = batch.ToArray();
            batch.Clear();
            await inFlight;
            inFlight = WriteAsync(rows);
        }

        while (records.MoveNext())
        {
            line++;
            var r = records.Current;
            if (r.Count == 1 && r[0].Length == 0)
            {
                continue;
            }
            string? Get(int i) => i >= 0 && i < r.Count && r[i].Length > 0 ? Csv.Unneutralise(r[i]) : null;
            try
            {
                // The same refusals as the API's: no NUL character in any text, no balance beyond one entry's limit.
                if (r.Any(field => field.Contains('\0')))
                {
                    throw ApiException.Invalid("", "A field contains a NUL character.");
                }
                var fields = CustomerFields.From(new CustomerInput
                {
                    ExternalId = Get(cExternal),
                    Email = Get(cEmail),
                    Phone = Get(cPhone),
                    FirstName = Get(cFirst),
                    LastName = Get(cLast),
                    Birthday = Get(cBirthday),
                    Status = Get(cStatus),
                });
                fields.RequireIdentity();
                long points = 0;
                if (Get(cPoints) is { } p && (!long.TryParse(p, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out points) || points is < 0 or > LedgerRules.MaxPointsPerEntry))
                {
                    throw ApiException.Invalid("points", $"'points' must be a whole number from 0 to {LedgerRules.MaxPointsPerEntry}.");
                }
                batch.Add((line, fields, points));
            }
            catch (Exception e) when (e is ApiException or OperationException)
            {
                Interlocked.Increment(ref rejected);
                await errors.WriteLineAsync($"line {line}: {e.Message}");
            }
            if (batch.Count == BatchSize)
            {
                await FlushAsync();
            }
        }
        if (batch.Count > 0)
        {
            await FlushAsync();
        }
        await inFlight;
        return new ImportResult(created, updated, rejected);
    }

    public static async Task<long> ExportCustomersAsync(Database database, string programId, TextWriter output, Action<long>? progress = null)
    {
        await output.WriteLineAsync("id,external_id,email,phone,first_name,last_name,birthday,status,points_balance,pending_points,lifetime_points,points_spent,points_expired,current_stamps,total_spent,referral_code,created_at");
        return await PageAsync(database, $"SELECT {Customers.Columns} FROM customers WHERE program_id = @p AND deleted_at IS NULL",
            Customers.Map, c => c.Id, c => string.Join(',',
                c.Id, Csv.Escape(c.ExternalId), Csv.Escape(c.Email), Csv.Escape(c.Phone), Csv.Escape(c.FirstName),
                Csv.Escape(c.LastName), c.Birthday, c.Status, Num(c.PointsBalance), Num(c.PendingPoints), Num(c.LifetimePoints),
                Num(c.PointsSpent), Num(c.PointsExpired), Num(c.CurrentStamps), c.TotalSpent.ToString(CultureInfo.InvariantCulture),
                c.ReferralCode, PatronJson.Timestamp(c.CreatedAt)),
            programId, output, progress);
    }

    public static async Task<long> ExportLedgerAsync(Database database, string programId, TextWriter output, Action<long>? progress = null)
    {
        await output.WriteLineAsync("id,customer_id,points,type,description,reference,balance_after,created_by,created_at");
        return await PageAsync(database, $"SELECT {Ledger.Columns} FROM points_transactions WHERE program_id = @p",
            Ledger.Map, t => t.Id, t => string.Join(',',
                t.Id, t.CustomerId, Num(t.Points), t.Type, Csv.Escape(t.Description), Csv.Escape(t.Reference),
                Num(t.BalanceAfter), t.CreatedBy, PatronJson.Timestamp(t.CreatedAt)),
            programId, output, progress);
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Walks a table in id order with keyset paging, so memory stays flat on millions of rows.</summary>
    private static async Task<long> PageAsync<T>(Database database, string select, Func<System.Data.Common.DbDataReader, T> map,
        Func<T, string> id, Func<T, string> line, string programId, TextWriter output, Action<long>? progress)
    {
        long count = 0;
        var after = "";
        while (true)
        {
            var rows = await database.ReadAsync(sql => sql.ListAsync($"{select} AND id > @after ORDER BY id LIMIT 5000",
                map, ("p", programId), ("after", after)));
            foreach (var row in rows)
            {
                await output.WriteLineAsync(line(row));
            }
            count += rows.Count;
            progress?.Invoke(count);
            if (rows.Count < 5000)
            {
                return count;
            }
            after = id(rows[^1]);
        }
    }

    /// <summary>A progress line on standard error, redrawn at most twice a second.</summary>
    public sealed class Progress(string verb)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _lastMs = -1000;
        private long _lastRows = -1;

        public void Report(double? fraction, long rows, bool final = false)
        {
            if (!final && _clock.ElapsedMilliseconds - _lastMs < 500)
            {
                return;
            }
            if (final && rows == _lastRows && Console.IsErrorRedirected)
            {
                return; // the last line already says it all
            }
            _lastMs = _clock.ElapsedMilliseconds;
            _lastRows = rows;
            var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
            var percent = fraction is { } f ? $" ({f:P0})" : "";
            var text = string.Create(CultureInfo.InvariantCulture, $"{verb} {rows:N0} rows{percent}, {rows / seconds:N0} rows/s, {seconds:N1} s");
            if (Console.IsErrorRedirected)
            {
                Console.Error.WriteLine(text);
            }
            else
            {
                Console.Error.Write("\r" + text.PadRight(70) + (final ? "\n" : ""));
            }
        }
    }
}
