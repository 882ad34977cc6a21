using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Patron.Storage;

namespace Patron.Bench.Seed;

/// <summary>
/// PostgreSQL: binary COPY into tables whose secondary indexes are dropped for the load and rebuilt
/// after it, then VACUUM ANALYZE (the state autovacuum reaches on a live database).
/// </summary>
public sealed class PostgresTarget(string connectionString) : ISeedTarget
{
    private Database? _database;
    private NpgsqlConnection? _connection;
    private readonly List<(string Name, string Sql)> _indexes = [];

    public async Task<(string ProgramId, string KeyId)> PrepareAsync(string adminKey)
    {
        _database = new Database(DatabaseProvider.Postgres, connectionString);
        var ids = await Common.BootstrapAsync(_database, adminKey);
        _connection = (NpgsqlConnection)await _database.OpenAsync();
        return ids;
    }

    private async Task ExecAsync(string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, _connection);
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task LoadAsync(Generator generator, Action<string> log)
    {
        // Only this session's commits skip the WAL flush wait; the server's stay durable.
        await ExecAsync("SET synchronous_commit = off; SET maintenance_work_mem = '1GB'");
        await using (var cmd = new NpgsqlCommand(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename IN ('customers', 'points_transactions')
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            ORDER BY i.indexname
            """, _connection))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                _indexes.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        foreach (var (name, _) in _indexes)
        {
            await ExecAsync($"DROP INDEX {name}");
        }

        // Schema 0002 added expiry lots (points_transactions.remaining); older schemas have none.
        bool lots;
        await using (var cmd = new NpgsqlCommand(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() " +
            "AND table_name = 'points_transactions' AND column_name = 'remaining'", _connection))
        {
            lots = Convert.ToInt64(await cmd.ExecuteScalarAsync()) > 0;
        }

        var watch = Stopwatch.StartNew();
        long written = 0;
        using (var copy = _connection!.BeginBinaryImport(
            "COPY points_transactions (program_id, id, customer_id, points, type, description, reference, balance_after, " +
            "created_by, created_at" + (lots ? ", remaining" : "") + ") FROM STDIN (FORMAT BINARY)"))
        {
            await foreach (var batch in generator.EntryBatches().ReadAllAsync())
            {
                foreach (ref readonly var e in batch.AsSpan())
                {
                    copy.StartRow();
                    copy.Write(generator.ProgramId, NpgsqlDbType.Text);
                    copy.Write(e.Id, NpgsqlDbType.Text);
                    copy.Write(e.CustomerId, NpgsqlDbType.Text);
                    copy.Write(e.Points, NpgsqlDbType.Bigint);
                    copy.Write(e.Type, NpgsqlDbType.Text);
                    copy.Write(e.Description, NpgsqlDbType.Text);
                    copy.WriteNull();
                    copy.Write(e.BalanceAfter, NpgsqlDbType.Bigint);
                    copy.Write(generator.KeyId, NpgsqlDbType.Text);
                    copy.Write(e.CreatedAt, NpgsqlDbType.Bigint);
                    if (lots)
                    {
                        copy.Write(e.Remaining, NpgsqlDbType.Bigint);
                    }
                    if (++written % 1_000_000 == 0)
                    {
                        log($"  {written:N0} entries ({written / watch.Elapsed.TotalSeconds:N0}/s)");
                    }
                }
            }
            copy.Complete();
        }

        using (var copy = _connection.BeginBinaryImport(
            "COPY customers (id, program_id, external_id, email, phone, first_name, last_name, birthday, status, " +
            "points_balance, lifetime_points, points_spent, referral_code, qr_code, search_text, created_at, updated_at) " +
            "FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var batch in generator.CustomerBatches())
            {
                foreach (ref readonly var c in batch.AsSpan())
                {
                    copy.StartRow();
                    copy.Write(c.Id, NpgsqlDbType.Text);
                    copy.Write(generator.ProgramId, NpgsqlDbType.Text);
                    copy.Write(c.ExternalId, NpgsqlDbType.Text);
                    copy.Write(c.Email, NpgsqlDbType.Text);
                    copy.Write(c.Phone, NpgsqlDbType.Text);
                    copy.Write(c.FirstName, NpgsqlDbType.Text);
                    copy.Write(c.LastName, NpgsqlDbType.Text);
                    if (c.Birthday is null)
                    {
                        copy.WriteNull();
                    }
                    else
                    {
                        copy.Write(c.Birthday, NpgsqlDbType.Text);
                    }
                    copy.Write("active", NpgsqlDbType.Text);
                    copy.Write(c.PointsBalance, NpgsqlDbType.Bigint);
                    copy.Write(c.LifetimePoints, NpgsqlDbType.Bigint);
                    copy.Write(c.PointsSpent, NpgsqlDbType.Bigint);
                    copy.Write(c.ReferralCode, NpgsqlDbType.Text);
                    copy.Write(c.QrCode, NpgsqlDbType.Text);
                    copy.Write(c.SearchText, NpgsqlDbType.Text);
                    copy.Write(c.CreatedAt, NpgsqlDbType.Bigint);
                    copy.Write(c.UpdatedAt, NpgsqlDbType.Bigint);
                }
            }
            copy.Complete();
        }
        log($"  {generator.Plan.Customers:N0} customers written");
    }

    public async Task FinishAsync(Action<string> log)
    {
        foreach (var (name, sql) in _indexes)
        {
            var watch = Stopwatch.StartNew();
            await ExecAsync(sql);
            log($"  index {name}: {watch.Elapsed.TotalSeconds:F1} s");
        }
        var vacuum = Stopwatch.StartNew();
        await ExecAsync("VACUUM (ANALYZE) customers");
        await ExecAsync("VACUUM (ANALYZE) points_transactions");
        log($"  vacuum analyze: {vacuum.Elapsed.TotalSeconds:F1} s");
        await _connection!.DisposeAsync();
        _database!.Dispose();
    }
}
