using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using Patron.Operations.Programs;
using Patron.Storage;
using SQLitePCL;

namespace Patron.Bench.Seed;

/// <summary>A database the seeder writes into.</summary>
public interface ISeedTarget
{
    /// <summary>Creates the schema, program <c>default</c> and the admin key through Patron itself.</summary>
    Task<(string ProgramId, string KeyId)> PrepareAsync(string adminKey);

    Task LoadAsync(Generator generator, Action<string> log);

    /// <summary>Rebuilds the indexes dropped for the load and leaves the database as the server expects it.</summary>
    Task FinishAsync(Action<string> log);
}

internal static class Common
{
    public static readonly string[] Tables = ["customers", "points_transactions"];

    public static async Task<(string, string)> BootstrapAsync(Database database, string adminKey)
    {
        await Bootstrap.RunAsync(database, TimeProvider.System, adminKey);
        return await database.ReadAsync(async sql =>
        {
            var row = await sql.SingleAsync("SELECT program_id, id FROM api_keys WHERE secret_hash = @h",
                r => new[] { r.GetString(0), r.GetString(1) }, ("h", ApiKeyRows.Hash(adminKey)));
            if (row is null)
            {
                throw new InvalidOperationException("The database already has other API keys; seed an empty database.");
            }
            var customers = Convert.ToInt64(await sql.ScalarAsync("SELECT COUNT(*) FROM customers"));
            if (customers != 0)
            {
                throw new InvalidOperationException($"The database already holds {customers} customers; seed an empty database.");
            }
            return (row[0], row[1]);
        });
    }
}

/// <summary>
/// SQLite: one connection, journal off and synchronous=OFF only while seeding (the file is thrown
/// away if the seeder dies), secondary indexes dropped and rebuilt once at the end, and rows bound
/// straight through SQLitePCL into multi-row INSERT statements inside large transactions.
/// </summary>
public sealed class SqliteTarget(string dataDir) : ISeedTarget
{
    private const int RowsPerStatement = 64;
    private const long RowsPerTransaction = 1_000_000;
    private SqliteConnection? _connection;
    private readonly List<(string Name, string Sql)> _indexes = [];

    public async Task<(string ProgramId, string KeyId)> PrepareAsync(string adminKey)
    {
        Directory.CreateDirectory(dataDir);
        var file = Path.Combine(Path.GetFullPath(dataDir), "patron.db");
        var cs = new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString();
        (string, string) ids;
        using (var database = new Database(DatabaseProvider.Sqlite, cs))
        {
            ids = await Common.BootstrapAsync(database, adminKey);
        }
        _connection = new SqliteConnection(cs);
        _connection.Open();
        return ids;
    }

    private long Scalar(string sql)
    {
        using var cmd = _connection!.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    private void Exec(string sql)
    {
        using var cmd = _connection!.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public async Task LoadAsync(Generator generator, Action<string> log)
    {
        Exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE; " +
             "PRAGMA cache_size=-1048576; PRAGMA temp_store=MEMORY; PRAGMA threads=4;");
        using (var cmd = _connection!.CreateCommand())
        {
            cmd.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL " +
                              "AND tbl_name IN ('customers', 'points_transactions') ORDER BY name";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                _indexes.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        foreach (var (name, _) in _indexes)
        {
            Exec($"DROP INDEX {name}");
        }

        var db = _connection.Handle!;
        var p = Quote(generator.ProgramId);
        var k = Quote(generator.KeyId);
        var utf8 = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        byte[] Utf8(string s)
        {
            if (!utf8.TryGetValue(s, out var b))
            {
                utf8[s] = b = Encoding.UTF8.GetBytes(s);
            }
            return b;
        }
        // Schema 0002 added expiry lots (points_transactions.remaining); older schemas have none.
        var lots = Scalar("SELECT COUNT(*) FROM pragma_table_info('points_transactions') WHERE name = 'remaining'") > 0;
        // program_id, reference and created_by are the same for every row: literals, not parameters.
        using var entries = new MultiRowInsert<EntryRow>(db,
            "INSERT INTO points_transactions (program_id, id, customer_id, points, type, description, reference, " +
            "balance_after, created_by, created_at" + (lots ? ", remaining" : "") + ") VALUES ",
            $"({p}, ?, ?, ?, ?, ?, NULL, ?, {k}, ?" + (lots ? ", ?" : "") + ")", lots ? 8 : 7, RowsPerStatement,
            (stmt, i, in e) =>
            {
                Bind.Text(stmt, i, e.Id);
                Bind.Text(stmt, i + 1, e.CustomerId);
                Bind.Int(stmt, i + 2, e.Points);
                Bind.Utf8(stmt, i + 3, Utf8(e.Type));
                Bind.Utf8(stmt, i + 4, Utf8(e.Description));
                Bind.Int(stmt, i + 5, e.BalanceAfter);
                Bind.Int(stmt, i + 6, e.CreatedAt);
                if (lots)
                {
                    Bind.Int(stmt, i + 7, e.Remaining);
                }
            });

        var watch = Stopwatch.StartNew();
        Exec("BEGIN");
        long written = 0;
        await foreach (var batch in generator.EntryBatches().ReadAllAsync())
        {
            foreach (ref readonly var e in batch.AsSpan())
            {
                entries.Add(e);
                if (++written % RowsPerTransaction == 0)
                {
                    entries.Flush();
                    Exec("COMMIT; BEGIN");
                    log($"  {written:N0} entries ({written / watch.Elapsed.TotalSeconds:N0}/s)");
                }
            }
        }
        entries.Flush();

        using var customers = new MultiRowInsert<CustomerRow>(db,
            "INSERT INTO customers (id, program_id, external_id, email, phone, first_name, last_name, birthday, status, " +
            "points_balance, pending_points, lifetime_points, points_spent, points_expired, current_stamps, total_spent_e4, " +
            "vip_tier_id, referral_code, referred_by_id, qr_code, search_text, created_at, updated_at, deleted_at) VALUES ",
            $"(?, {p}, ?, ?, ?, ?, ?, ?, 'active', ?, 0, ?, ?, 0, 0, 0, NULL, ?, NULL, ?, ?, ?, ?, NULL)", 15, RowsPerStatement,
            (stmt, i, in c) =>
            {
                Bind.Text(stmt, i, c.Id);
                Bind.Text(stmt, i + 1, c.ExternalId);
                Bind.Text(stmt, i + 2, c.Email);
                Bind.Text(stmt, i + 3, c.Phone);
                Bind.Utf8(stmt, i + 4, Utf8(c.FirstName));
                Bind.Utf8(stmt, i + 5, Utf8(c.LastName));
                Bind.Text(stmt, i + 6, c.Birthday);
                Bind.Int(stmt, i + 7, c.PointsBalance);
                Bind.Int(stmt, i + 8, c.LifetimePoints);
                Bind.Int(stmt, i + 9, c.PointsSpent);
                Bind.Text(stmt, i + 10, c.ReferralCode);
                Bind.Text(stmt, i + 11, c.QrCode);
                Bind.Text(stmt, i + 12, c.SearchText);
                Bind.Int(stmt, i + 13, c.CreatedAt);
                Bind.Int(stmt, i + 14, c.UpdatedAt);
            });
        foreach (var batch in generator.CustomerBatches())
        {
            foreach (ref readonly var c in batch.AsSpan())
            {
                customers.Add(c);
            }
        }
        customers.Flush();
        Exec("COMMIT");
        log($"  {generator.Plan.Customers:N0} customers written");
    }

    public Task FinishAsync(Action<string> log)
    {
        foreach (var (name, sql) in _indexes)
        {
            var watch = Stopwatch.StartNew();
            Exec(sql);
            log($"  index {name}: {watch.Elapsed.TotalSeconds:F1} s");
        }
        // Back to what Patron uses (Migrator sets WAL); synchronous is per connection, the server sets FULL.
        // No ANALYZE: a database that Patron filled itself has no sqlite_stat1 either.
        Exec("PRAGMA locking_mode=NORMAL; PRAGMA journal_mode=WAL;");
        _connection!.Dispose();
        return Task.CompletedTask;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";

    private delegate void BindRow<T>(sqlite3_stmt stmt, int first, in T row);

    private static class Bind
    {
        public static void Text(sqlite3_stmt stmt, int index, string? value) =>
            Check(value is null ? raw.sqlite3_bind_null(stmt, index) : raw.sqlite3_bind_text(stmt, index, value));

        public static void Utf8(sqlite3_stmt stmt, int index, byte[] value) => Check(raw.sqlite3_bind_text(stmt, index, value));

        public static void Int(sqlite3_stmt stmt, int index, long value) => Check(raw.sqlite3_bind_int64(stmt, index, value));

        public static void Check(int rc)
        {
            if (rc != raw.SQLITE_OK)
            {
                throw new InvalidOperationException($"SQLite bind error {rc}");
            }
        }
    }

    /// <summary>
    /// INSERT ... VALUES (...), (...), ... with positional parameters bound through SQLitePCL: rows are
    /// buffered and written <c>rows</c> at a time; the rest goes through a one-row statement on Flush.
    /// </summary>
    private sealed class MultiRowInsert<T> : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _full, _single;
        private readonly int _columns;
        private readonly BindRow<T> _bind;
        private readonly T[] _buffer;
        private int _count;

        public MultiRowInsert(sqlite3 db, string head, string tuple, int columns, int rows, BindRow<T> bind)
        {
            _db = db;
            _columns = columns;
            _bind = bind;
            _buffer = new T[rows];
            _full = Prepare(head + string.Join(", ", Enumerable.Repeat(tuple, rows)));
            _single = Prepare(head + tuple);
        }

        public void Add(in T row)
        {
            _buffer[_count++] = row;
            if (_count == _buffer.Length)
            {
                for (var r = 0; r < _count; r++)
                {
                    _bind(_full, r * _columns + 1, _buffer[r]);
                }
                Step(_full);
                _count = 0;
            }
        }

        public void Flush()
        {
            for (var r = 0; r < _count; r++)
            {
                _bind(_single, 1, _buffer[r]);
                Step(_single);
            }
            _count = 0;
        }

        private sqlite3_stmt Prepare(string sql)
        {
            var rc = raw.sqlite3_prepare_v2(_db, sql, out var stmt);
            if (rc != raw.SQLITE_OK)
            {
                throw new InvalidOperationException($"SQLite prepare error {rc}: {raw.sqlite3_errmsg(_db).utf8_to_string()}");
            }
            return stmt;
        }

        private void Step(sqlite3_stmt stmt)
        {
            var rc = raw.sqlite3_step(stmt);
            if (rc != raw.SQLITE_DONE)
            {
                throw new InvalidOperationException($"SQLite step error {rc}: {raw.sqlite3_errmsg(_db).utf8_to_string()}");
            }
            raw.sqlite3_reset(stmt);
        }

        public void Dispose()
        {
            raw.sqlite3_finalize(_full);
            raw.sqlite3_finalize(_single);
        }
    }
}
