namespace Patron.Storage;

/// <summary>A pass Patron issued: which program's customer it is.</summary>
public sealed record WalletPassRow(string PassTypeIdentifier, string SerialNumber, string ProgramId, string CustomerId);

/// <summary>Wallet pass rows and the devices registered for them (docs/WALLET.md).</summary>
public static class WalletStore
{
    /// <summary>Records a pass as issued; issuing it again changes nothing.</summary>
    public static Task<int> IssueAsync(WriteContext context, WalletPassRow pass) =>
        context.Sql.ExecuteAsync(
            """
            INSERT INTO wallet_passes (pass_type_identifier, serial_number, program_id, customer_id, created_at)
            VALUES (@t, @s, @p, @c, @now) ON CONFLICT (pass_type_identifier, serial_number) DO NOTHING
            """,
            ("t", pass.PassTypeIdentifier), ("s", pass.SerialNumber), ("p", pass.ProgramId), ("c", pass.CustomerId), ("now", context.NowMs));

    public static Task<WalletPassRow?> PassAsync(Sql sql, string passTypeIdentifier, string serialNumber) =>
        sql.SingleAsync(
            "SELECT pass_type_identifier, serial_number, program_id, customer_id FROM wallet_passes WHERE pass_type_identifier = @t AND serial_number = @s",
            r => new WalletPassRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)),
            ("t", passTypeIdentifier), ("s", serialNumber));

    /// <summary>
    /// Registers a device for a pass; true when it is new (201), false when it was already registered (200).
    /// The device has the pass as it is now, so only the customer's next change is pushed to it.
    /// </summary>
    public static async Task<bool> RegisterAsync(WriteContext context, string device, string passType, string serial, string pushToken)
    {
        var inserted = await context.Sql.ExecuteAsync(
            """
            INSERT INTO wallet_registrations (device_library_identifier, pass_type_identifier, serial_number, push_token, created_at, pushed_version)
            VALUES (@d, @t, @s, @push, @now, COALESCE((
                SELECT c.updated_at FROM wallet_passes p JOIN customers c ON c.id = p.customer_id AND c.program_id = p.program_id
                WHERE p.pass_type_identifier = @t AND p.serial_number = @s), 0))
            ON CONFLICT (device_library_identifier, pass_type_identifier, serial_number) DO NOTHING
            """,
            ("d", device), ("t", passType), ("s", serial), ("push", pushToken), ("now", context.NowMs));
        if (inserted == 0)
        {
            await context.Sql.ExecuteAsync(
                """
                UPDATE wallet_registrations SET push_token = @push,
                    push_attempts = CASE WHEN push_token = @push THEN push_attempts ELSE 0 END,
                    next_push_at = CASE WHEN push_token = @push THEN next_push_at ELSE 0 END
                WHERE device_library_identifier = @d AND pass_type_identifier = @t AND serial_number = @s
                """,
                ("push", pushToken), ("d", device), ("t", passType), ("s", serial));
        }
        return inserted > 0;
    }

    /// <summary>Removes a device's registration for a pass; true when there was one.</summary>
    public static async Task<bool> UnregisterAsync(WriteContext context, string device, string passType, string serial) =>
        await context.Sql.ExecuteAsync(
            "DELETE FROM wallet_registrations WHERE device_library_identifier = @d AND pass_type_identifier = @t AND serial_number = @s",
            ("d", device), ("t", passType), ("s", serial)) > 0;

    /// <summary>
    /// The serial numbers of the passes the device registered whose customer changed after
    /// <paramref name="sinceMs"/> (all of them when null), each with the time it last changed.
    /// </summary>
    public static Task<List<(string Serial, long UpdatedAt)>> UpdatedSinceAsync(Sql sql, string device, string passType, long? sinceMs) =>
        sql.ListAsync(
            """
            SELECT r.serial_number, c.updated_at FROM wallet_registrations r
            JOIN wallet_passes p ON p.pass_type_identifier = r.pass_type_identifier AND p.serial_number = r.serial_number
            JOIN customers c ON c.id = p.customer_id AND c.program_id = p.program_id
            WHERE r.device_library_identifier = @d AND r.pass_type_identifier = @t AND c.updated_at > @since
            ORDER BY r.serial_number
            """,
            r => (r.GetString(0), r.GetInt64(1)), ("d", device), ("t", passType), ("since", sinceMs ?? -1L));
}
