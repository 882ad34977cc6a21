using System.Text;
using Microsoft.Extensions.Logging;

namespace Patron.Storage;

/// <summary>
/// Customer search by part of a name, email or phone: the LIKE conditions every search has always
/// applied, read through a trigram index. On SQLite that is the FTS5 table <c>customers_search</c>
/// (migration 0023): a term of three or more characters first finds its candidate customers there,
/// and the exact LIKE then keeps the ones it matches, so results are the same as with the LIKE alone.
/// A shorter term has no trigram to look up and reads the program's customers. On PostgreSQL the
/// same LIKE and ILIKE use pg_trgm's GIN indexes by themselves, when the extension is installed.
/// </summary>
public static class CustomerSearch
{
    /// <summary>The fewest characters a term needs to be looked up in the trigram index.</summary>
    public const int IndexedLength = 3;

    /// <summary>
    /// Adds <paramref name="condition"/> (the exact search, with its <paramref name="args"/>) to
    /// <paramref name="filter"/> when <paramref name="term"/> is given. On SQLite, with a term long
    /// enough, only the customers the index finds for it, and those that <paramref name="alsoWhere"/>
    /// selects (an exact identifier the condition also matches, such as <c>external_id = @raw</c>), are read.
    /// </summary>
    public static ListFilter Search(
        this ListFilter filter, bool sqlite, string? term, string condition, (string, object?)[] args, string? alsoWhere = null)
    {
        if (string.IsNullOrEmpty(term))
        {
            return filter;
        }
        var match = sqlite ? IndexQuery(term) : null;
        if (match is null)
        {
            return filter.Require(condition, args);
        }
        var also = alsoWhere is null ? "" : $" UNION ALL SELECT rowid FROM customers WHERE program_id = @p AND {alsoWhere}";
        return filter.Require(
            $"rowid IN (SELECT rowid FROM customers_search WHERE customers_search MATCH @search_match{also}) AND {condition}",
            [.. args, ("search_match", match)]);
    }

    /// <summary>
    /// The FTS5 query that finds every customer whose name, email or phone contains <paramref name="term"/>
    /// (the trigram tokenizer makes a quoted string match as a substring, in any case), or null when the
    /// term is shorter than <see cref="IndexedLength"/> characters.
    /// </summary>
    public static string? IndexQuery(string term)
    {
        var characters = 0;
        foreach (var _ in term.EnumerateRunes())
        {
            characters++;
        }
        if (characters < IndexedLength)
        {
            return null;
        }
        return new StringBuilder(term.Length + 2).Append('"').Append(term.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"').ToString();
    }
    /// <summary>The PostgreSQL migration that installs pg_trgm and builds the trigram indexes; idempotent.</summary>
    public const string PostgresIndexScript = "0023_customer_search";

    /// <summary>Whether both of PostgreSQL's trigram indexes of customer search exist.</summary>
    public static async Task<bool> PostgresIndexedAsync(Sql sql) =>
        Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() " +
            "AND indexname IN ('ix_customers_search_text_trgm', 'ix_customers_phone_trgm')")) == 2;

    /// <summary>
    /// Runs <see cref="PostgresIndexScript"/> again when its indexes are missing (pg_trgm could not be
    /// installed when it was applied, and may be now). Called by the migrator, under its lock.
    /// </summary>
    public static async Task EnsurePostgresIndexesAsync(Sql sql, IEnumerable<(int Version, string Name, string Sql)> scripts)
    {
        if (await PostgresIndexedAsync(sql))
        {
            return;
        }
        foreach (var script in scripts.Where(s => s.Name == PostgresIndexScript))
        {
            await sql.ExecuteAsync(script.Sql);
        }
    }

    /// <summary>
    /// Logs, once at start, that customer search reads every customer because PostgreSQL's pg_trgm
    /// extension is not installed, and how to install it (docs/SCALING.md).
    /// </summary>
    public static async Task LogWhenUnindexedAsync(Database db, ILogger logger)
    {
        if (db.IsSqlite || await db.ReadAsync(PostgresIndexedAsync))
        {
            return;
        }
        logger.LogWarning(
            "Customer search reads every customer: the PostgreSQL extension pg_trgm is not installed and Patron's " +
            "database role may not install it. Run 'CREATE EXTENSION pg_trgm;' in Patron's database as its owner " +
            "or a superuser, then restart Patron: it builds the search indexes on start (docs/SCALING.md).");
    }

    /// <summary>FTS5's own default for <c>automerge</c>, which Patron otherwise leaves as it is.</summary>
    private const int SqliteAutomerge = 4;

    /// <summary>
    /// Runs <paramref name="job"/>, a bulk write of customers, with FTS5's automatic merging of the search index
    /// paused on SQLite, then sets it back to FTS5's default. Each statement of inserts adds a segment to the
    /// index, and with automerge on, FTS5 merges segments again and again while the index grows: on the
    /// 1M-customer import the customers' inserts took 21 s with it and 17 s without (docs/PERFORMANCE.md).
    /// The segments left unmerged (FTS5 still merges sixteen of a level at once) made searches at 1M
    /// customers no slower. An import that stops half-way leaves merging paused until the next import ends;
    /// searches are the same either way.
    /// </summary>
    public static async Task<T> WithIndexMergingPausedAsync<T>(IWritePath path, Func<Task<T>> job)
    {
        await SetAutomergeAsync(path, 0);
        try
        {
            return await job();
        }
        finally
        {
            await SetAutomergeAsync(path, SqliteAutomerge);
        }
    }

    private static Task<int> SetAutomergeAsync(IWritePath path, int value) =>
        path.RunAsync(context => context.Database.IsSqlite
            ? context.Sql.ExecuteAsync("INSERT INTO customers_search (customers_search, rank) VALUES ('automerge', @v)", ("v", value))
            : Task.FromResult(0));
}
