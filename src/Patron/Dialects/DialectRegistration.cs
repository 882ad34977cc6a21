namespace Patron.Dialects;

/// <summary>Adds every dialect's services, OpenAPI document and routes to the server.</summary>
public static class DialectRegistration
{
    /// <summary>The dialects Patron speaks, each under its own base path.</summary>
    public static IReadOnlyList<Dialect> All { get; } =
    [
        new LoyaltyDog.LoyaltyDogDialect(),
        new LoyaltyPlus.LoyaltyPlusDialect(),
        new LoyaltyLoop.LoyaltyLoopDialect(),
        new LoyaltyLion.LoyaltyLionDialect(),
    ];

    public static IServiceCollection AddDialects(this IServiceCollection services)
    {
        foreach (var dialect in All)
        {
            services.AddSingleton(dialect);
            services.AddOpenApi(dialect.Name, o =>
            {
                o.ShouldInclude = d => d.GroupName == dialect.Name;
                o.AddDocumentTransformer((doc, _, _) =>
                {
                    doc.Info.Title = $"Patron: the {dialect.Title} dialect";
                    doc.Info.Description = $"{dialect.Title}'s API served by Patron under {dialect.BasePath}. See docs/migrate/{dialect.Name}.md.";
                    return Task.CompletedTask;
                });
                o.AddDocumentTransformer(Api.OpenApiConventions.TransformDialectAsync);
            });
        }
        return services;
    }

    public static void MapDialects(this WebApplication app)
    {
        foreach (var dialect in All)
        {
            dialect.Map(app.MapGroup(dialect.BasePath).WithGroupName(dialect.Name).WithTags(dialect.Title));
        }
    }
}
