namespace Patron.Storage;

/// <summary>A registration the push queue claimed: the device, its pass, the push token, the customer's version to push, and the attempts before.</summary>
public sealed record ApplePushTarget(string Device, string SerialNumber, string PushToken, long Version, int Attempts);

/// <summary>
/// The Apple Wallet push queue (docs/WALLET.md, migration 0020): a device's registration for a pass is
/// due while the pass's customer changed (<c>customers.updated_at</c>, written by the balance change's
/// own transaction) after the version last pushed to it, and its next attempt's time has come.
/// </summary>
public static class ApplePushStore
{
    /// <summary>How long claimed registrations are left to their claimer before another process may take them.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private const string DueRows =
        """
        SELECT r.device_library_identifier, r.serial_number, r.push_token, c.updated_at, r.push_attempts, r.next_push_at
        FROM wallet_registrations r
        JOIN wallet_passes p ON p.pass_type_identifier = r.pass_type_identifier AND p.serial_number = r.serial_number
        JOIN customers c ON c.id = p.customer_id AND c.program_id = p.program_id
        WHERE r.pass_type_identifier = @t AND r.next_push_at <= @now AND c.updated_at > r.pushed_version AND c.deleted_at IS NULL
        """;

    /// <summary>
    /// Claims the due registrations of up to <paramref name="limit"/> push tokens for <see cref="Lease"/>,
    /// every due registration of a token together, so that one push tells the device about all of them.
    /// </summary>
    public static async Task<List<ApplePushTarget>> ClaimAsync(WriteContext context, string passType, int limit)
    {
        var due = await context.Sql.ListAsync(
            $"{DueRows} ORDER BY r.next_push_at, r.push_token LIMIT @n",
            r => r.GetString(2), ("t", passType), ("now", context.NowMs), ("n", limit * 4));
        var tokens = due.Distinct(StringComparer.Ordinal).Take(limit).ToList();
        var until = context.Now.Add(Lease).ToUnixTimeMilliseconds();
        var claimed = new List<ApplePushTarget>();
        foreach (var token in tokens)
        {
            var rows = await context.Sql.ListAsync(
                $"{DueRows} AND r.push_token = @push",
                r => new ApplePushTarget(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt32(4)),
                ("t", passType), ("now", context.NowMs), ("push", token));
            foreach (var row in rows)
            {
                var taken = await context.Sql.ExecuteAsync(
                    """
                    UPDATE wallet_registrations SET next_push_at = @until
                    WHERE device_library_identifier = @d AND pass_type_identifier = @t AND serial_number = @s AND next_push_at <= @now
                    """,
                    ("until", until), ("d", row.Device), ("t", passType), ("s", row.SerialNumber), ("now", context.NowMs));
                if (taken == 1)
                {
                    claimed.Add(row);
                }
            }
        }
        return claimed;
    }

    /// <summary>APNs took the push: each registration has its version, and nothing is due until the customer's next change.</summary>
    public static async Task SucceededAsync(WriteContext context, string passType, IEnumerable<ApplePushTarget> targets)
    {
        foreach (var target in targets)
        {
            await context.Sql.ExecuteAsync(
                """
                UPDATE wallet_registrations SET pushed_version = CASE WHEN pushed_version > @v THEN pushed_version ELSE @v END,
                    push_attempts = 0, next_push_at = 0, last_push_error = NULL
                WHERE device_library_identifier = @d AND pass_type_identifier = @t AND serial_number = @s
                """,
                ("v", target.Version), ("d", target.Device), ("t", passType), ("s", target.SerialNumber));
        }
    }

    /// <summary>
    /// A failed push: retried after <paramref name="retryAt"/>, or, when it was the last attempt
    /// (<paramref name="retryAt"/> null), given up for these versions until the customer changes again.
    /// </summary>
    public static async Task FailedAsync(WriteContext context, string passType, IEnumerable<ApplePushTarget> targets, string error, DateTimeOffset? retryAt)
    {
        foreach (var target in targets)
        {
            var args = new (string, object?)[] { ("d", target.Device), ("t", passType), ("s", target.SerialNumber), ("e", error) };
            await (retryAt is { } at
                ? context.Sql.ExecuteAsync(
                    """
                    UPDATE wallet_registrations SET push_attempts = push_attempts + 1, next_push_at = @at, last_push_error = @e
                    WHERE device_library_identifier = @d AND pass_type_identifier = @t AND serial_number = @s
                    """,
                    [.. args, ("at", at.ToUnixTimeMilliseconds())])
                : context.Sql.ExecuteAsync(
                    """
                    UPDATE wallet_registrations SET pushed_version = CASE WHEN pushed_version > @v THEN pushed_version ELSE @v END,
                        push_attempts = 0, next_push_at = 0, last_push_error = @e
                    WHERE device_library_identifier = @d AND pass_type_identifier = @t AND serial_number = @s
                    """,
                    [.. args[..3], ("e", "gave up: " + error), ("v", target.Version)]));
        }
    }

    /// <summary>APNs says the push token is no longer valid for the pass type (410): every registration holding it is removed.</summary>
    public static Task<int> UnregisteredAsync(WriteContext context, string passType, string pushToken) =>
        context.Sql.ExecuteAsync(
            "DELETE FROM wallet_registrations WHERE pass_type_identifier = @t AND push_token = @push",
            ("t", passType), ("push", pushToken));
}
