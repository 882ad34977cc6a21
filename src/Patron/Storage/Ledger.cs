using System.Data.Common;
using Patron.Api;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// The only code that changes a points balance (DESIGN.md "one write path"). In the caller's
/// transaction it checks the <c>reference</c>, moves the balance with a conditional update (so no
/// interleaving can overspend), appends the immutable entry and writes the <c>points.created</c> event.
/// </summary>
public static class Ledger
{
    public const string Columns = "id, customer_id, points, type, description, reference, balance_after, created_by, created_at";

    public static PointsTransactionDto Map(DbDataReader r) => new(
        Id: r.GetString(0),
        CustomerId: r.GetString(1),
        Points: r.GetInt64(2),
        Type: r.GetString(3),
        Description: r.StringOrNull(4),
        Reference: r.StringOrNull(5),
        BalanceAfter: r.GetInt64(6),
        CreatedBy: r.GetString(7),
        CreatedAt: PatronJson.FromMs(r.GetInt64(8)));

    public sealed record Posted(PointsTransactionDto Transaction, bool Created);

    public static async Task<Posted> PostAsync(
        WriteContext context, string programId, string customerId, long points, string type,
        string? description, string? reference, string createdBy)
    {
        var sql = context.Sql;
        if (reference is not null)
        {
            var existing = await sql.SingleAsync(
                $"SELECT {Columns} FROM points_transactions WHERE customer_id = @c AND reference = @r",
                Map, ("c", customerId), ("r", reference));
            if (existing is not null)
            {
                return new Posted(existing, false);
            }
        }

        var d = LedgerRules.Deltas(type, points);
        var balance = await sql.ScalarAsync(
            """
            UPDATE customers
            SET points_balance = points_balance + @b, lifetime_points = lifetime_points + @l,
                points_spent = points_spent + @s, points_expired = points_expired + @x, updated_at = @now
            WHERE id = @c AND program_id = @p AND (@b >= 0 OR points_balance + @b >= 0)
            RETURNING points_balance
            """,
            ("b", d.Balance), ("l", d.Lifetime), ("s", d.Spent), ("x", d.Expired), ("now", context.NowMs),
            ("c", customerId), ("p", programId));
        if (balance is null)
        {
            throw ApiException.Unprocessable("insufficient_points",
                $"The customer does not have {-points} points to deduct.", "points");
        }

        var entry = new PointsTransactionDto(
            Ids.New("ptx_"), customerId, points, type, description, reference, Convert.ToInt64(balance), createdBy, context.Now);
        await sql.ExecuteAsync(
            $"INSERT INTO points_transactions (program_id, {Columns}) VALUES (@p, @id, @c, @pts, @t, @d, @r, @ba, @by, @at)",
            ("p", programId), ("id", entry.Id), ("c", customerId), ("pts", points), ("t", type), ("d", description),
            ("r", reference), ("ba", entry.BalanceAfter), ("by", createdBy), ("at", context.NowMs));
        await Events.AddAsync(context, programId, Events.PointsCreated, entry);
        return new Posted(entry, true);
    }
}
