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
        ["external_id", "email", "phone", "first_name", "last_name", "birthday", "status", "points", "initial_points", "points_balance"];

    /// <summary>
    /// The columns <see cref="ExportCustomersAsync"/> writes that an import reads back as they are. The others
    /// (id, pending and lifetime points, stamps, referral code, dates) are Patron's own and are made anew.
    /// </summary>
    private static readonly string[] ExportOnlyColumns =
        ["id", "pending_points", "lifetime_points", "points_spent", "points_expired", "current_stamps", "total_spent", "referral_code", "created_at"];

    /// <param name="DryRun">Check every row and report what would happen, writing nothing.</param>
    /// <param name="UpdateExisting">Update a customer found by email or phone alone; without it such a row is a conflict.</param>
    /// <param name="Report">Where to write one CSV line per row: line, outcome, customer id, detail.</param>
    public sealed record ImportOptions(bool DryRun = false, bool UpdateExisting = false, TextWriter? Report = null);

    public sealed record ImportResult(long Created, long Updated, long Rejected, long Conflicts = 0);

    private enum Outcome { Created, Updated, Conflict, Rejected }

    private sealed record RowOutcome(Outcome Kind, string? CustomerId, string? Detail);

    /// <summary>Thrown at the end of a dry-run operation so that the write path rolls back what it did.</summary>
    private sealed class DryRunRollback(object results) : Exception("dry run")
    {
        public object Results { get; } = results;
    }

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
        IWritePath path, string programId, string file, TextWriter errors, Action<double, long>? progress = null, bool rowPerOperation = false,
        ImportOptions? options = null)
    {
        options ??= new ImportOptions();
        var report = options.Report is null ? null : TextWriter.Synchronized(options.Report);
        if (report is not null)
        {
            await report.WriteLineAsync("line,outcome,customer_id,detail");
        }
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
        foreach (var unknown in header.Where(h => !KnownColumns.Contains(h) && !ExportOnlyColumns.Contains(h)))
        {
            await errors.WriteLineAsync($"note: column '{unknown}' is not imported");
        }
        int Col(string name) => Array.IndexOf(header, name);
        var (cExternal, cEmail, cPhone, cFirst, cLast, cBirthday, cStatus) =
            (Col("external_id"), Col("email"), Col("phone"), Col("first_name"), Col("last_name"), Col("birthday"), Col("status"));
        // An export names the balance points_balance; a hand-made file may say points or initial_points.
        var cPoints = new[] { Col("points"), Col("initial_points"), Col("points_balance") }.FirstOrDefault(c => c >= 0, -1);

        long created = 0, updated = 0, rejected = 0, conflicts = 0, line = 1;
        var batch = new List<(long Line, CustomerFields Fields, long Points)>(BatchSize);

        // Each row runs as its own operation, so a refused row leaves nothing behind. On SQLite the rows of
        // a batch are queued together and the group-commit writer commits up to a few hundred of them at
        // once; every row keeps its own small savepoint (a savepoint spanning thousands of rows makes each
        // statement's rollback journal, and the time to trim it, grow with the batch). Elsewhere a batch is
        // one transaction, run by one operation.
        async Task<RowOutcome> UpsertRowAsync(WriteContext context, long rowLine, CustomerFields fields, long points)
        {
            // Every refusal in UpsertAsync happens before it writes.
            try
            {
                var existing = await Customers.MatchAsync(context.Sql, programId, fields.ExternalId, fields.Email, fields.Phone);
                if (!options.UpdateExisting && existing is { } found
                    && !(fields.ExternalId is { Length: > 0 } && found.ExternalId == fields.ExternalId))
                {
                    var by = fields.Email is { Length: > 0 } && found.Email == fields.Email ? "email" : "phone";
                    return new(Outcome.Conflict, found.Id, $"matches customer {found.Id} by {by}; left unchanged (--update-existing updates it)");
                }
                var (customer, isNew) = await CustomerWrites.UpsertAsync(context, programId, fields, points, null, "import");
                if (isNew || customer != existing)
                {
                    await AuditTrail.RecordAsync(context, Actor.Cli, programId, AuditActions.CustomerImported, customer.Id,
                        isNew ? null : existing, customer, customer.Id);
                }
                var detail = !isNew && points > 0 ? "points are an opening balance: not added to an existing customer" : null;
                return new(isNew ? Outcome.Created : Outcome.Updated, customer.Id, detail);
            }
            catch (Exception e) when (e is ApiException or OperationException)
            {
                return new(Outcome.Rejected, null, e.Message);
            }
        }

        // A dry run does every row's work and then throws, so the write path rolls it back.
        async Task<T> RunAsync<T>(Func<WriteContext, Task<T>> operation) where T : class
        {
            if (!options.DryRun)
            {
                return await path.RunAsync(operation);
            }
            try
            {
                await path.RunAsync<T>(async context => throw new DryRunRollback(await operation(context)));
            }
            catch (DryRunRollback rolledBack)
            {
                return (T)rolledBack.Results;
            }
            throw new InvalidOperationException("A dry run wrote.");
        }

        // A failure the API would answer with a 500 (a database error) is reported with the row's line, and
        // the import goes on: the operation that failed was rolled back, nothing of it was written.
        async Task<RowOutcome> RunRowAsync((long Line, CustomerFields Fields, long Points) r)
        {
            try
            {
                return await RunAsync(context => UpsertRowAsync(context, r.Line, r.Fields, r.Points));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new(Outcome.Rejected, null, $"not written: {e.Message}");
            }
        }

        async Task<RowOutcome[]> RunBatchAsync((long Line, CustomerFields Fields, long Points)[] rows)
        {
            try
            {
                return await RunAsync(async context =>
                {
                    var results = new RowOutcome[rows.Length];
                    for (var i = 0; i < rows.Length; i++)
                    {
                        results[i] = await UpsertRowAsync(context, rows[i].Line, rows[i].Fields, rows[i].Points);
                    }
                    return results;
                });
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return [.. rows.Select(r => new RowOutcome(Outcome.Rejected, null, $"not written (a row of lines {rows[0].Line}-{rows[^1].Line} failed): {e.Message}"))];
            }
        }

        async Task RecordAsync(long rowLine, RowOutcome outcome)
        {
            var counter = outcome.Kind switch
            {
                Outcome.Created => Interlocked.Increment(ref created),
                Outcome.Updated => Interlocked.Increment(ref updated),
                Outcome.Conflict => Interlocked.Increment(ref conflicts),
                _ => Interlocked.Increment(ref rejected),
            };
            if (outcome.Kind is Outcome.Rejected or Outcome.Conflict)
            {
                await errors.WriteLineAsync($"line {rowLine}: {(outcome.Kind == Outcome.Conflict ? "conflict: " : "")}{outcome.Detail}");
            }
            if (report is not null)
            {
                await report.WriteLineAsync(string.Join(',', rowLine.ToString(CultureInfo.InvariantCulture),
                    outcome.Kind.ToString().ToLowerInvariant(), outcome.CustomerId, Csv.Escape(outcome.Detail)));
            }
        }

        // The next batch is read and validated while the previous one is written.
        async Task WriteAsync((long Line, CustomerFields Fields, long Points)[] rows)
        {
            var outcomes = rowPerOperation ? await Task.WhenAll(rows.Select(RunRowAsync)) : await RunBatchAsync(rows);
            for (var i = 0; i < rows.Length; i++)
            {
                await RecordAsync(rows[i].Line, outcomes[i]);
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
                await RecordAsync(line, new RowOutcome(Outcome.Rejected, null, e.Message));
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
        return new ImportResult(created, updated, rejected, conflicts);
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
