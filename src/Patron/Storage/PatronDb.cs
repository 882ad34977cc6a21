using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Patron.Storage;

/// <summary>
/// EF Core over the configuration tables (programs, API keys, and later rules, tiers, rewards,
/// webhook endpoints). The ledger and customers are the hot path and use <see cref="Sql"/> instead.
/// Tenancy lives here: with <see cref="ProgramId"/> set, every query sees that program's rows only.
/// </summary>
public sealed class PatronDb(DbContextOptions<PatronDb> options) : DbContext(options)
{
    public string? ProgramId { get; set; }

    public DbSet<ProgramRow> Programs => Set<ProgramRow>();
    public DbSet<ApiKeyRow> ApiKeys => Set<ApiKeyRow>();
    public DbSet<Webhooks.WebhookEndpointRow> WebhookEndpoints => Set<Webhooks.WebhookEndpointRow>();
    public DbSet<EarnRuleRow> EarnRules => Set<EarnRuleRow>();
    public DbSet<VipTierRow> VipTiers => Set<VipTierRow>();

    /// <summary>A context that works inside a write-path transaction, scoped to one program.</summary>
    public static async Task<PatronDb> ForAsync(WriteContext context, string? programId)
    {
        // EF Core runs its own commands on the connection: whatever waits to be sent goes first.
        await context.Sql.FlushAsync();
        var db = new PatronDb(Options(context.Database, context.Sql.Connection)) { ProgramId = programId };
        db.Database.UseTransaction(context.Sql.Transaction);
        return db;
    }

    public static DbContextOptions<PatronDb> Options(Database database, DbConnection? connection = null)
    {
        var builder = new DbContextOptionsBuilder<PatronDb>();
        if (database.IsSqlite)
        {
            _ = connection is null ? builder.UseSqlite(database.ConnectionString) : builder.UseSqlite(connection);
        }
        else
        {
            _ = connection is null ? builder.UseNpgsql(database.PostgresDataSource!) : builder.UseNpgsql(connection);
        }
        return builder.UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking).Options;
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ProgramRow>().ToTable("programs");
        modelBuilder.Entity<ApiKeyRow>(e =>
        {
            e.ToTable("api_keys");
            e.HasQueryFilter(k => ProgramId == null || k.ProgramId == ProgramId);
        });
        modelBuilder.Entity<Webhooks.WebhookEndpointRow>(e =>
        {
            e.ToTable("webhook_endpoints");
            e.HasQueryFilter(w => ProgramId == null || w.ProgramId == ProgramId);
        });
        modelBuilder.Entity<EarnRuleRow>(e =>
        {
            e.ToTable("earn_rules");
            e.HasQueryFilter(r => ProgramId == null || r.ProgramId == ProgramId);
        });
        modelBuilder.Entity<VipTierRow>(e =>
        {
            e.ToTable("vip_tiers");
            // A deleted tier is kept only for the events that name it: the API never sees it.
            e.HasQueryFilter(t => (ProgramId == null || t.ProgramId == ProgramId) && t.DeletedAt == null);
        });

        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
            }
        }
    }

    private static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                sb.Append('_');
            }
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}

public sealed class ProgramRow
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public string Currency { get; set; } = "USD";
    public bool Live { get; set; } = true;

    /// <summary>The shop's domain (e.g. <c>your-store.myshopify.com</c>), shown by GET /program; null when not set.</summary>
    public string? ShopDomain { get; set; }

    /// <summary>A free label of the program's plan, shown by GET /program (Patron itself has no plans).</summary>
    public string Plan { get; set; } = DefaultPlan;

    public const string DefaultPlan = "self_hosted";

    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }

    /// <summary>Points per 1.00 spent (or per unit), in ten-thousandths.</summary>
    public long PointsPerUnitE4 { get; set; } = 10_000;
    public string EarnMode { get; set; } = "spend";
    public string Rounding { get; set; } = "floor";
    public int PointsDelayDays { get; set; }
    public int? PointsExpiryDays { get; set; }
    public int StampsRequired { get; set; } = 10;
    public string? StampRewardId { get; set; }
    public long ReferralReferrerPoints { get; set; }
    public long ReferralRefereePoints { get; set; }
    public string? ReferralReferrerRewardId { get; set; }
    public string? ReferralRefereeRewardId { get; set; }
    public long ReferralMinOrderE4 { get; set; }

    /// <summary>The money value of one point, in ten-thousandths; null when not set.</summary>
    public long? PointValueE4 { get; set; }
}

/// <summary>A VIP tier (docs/API.md VIP tiers): one requirement, points or spend, and its benefits.</summary>
public sealed class VipTierRow
{
    public required string Id { get; set; }
    public required string ProgramId { get; set; }
    public required string Name { get; set; }
    public long? PointsRequired { get; set; }
    public long? SpendRequiredE4 { get; set; }
    public int? SpendWindowDays { get; set; }
    public long MultiplierE4 { get; set; } = 10_000;
    public string? DiscountType { get; set; }
    public long? DiscountValueE4 { get; set; }
    public bool FreeShipping { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
    public long? DeletedAt { get; set; }
}

public sealed class ApiKeyRow
{
    public required string Id { get; set; }
    public required string ProgramId { get; set; }
    public string? Name { get; set; }
    public required string Scope { get; set; }
    public required string SecretHash { get; set; }
    public required string SecretHint { get; set; }
    public int? RateLimitPerMinute { get; set; }
    public long? ExpiresAt { get; set; }
    public long? RevokedAt { get; set; }
    public long CreatedAt { get; set; }
}
