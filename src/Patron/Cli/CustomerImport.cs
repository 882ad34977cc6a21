using System.Globalization;
using Patron.Api;
using Patron.Domain;
using Patron.Operations.CustomerAccounts;
using Patron.Storage;
using static Patron.Cli.ImportExport;

namespace Patron.Cli;

/// <summary>
/// One run of <c>import customers FILE.csv</c>: reads and checks rows, writes them in batches through the
/// same customer create-or-update code as the API, and counts and reports each row's outcome.
/// </summary>
/// <remarks>
/// Each row runs as its own operation, so a refused row leaves nothing behind. On SQLite the rows of a batch
/// are queued together and the group-commit writer commits up to a few hundred of them at once; every row
/// keeps its own small savepoint (a savepoint spanning thousands of rows makes each statement's rollback
/// journal, and the time to trim it, grow with the batch). Elsewhere a batch is one transaction, run by one
/// operation. The next batch is read and checked while the previous one is written.
/// </remarks>
internal sealed class CustomerImport(
    IWritePath path, string programId, TextWriter errors, Action<double, long>? progress, bool rowPerOperation, ImportOptions options)
{
    private enum Outcome { Created, Updated, Conflict, Rejected }

    private sealed record RowOutcome(Outcome Kind, string? CustomerId, string? Detail);

    private sealed record Row(long Line, CustomerFields Fields, long Points);

    /// <summary>Thrown at the end of a dry-run operation so that the write path rolls back what it did.</summary>
    private sealed class DryRunRollback(object results) : Exception("dry run")
    {
        public object Results { get; } = results;
    }

    /// <summary>Where each column of the file is, or -1.</summary>
    private sealed record Columns(int ExternalId, int Email, int Phone, int FirstName, int LastName, int Birthday, int Status, int Points)
    {
        public static Columns From(string[] header)
        {
            int Col(string name) => Array.IndexOf(header, name);
            // An export names the balance points_balance; a hand-made file may say points or initial_points.
            var points = new[] { Col("points"), Col("initial_points"), Col("points_balance") }.FirstOrDefault(c => c >= 0, -1);
            return new(Col("external_id"), Col("email"), Col("phone"), Col("first_name"), Col("last_name"), Col("birthday"), Col("status"), points);
        }
    }

    private readonly TextWriter _errors = TextWriter.Synchronized(errors);
    private readonly TextWriter? _report = options.Report is null ? null : TextWriter.Synchronized(options.Report);
    private long _created, _updated, _rejected, _conflicts;
    private bool _lookUpHeld;
    private readonly ReferralCodeDraws _referralCodes = new();
    private Stream? _stream;

    public async Task<ImportResult> RunAsync(string file)
    {
        if (_report is not null)
        {
            await _report.WriteLineAsync("line,outcome,customer_id,detail");
        }
        // A malformed file is refused whole, before its first row is written.
        await Csv.CheckAsync(file);
        await using var stream = File.OpenRead(file);
        _stream = stream;
        using var reader = new StreamReader(stream);
        using var records = Csv.Read(reader).GetEnumerator();
        if (!records.MoveNext())
        {
            return new ImportResult(0, 0, 0);
        }
        var header = records.Current.Select(h => h.Trim().ToLowerInvariant()).ToArray();
        foreach (var unknown in header.Where(h => !KnownColumns.Contains(h) && !ExportOnlyColumns.Contains(h)))
        {
            await _errors.WriteLineAsync($"note: column '{unknown}' is not imported");
        }
        var columns = Columns.From(header);

        var batch = new List<Row>(BatchSize);
        var inFlight = Task.CompletedTask;
        long line = 1;
        while (records.MoveNext())
        {
            line++;
            var record = records.Current;
            if (record.Count == 1 && record[0].Length == 0)
            {
                continue;
            }
            try
            {
                batch.Add(Parse(line, record, columns));
            }
            catch (Exception e) when (e is ApiException or OperationException)
            {
                await RecordAsync(line, new RowOutcome(Outcome.Rejected, null, e.Message));
            }
            if (batch.Count == BatchSize)
            {
                inFlight = await FlushAsync(batch, inFlight);
            }
        }
        if (batch.Count > 0)
        {
            inFlight = await FlushAsync(batch, inFlight);
        }
        await inFlight;
        return new ImportResult(_created, _updated, _rejected, _conflicts);
    }

    /// <summary>The same refusals as the API's: no NUL character in any text, no balance beyond one entry's limit.</summary>
    private static Row Parse(long line, List<string> record, Columns c)
    {
        string? Get(int i) => i >= 0 && i < record.Count && record[i].Length > 0 ? Csv.Unneutralise(record[i]) : null;
        if (record.Any(field => field.Contains('\0')))
        {
            throw ApiException.Invalid("", "A field contains a NUL character.");
        }
        var fields = CustomerFields.From(new CustomerInput
        {
            ExternalId = Get(c.ExternalId),
            Email = Get(c.Email),
            Phone = Get(c.Phone),
            FirstName = Get(c.FirstName),
            LastName = Get(c.LastName),
            Birthday = Get(c.Birthday),
            Status = Get(c.Status),
        });
        fields.RequireIdentity();
        long points = 0;
        if (Get(c.Points) is { } p
            && (!long.TryParse(p, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out points) || points is < 0 or > LedgerRules.MaxPointsPerEntry))
        {
            throw ApiException.Invalid("points", $"'points' must be a whole number from 0 to {LedgerRules.MaxPointsPerEntry}.");
        }
        return new Row(line, fields, points);
    }

    /// <summary>Waits for the batch being written, then starts writing this one; returns the write in flight.</summary>
    private async Task<Task> FlushAsync(List<Row> batch, Task inFlight)
    {
        var rows = batch.ToArray();
        batch.Clear();
        await inFlight;
        return WriteAsync(rows);
    }

    private async Task WriteAsync(Row[] rows)
    {
        var outcomes = options.DryRun || options.RowByRow ? await RunPerRowAsync(rows) : await RunBulkAsync(rows);
        for (var i = 0; i < rows.Length; i++)
        {
            await RecordAsync(rows[i].Line, outcomes[i]);
        }
        var fraction = _stream is not { Length: > 0 } s ? 1 : (double)s.Position / s.Length;
        progress?.Invoke(fraction, Interlocked.Read(ref _created) + Interlocked.Read(ref _updated));
    }

    /// <summary>Every refusal in <c>CustomerOperations.CreateOrUpdateAsync</c> happens before it writes.</summary>
    private async Task<RowOutcome> UpsertRowAsync(WriteContext context, Row row)
    {
        var fields = row.Fields;
        try
        {
            var existing = await Customers.MatchAsync(context.Sql, programId, fields.ExternalId, fields.Email, fields.Phone);
            if (!options.UpdateExisting && existing is { } found
                && !(fields.ExternalId is { Length: > 0 } && found.ExternalId == fields.ExternalId))
            {
                var by = fields.Email is { Length: > 0 } && found.Email == fields.Email ? "email" : "phone";
                return new(Outcome.Conflict, found.Id, $"matches customer {found.Id} by {by}; left unchanged (--update-existing updates it)");
            }
            var (customer, isNew) = await CustomerOperations.CreateOrUpdateAsync(context, programId, fields, row.Points, null, options.CreatedBy ?? "import");
            if (isNew || customer != existing)
            {
                await AuditTrail.RecordAsync(context, options.Actor ?? Actor.Cli, programId, AuditActions.CustomerImported, customer.Id,
                    isNew ? null : existing, customer, customer.Id);
            }
            var detail = !isNew && row.Points > 0 ? "points are an opening balance: not added to an existing customer" : null;
            return new(isNew ? Outcome.Created : Outcome.Updated, customer.Id, detail);
        }
        catch (Exception e) when (e is ApiException or OperationException)
        {
            return new(Outcome.Rejected, null, e.Message);
        }
    }

    /// <summary>A dry run does every row's work and then throws, so the write path rolls it back.</summary>
    private async Task<T> RunAsync<T>(Func<WriteContext, Task<T>> operation) where T : class
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

    /// <summary>
    /// A failure the API would answer with a 500 (a database error) is reported with the row's line, and the
    /// import goes on: the operation that failed was rolled back, nothing of it was written.
    /// </summary>
    private async Task<RowOutcome> RunRowAsync(Row row)
    {
        try
        {
            return await RunAsync(context => UpsertRowAsync(context, row));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new(Outcome.Rejected, null, $"not written: {e.Message}");
        }
    }

    private async Task<RowOutcome[]> RunPerRowAsync(Row[] rows) =>
        rowPerOperation ? await Task.WhenAll(rows.Select(RunRowAsync)) : await RunBatchAsync(rows);

    /// <summary>
    /// The bulk path (<see cref="CustomerBulkCreate"/>): the rows whose identifiers are all new are created in
    /// one operation, so one transaction; then the others (updates, conflicts, duplicates within the file) go
    /// through the per-row path, in file order, and see the customers just created. When the bulk operation
    /// fails (a clash with a customer another writer created meanwhile), it left nothing, and every row of the
    /// batch goes through the per-row path.
    /// </summary>
    private async Task<RowOutcome[]> RunBulkAsync(Row[] rows)
    {
        var created = await CreateNewAsync([.. rows.Select(r => new CustomerBulkCreate.Row(r.Fields, r.Points))]);
        var outcomes = new RowOutcome[rows.Length];
        var rest = new List<int>();
        for (var i = 0; i < rows.Length; i++)
        {
            if (created[i] is { } customer)
            {
                outcomes[i] = new(Outcome.Created, customer.Id, null);
            }
            else
            {
                rest.Add(i);
            }
        }
        if (rest.Count > 0)
        {
            var restOutcomes = await RunPerRowAsync([.. rest.Select(i => rows[i])]);
            for (var k = 0; k < rest.Count; k++)
            {
                outcomes[rest[k]] = restOutcomes[k];
            }
        }
        return outcomes;
    }

    /// <summary>
    /// The bulk operation of one batch; every row null when it failed. Until a batch meets a customer that
    /// holds one of its identifiers or drawn referral codes, the operation leaves the lookups to the unique
    /// indexes (<see cref="CustomerBulkCreate"/>'s remarks): a file of new customers, an import's usual case,
    /// then costs no lookups. The first conflict runs the batch again with the lookups, as every later batch of
    /// the import (a write path that runs a conflicting operation again by itself, PostgreSQL's, runs it
    /// with them too).
    /// </summary>
    private async Task<CustomerDto?[]> CreateNewAsync(CustomerBulkCreate.Row[] rows)
    {
        while (true)
        {
            var lookedUp = true;
            try
            {
                return await path.RunAsync(async context =>
                {
                    lookedUp = _lookUpHeld;
                    try
                    {
                        return await CustomerBulkCreate.CreateAsync(context, programId, rows, options.Actor ?? Actor.Cli,
                            options.CreatedBy ?? "import", lookedUp, _referralCodes);
                    }
                    catch (Exception e) when (!lookedUp && Database.IsConflict(e))
                    {
                        _lookUpHeld = true;
                        throw;
                    }
                });
            }
            catch (Exception e) when (!lookedUp && Database.IsConflict(e))
            {
                // Run again, with the lookups (set here too, for a conflict raised outside the operation, such as
                // at commit): so a batch runs at most twice before it goes through the per-row path.
                _lookUpHeld = true;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new CustomerDto?[rows.Length];
            }
        }
    }

    private async Task<RowOutcome[]> RunBatchAsync(Row[] rows)
    {
        try
        {
            return await RunAsync(async context =>
            {
                var results = new RowOutcome[rows.Length];
                for (var i = 0; i < rows.Length; i++)
                {
                    results[i] = await UpsertRowAsync(context, rows[i]);
                }
                return results;
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var failed = $"not written (a row of lines {rows[0].Line}-{rows[^1].Line} failed): {e.Message}";
            return [.. rows.Select(_ => new RowOutcome(Outcome.Rejected, null, failed))];
        }
    }

    private async Task RecordAsync(long line, RowOutcome outcome)
    {
        _ = outcome.Kind switch
        {
            Outcome.Created => Interlocked.Increment(ref _created),
            Outcome.Updated => Interlocked.Increment(ref _updated),
            Outcome.Conflict => Interlocked.Increment(ref _conflicts),
            _ => Interlocked.Increment(ref _rejected),
        };
        if (outcome.Kind is Outcome.Rejected or Outcome.Conflict)
        {
            await _errors.WriteLineAsync($"line {line}: {(outcome.Kind == Outcome.Conflict ? "conflict: " : "")}{outcome.Detail}");
        }
        if (_report is not null)
        {
            await _report.WriteLineAsync(string.Join(',', line.ToString(CultureInfo.InvariantCulture),
                outcome.Kind.ToString().ToLowerInvariant(), outcome.CustomerId, Csv.Escape(outcome.Detail)));
        }
    }
}
