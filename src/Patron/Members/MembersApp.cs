using Patron.Operations.Members;

namespace Patron.Members;

/// <summary>The members front door (docs/WIDGET.md): the customer API, its admin settings, the widget and the hosted page.</summary>
public static class MembersApp
{
    public static IServiceCollection AddMembers(this IServiceCollection services) =>
        services.AddSingleton<MemberSecretProtector>().AddSingleton<Operations.Wallet.ApplePasses>()
            .AddSingleton<Operations.Wallet.GooglePasses>()
            .AddSingleton<Operations.Wallet.GoogleWalletSync>()
            .AddSingleton<Jobs.IJob>(sp => sp.GetRequiredService<Operations.Wallet.GoogleWalletSync>())
            .AddSingleton<Operations.Wallet.AppleWalletPush>()
            .AddSingleton<Jobs.IJob>(sp => sp.GetRequiredService<Operations.Wallet.AppleWalletPush>());

    public static void MapMembers(this WebApplication app)
    {
        app.MapMemberSettingsApi();
        app.MapMeApi();
        app.MapWidget();
        app.MapWallet();
    }
}
