using System.Data.Common;
using System.Text.Json;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>Voucher codes: the pool, generation, lookups and use (docs/API.md, Rewards and Redemptions).</summary>
public static class Vouchers
{
    public const int MaxCodeLength = 100;
    public const int MaxCodesPerImport = 100_000;
    private const int SuffixLength = 12;
    private const int MaxGenerateAttempts = 8;

    /// <summary>
    /// Claims one available code of the pool for the redemption <paramref name="redemptionId"/>. On PostgreSQL,
    /// <c>SKIP LOCKED</c> lets concurrent claims take different rows instead of queueing on one; SQLite's single
    /// writer serialises them.
    /// </summary>
    public static async Task<string> ClaimFromPoolAsync(WriteContext context, string programId, string rewardId, string redemptionId)
    {
        var code = await context.Sql.ScalarAsync(
            $"""
            UPDATE voucher_codes SET status = 'issued', issued_at = @now, redemption_id = @red
            WHERE id = (SELECT id FROM voucher_codes WHERE reward_id = @r AND program_id = @p AND status = 'available'
                        ORDER BY id LIMIT 1{(context.Database.IsSqlite ? "" : " FOR UPDATE SKIP LOCKED")})
            RETURNING code
            """,
            ("now", context.NowMs), ("red", redemptionId), ("r", rewardId), ("p", programId));
        return code as string ?? throw OperationException.Conflict("voucher_pool_empty", "This reward's pool of voucher codes is empty.", "reward_id");
    }

    /// <summary>
    /// A new code for the redemption <paramref name="redemptionId"/>: the prefix and an unguessable suffix without
    /// look-alike characters, unique in the program.
    /// </summary>
    public static async Task<string> GenerateAsync(WriteContext context, string programId, string rewardId, string? prefix, string redemptionId)
    {
        for (var attempt = 0; attempt < MaxGenerateAttempts; attempt++)
        {
            var code = (prefix ?? "") + Ids.Token(SuffixLength);
            if (await InsertAsync(context, programId, rewardId, code, redemptionId))
            {
                return code;
            }
        }
        // 31^12 suffixes: eight collisions in a row mean something other than chance is wrong.
        throw new InvalidOperationException("Could not generate a unique voucher code.");
    }

    /// <summary>
    /// Adds a code to the program unless it is there already: issued to <paramref name="redemptionId"/>, or, without
    /// one, available in the reward's pool.
    /// </summary>
    private static async Task<bool> InsertAsync(WriteContext context, string programId, string rewardId, string code, string? redemptionId) =>
        await context.Sql.ExecuteAsync(
            """
            INSERT INTO voucher_codes (id, program_id, reward_id, code, status, created_at, issued_at, redemption_id)
            VALUES (@id, @p, @r, @code, @st, @now, @issued, @red)
            ON CONFLICT (program_id, code) DO NOTHING
            """,
            ("id", Ids.New("vch_")), ("p", programId), ("r", rewardId), ("code", code), ("st", redemptionId is null ? "available" : "issued"),
            ("now", context.NowMs), ("issued", Sql.Int64(redemptionId is null ? null : context.NowMs)), ("red", Sql.Text(redemptionId))) == 1;

    public sealed record ImportResult(string RewardId, int Received, int Imported, int DuplicateCount, List<string> Duplicates)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "voucher_code_import";
    }

    /// <summary>Adds codes to a reward's pool; a code already in the program (or repeated in the input) is a duplicate.</summary>
    public static async Task<ImportResult> ImportAsync(WriteContext context, string programId, string rewardId, IReadOnlyList<string> codes)
    {
        var reward = await Rewards.GetAsync(context.Sql, programId, rewardId);
        if (reward.CodeSource != RewardTypes.Pool)
        {
            throw OperationException.Invalid("code_source", "Codes can only be imported into a reward with code_source 'pool'.");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = new List<string>();
        var imported = 0;
        foreach (var code in codes)
        {
            if (seen.Add(code) && await InsertAsync(context, programId, rewardId, code, redemptionId: null))
            {
                imported++;
            }
            else
            {
                duplicates.Add(code);
            }
        }
        // The answer lists at most 1,000 duplicates; the count is always complete.
        return new ImportResult(rewardId, codes.Count, imported, duplicates.Count, duplicates.Take(1000).ToList());
    }

    /// <summary>Checks and trims codes from an import: 1 to 100 visible characters each, at most 100,000.</summary>
    public static List<string> Clean(IEnumerable<string?> raw, string param)
    {
        var codes = new List<string>();
        foreach (var item in raw)
        {
            var code = item?.Trim() ?? "";
            if (code.Length == 0)
            {
                continue;
            }
            if (code.Length > MaxCodeLength || code.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            {
                throw OperationException.Invalid(param, $"Voucher codes must be 1 to {MaxCodeLength} characters without spaces: '{Shorten(code)}'.");
            }
            codes.Add(code);
            if (codes.Count > MaxCodesPerImport)
            {
                throw OperationException.Invalid(param, $"At most {MaxCodesPerImport} codes can be imported at once.");
            }
        }
        if (codes.Count == 0)
        {
            throw OperationException.Invalid(param, "No voucher codes were given.");
        }
        return codes;
    }

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + "..." : s;

    /// <summary>Codes from a CSV or plain-text body: the first column of each line; a header line 'code' is skipped.</summary>
    public static IEnumerable<string> FromCsv(string text)
    {
        var first = true;
        foreach (var line in text.Split('\n'))
        {
            var cell = line.Split(',')[0].Trim().Trim('"').Trim();
            if (first && cell.Equals("code", StringComparison.OrdinalIgnoreCase))
            {
                first = false;
                continue;
            }
            first = false;
            yield return cell;
        }
    }

    public sealed record PoolStats(string RewardId, string CodeSource, long Total, long Available, long Issued, long Used)
    {
        [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
        public string Object => "voucher_code_stats";
    }

    public static async Task<PoolStats> StatsAsync(Sql sql, string programId, string rewardId)
    {
        var reward = await Rewards.GetAsync(sql, programId, rewardId);
        var counts = await sql.ListAsync(
            "SELECT status, COUNT(*) FROM voucher_codes WHERE program_id = @p AND reward_id = @r GROUP BY status",
            r => (Status: r.GetString(0), Count: r.GetInt64(1)), ("p", programId), ("r", rewardId));
        var used = Convert.ToInt64(await sql.ScalarAsync(
            "SELECT COUNT(*) FROM redemptions WHERE program_id = @p AND reward_id = @r AND status = 'used'",
            ("p", programId), ("r", rewardId)));
        long Of(string status) => counts.Where(c => c.Status == status).Sum(c => c.Count);
        return new PoolStats(rewardId, reward.CodeSource, counts.Sum(c => c.Count), Of("available"), Of("issued"), used);
    }

    private const string VoucherColumns =
        "discount_code, status, id, reward_id, customer_id, apply_mode, value_e4, expires_at, used_at, used_order_id, created_at";

    private static Func<DbDataReader, VoucherDto> VoucherMapper(long nowMs) => r => new VoucherDto(
        Code: r.GetString(0),
        Status: Redemptions.StatusAt(r.GetString(1), r.Int64OrNull(7), nowMs),
        RedemptionId: r.GetString(2),
        RewardId: r.GetString(3),
        CustomerId: r.GetString(4),
        ApplyMode: r.GetString(5),
        Value: r.Int64OrNull(6) is { } v ? Money.FromE4(v) : null,
        ExpiresAt: r.Int64OrNull(7) is { } e ? Time.FromMs(e) : null,
        UsedAt: r.Int64OrNull(8) is { } u ? Time.FromMs(u) : null,
        OrderId: r.StringOrNull(9),
        IssuedAt: Time.FromMs(r.GetInt64(10)));

    /// <summary>
    /// The redemption holding a code, found through the code's row (migration 0027): its unique index is the
    /// only index on codes. A pool code not handed out yet names no redemption, nor does a code unknown to Patron.
    /// </summary>
    /// <remarks>
    /// An issued code's row that names no redemption was written by an instance of the release before 0027 during a
    /// rolling upgrade (docs/OPERATIONS.md): its redemption is found by its code instead, reading the program's
    /// redemptions, which no longer have an index on it. Only such codes pay for that read.
    /// </remarks>
    private const string RedemptionOfCode =
        """
        id = (SELECT COALESCE(v.redemption_id, (SELECT r.id FROM redemptions r WHERE r.program_id = v.program_id AND r.discount_code = v.code))
              FROM voucher_codes v WHERE v.program_id = @p AND v.code = @code AND v.status = 'issued')
        AND program_id = @p
        """;

    /// <summary>An issued code; a pool code not handed out yet is not a voucher.</summary>
    public static async Task<VoucherDto> GetAsync(Sql sql, string programId, string code, long nowMs) =>
        await sql.SingleAsync($"SELECT {VoucherColumns} FROM redemptions WHERE {RedemptionOfCode}",
            VoucherMapper(nowMs), ("p", programId), ("code", code))
        ?? throw OperationException.NotFound("voucher", code);

    /// <summary>
    /// Marks an issued, unexpired code used. The conditional update is the whole decision, so of any
    /// number of concurrent uses exactly one succeeds. Returns null when the code was not usable.
    /// </summary>
    private static async Task<VoucherDto?> TryUseAsync(WriteContext context, string programId, string code, string? orderId)
    {
        // The voucher as the update leaves it, from the update itself: the code is not looked up a second time.
        var voucherOf = VoucherMapper(context.NowMs);
        var changed = await context.Sql.ListAsync(
            $"""
            UPDATE redemptions SET status = 'used', used_at = @now, used_order_id = @o, updated_at = @now
            WHERE {RedemptionOfCode} AND status = 'issued' AND (expires_at IS NULL OR expires_at > @now)
            RETURNING {VoucherColumns}, source
            """,
            r => (Voucher: voucherOf(r), Source: r.GetString(11)),
            ("now", context.NowMs), ("o", Sql.Text(orderId)), ("p", programId), ("code", code));
        if (changed.Count == 0)
        {
            return null;
        }
        var voucher = changed[0].Voucher;
        await Events.AddAsync(context, programId, Events.VoucherUsed, voucher);
        if (changed[0].Source == RedemptionSources.Stamps)
        {
            // A stamp reward cost no points when issued: using it is its redeeming (docs/WEBHOOKS.md, Events).
            var redemption = await Redemptions.FindAsync(context.Sql, programId, voucher.RedemptionId, context.NowMs);
            await Events.AddAsync(context, programId, Events.RewardRedeemed, redemption);
        }
        return voucher;
    }

    /// <summary>POST /vouchers/{code}/use: used once; a second use, an expired or a cancelled code is refused.</summary>
    public static async Task<VoucherDto> UseAsync(WriteContext context, string programId, string code, string? orderId)
    {
        if (await TryUseAsync(context, programId, code, orderId) is { } used)
        {
            return used;
        }
        var current = await GetAsync(context.Sql, programId, code, context.NowMs);
        throw current.Status switch
        {
            RedemptionStatus.Used => OperationException.Conflict("voucher_used", "This voucher code was already used."),
            RedemptionStatus.Expired => OperationException.Conflict("voucher_expired", "This voucher code has expired."),
            _ => OperationException.Conflict("voucher_cancelled", "This voucher's redemption was cancelled."),
        };
    }

    /// <summary>
    /// An order's <c>discount_codes</c> (docs/API.md, Orders): each issued voucher among them is
    /// marked used by this order. Other codes (the merchant's own, used or expired ones) are left alone.
    /// </summary>
    public static async Task UseCodesAsync(WriteContext context, string programId, IEnumerable<string> codes, string orderId)
    {
        foreach (var code in codes.Distinct(StringComparer.Ordinal))
        {
            await TryUseAsync(context, programId, code, orderId);
        }
    }

    /// <summary>The order's stored <c>discount_codes</c> JSON array.</summary>
    public static IEnumerable<string> ParseCodes(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<string>>(json) ?? [];
}
