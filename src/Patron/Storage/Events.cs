using System.Text.Json;
using Patron.Api;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>
/// The event outbox: every event is inserted in the same transaction as the change it describes
/// (SPEC section 4), so a crash can never keep the change and lose its event, or the reverse.
/// </summary>
public static class Events
{
    public const string CustomerCreated = "customer.created";
    public const string CustomerUpdated = "customer.updated";
    public const string CustomerDeleted = "customer.deleted";
    public const string PointsCreated = "points.created";
    public const string OrderUpdated = "order.updated";

    public static async Task<string> AddAsync<T>(WriteContext context, string programId, string type, T data)
    {
        var id = Ids.New("evt_");
        await context.Sql.ExecuteAsync(
            "INSERT INTO events (id, program_id, type, data, created_at) VALUES (@id, @program_id, @type, @data, @created_at)",
            ("id", id), ("program_id", programId), ("type", type),
            ("data", JsonSerializer.Serialize(data, PatronJson.Options)), ("created_at", context.NowMs));
        return id;
    }
}
