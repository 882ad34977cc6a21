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
    internal const int BatchSize = 2_000;
    internal static readonly string[] KnownColumns =
        ["external_id", "email", "phone", "first_name", "last_name", "birthday", "status", "points", "initial_points", "points_balance"];

    /// <summary>
    /// The columns <see cref="ExportCustomersAsync"/> writes that an import reads back as they are. The others
    /// (id, pending and lifetime points, stamps, referral code, dates) are Patron's own and are made anew.
    /// </summary>
    internal static readonly string[] ExportOnlyColumns =
        ["id", "pending_points", "lifetime_points", "points_spent", "points_expired", "current_stamps", "total_spent", "referral_code", "created_at"];

    /// <param name="DryRun">Check every row and report what would happen, writing nothing.</param>
    /// <param name="UpdateExisting">Update a customer found by email or phone alone; without it such a row is a conflict.</param>
    /// <param name="Report">Where to write one CSV line per row: line, outcome, customer id, detail.</param>
    /// <param name="Actor">Who the audit trail names (the command line when none); the dashboard names its staff user.</param>
    /// <param name="CreatedBy">The <c>created_by</c> of opening balances ("import" when none).</param>
    /// <param name="RowByRow">Write every row through the per-row path, without the bulk path for new customers.</param>
    public sealed record ImportOptions(
        bool DryRun = false, bool UpdateExisting = false, TextWriter? Report = null, Actor? Actor = null, string? CreatedBy = null,
        bool RowByRow = false);

    public sealed record ImportResult(long Created, long Updated, long Rejected, long Conflicts = 0);

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

    /// <summary>
    /// Imports customers from a CSV file (see <see cref="CustomerImport"/>): each row creates a customer or
    /// updates the one its external id names; a row matching another customer by email or phone alone is a
    /// conflict unless <see cref="ImportOptions.UpdateExisting"/>. Given SQLite's group-commit writer, each row
    /// is queued as its own operation for it to commit together; given any other write path, a batch is one operation.
    /// </summary>
    public static Task<ImportResult> ImportCustomersAsync(
        IWritePath path, string programId, string file, TextWriter errors, Action<double, long>? progress = null,
        ImportOptions? options = null)
    {
        options ??= new ImportOptions();
        var import = new CustomerImport(path, programId, errors, progress, rowPerOperation: path is SqliteWritePath, options);
        return options.DryRun ? import.RunAsync(file) : CustomerSearch.WithIndexMergingPausedAsync(path, () => import.RunAsync(file));
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
