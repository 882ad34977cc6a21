using Patron.Api;
using Patron.Storage;

namespace Patron.Tests.Infrastructure;

/// <summary>A program of its own with one key of each scope.</summary>
public sealed record Tenant(string ProgramId, HttpClient Admin, HttpClient Write, HttpClient Read, string AdminKeyId, string WriteKeyId, string ReadKeyId);

public static class TenantExtensions
{
    public static async Task<Tenant> NewTenantAsync(this PatronServer server, string name)
    {
        var program = await Admin.CreateProgramAsync(server.WritePath, name);
        var admin = await Admin.CreateKeyAsync(server.WritePath, program.Id, Scope.Admin);
        var write = await Admin.CreateKeyAsync(server.WritePath, program.Id, Scope.Write);
        var read = await Admin.CreateKeyAsync(server.WritePath, program.Id, Scope.Read);
        return new Tenant(program.Id,
            server.ClientWithKey(admin!.Value.Secret), server.ClientWithKey(write!.Value.Secret), server.ClientWithKey(read!.Value.Secret),
            admin.Value.Key.Id, write.Value.Key.Id, read.Value.Key.Id);
    }
}
