using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Patron.Domain;

namespace Patron.Storage;

/// <summary>One row of the audit trail (docs/AUDIT.md).</summary>
public sealed record AuditEvent(
    string Id, string ActorKind, string ActorId, string Action, string SubjectType, string SubjectId,
    JsonObject? Before, JsonObject? After, long CreatedAtMs);

/// <summary>
/// The audit trail (docs/AUDIT.md): who changed money, points, keys, webhooks, tiers, earn rules,
/// rewards or program settings, when, and the changed fields before and after. A row is one small
/// insert inside the transaction of the change itself, so the change and its row commit or fail
/// together. Snapshots never hold a secret: the fields in <see cref="SecretFields"/> are dropped.
/// </summary>
public static class AuditTrail
{
    /// <summary>Fields never written to the trail, at any depth: key secrets, signing secrets, gift card and voucher codes.</summary>
    public static readonly IReadOnlySet<string> SecretFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "secret", "signing_secret", "code", "codes", "secret_hash", "code_hash", "secret_encrypted",
    };

    /// <summary>Personal fields of a customer, redacted in the snapshots about them when they are erased.</summary>
    public static readonly IReadOnlySet<string> PersonalFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "email", "phone", "first_name", "last_name", "name", "birthday", "notes", "external_id", "shopify_customer_id",
    };

    /// <summary>Fields that change with every write and say nothing of what changed.</summary>
    private static readonly HashSet<string> Noise = new(StringComparer.Ordinal) { "object", "updated_at" };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>
    /// Records one change. <paramref name="before"/> and <paramref name="after"/> are snapshots of the
    /// subject (any object; null when it did not exist before or does not after). When both are given,
    /// only the fields that differ are kept. <paramref name="customerId"/> names the customer the row is
    /// about, so that erasure can redact it.
    /// </summary>
    public static async Task RecordAsync(
        WriteContext context, Actor actor, string programId, string action, string subjectId,
        object? before, object? after, string? customerId = null)
    {
        if (!AuditActions.IsKnown(action))
        {
            throw new ArgumentException($"'{action}' is not one of AuditActions.All.", nameof(action));
        }
        var (b, a) = Snapshots(before, after);
        await context.Sql.ExecuteAsync(
            """
            INSERT INTO audit_events (id, program_id, actor_kind, actor_id, action, subject_type, subject_id, customer_id, before_data, after_data, created_at)
            VALUES (@id, @p, @ak, @ai, @a, @st, @si, @c, @b, @af, @t)
            """,
            ("id", Ids.New("aud_")), ("p", programId), ("ak", actor.Kind), ("ai", actor.Id), ("a", action),
            ("st", AuditActions.SubjectOf(action)), ("si", subjectId), ("c", Sql.Text(customerId)),
            ("b", Sql.Text(b?.ToJsonString(Json))), ("af", Sql.Text(a?.ToJsonString(Json))), ("t", context.NowMs));
    }

    /// <summary>The columns of <see cref="Row"/>, for <see cref="BulkRows"/>.</summary>
    public static readonly string[] RowColumns =
        ["id", "program_id", "actor_kind", "actor_id", "action", "subject_type", "subject_id", "customer_id", "before_data", "after_data", "created_at"];

    /// <summary>The row <see cref="RecordAsync"/> would insert, for a bulk write that inserts many at once.</summary>
    public static object?[] Row(
        WriteContext context, Actor actor, string programId, string action, string subjectId, object? before, object? after, string? customerId)
    {
        if (!AuditActions.IsKnown(action))
        {
            throw new ArgumentException($"'{action}' is not one of AuditActions.All.", nameof(action));
        }
        // A new customer's snapshot is the customer as the API shows it: flat, and without a secret field to drop.
        var (b, a) = before is null && after is CustomerDto customer
            ? (null, JsonSerializer.Serialize(customer, Json))
            : Snapshots(before, after) is var (sb, sa) ? (sb?.ToJsonString(Json), sa?.ToJsonString(Json)) : default;
        return [Ids.New("aud_"), programId, actor.Kind, actor.Id, action, AuditActions.SubjectOf(action), subjectId, customerId, b, a, context.NowMs];
    }

    /// <summary>The two snapshots as JSON objects without secrets, reduced to the changed fields when both exist.</summary>
    public static (JsonObject? Before, JsonObject? After) Snapshots(object? before, object? after)
    {
        var b = ToObject(before);
        var a = ToObject(after);
        if (b is not null && a is not null)
        {
            foreach (var name in b.Select(p => p.Key).ToList())
            {
                if (Noise.Contains(name) || (a.TryGetPropertyValue(name, out var other) && JsonNode.DeepEquals(b[name], other)))
                {
                    b.Remove(name);
                    a.Remove(name);
                }
            }
            foreach (var name in a.Select(p => p.Key).Where(Noise.Contains).ToList())
            {
                a.Remove(name);
            }
        }
        return (b, a);
    }

    private static JsonObject? ToObject(object? value)
    {
        if (value is null)
        {
            return null;
        }
        var node = value as JsonNode ?? JsonSerializer.SerializeToNode(value, value.GetType(), Json);
        var copy = node?.DeepClone() as JsonObject ?? new JsonObject { ["value"] = node?.DeepClone() };
        Scrub(copy, SecretFields, remove: true);
        return copy;
    }

    /// <summary>Removes (or, for personal data, blanks) the named fields at any depth.</summary>
    private static bool Scrub(JsonNode? node, IReadOnlySet<string> fields, bool remove)
    {
        var changed = false;
        switch (node)
        {
            case JsonObject o:
                foreach (var name in o.Select(p => p.Key).ToList())
                {
                    if (fields.Contains(name))
                    {
                        if (remove)
                        {
                            o.Remove(name);
                            changed = true;
                        }
                        else if (o[name] is not null)
                        {
                            o[name] = Redacted;
                            changed = true;
                        }
                    }
                    else
                    {
                        changed |= Scrub(o[name], fields, remove);
                    }
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    changed |= Scrub(item, fields, remove);
                }
                break;
        }
        return changed;
    }

    /// <summary>What an erased customer's personal values read as in the trail.</summary>
    public const string Redacted = "[erased]";

    /// <summary>
    /// Erasure: the trail's rows about a customer stay (who changed what, when), and the customer's
    /// personal values inside their snapshots become <see cref="Redacted"/>.
    /// </summary>
    public static async Task RedactCustomerAsync(WriteContext context, string programId, string customerId)
    {
        var rows = await context.Sql.ListAsync(
            "SELECT id, before_data, after_data FROM audit_events WHERE program_id = @p AND customer_id = @c",
            r => (Id: r.GetString(0), Before: r.StringOrNull(1), After: r.StringOrNull(2)),
            ("p", programId), ("c", customerId));
        foreach (var row in rows)
        {
            var before = Redact(row.Before);
            var after = Redact(row.After);
            if (before != row.Before || after != row.After)
            {
                await context.Sql.ExecuteAsync("UPDATE audit_events SET before_data = @b, after_data = @a WHERE id = @id",
                    ("b", before), ("a", after), ("id", row.Id));
            }
        }
    }

    private static string? Redact(string? json)
    {
        if (json is null || JsonNode.Parse(json) is not JsonObject o)
        {
            return json;
        }
        return Scrub(o, PersonalFields, remove: false) ? o.ToJsonString(Json) : json;
    }

    public const string Columns = "id, actor_kind, actor_id, action, subject_type, subject_id, before_data, after_data, created_at";

    public static AuditEvent Map(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
        r.StringOrNull(6) is { } b ? JsonNode.Parse(b) as JsonObject : null,
        r.StringOrNull(7) is { } a ? JsonNode.Parse(a) as JsonObject : null,
        r.GetInt64(8));
}
