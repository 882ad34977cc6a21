using Patron.Domain;
using Patron.Operations.Keys;
using Patron.Operations.Programs;
using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// Program and key administration outside a request (the command line, the test suite): the operations
/// of Operations/Programs and Operations/Keys, each on its own write, recorded as the command line's
/// unless another actor is given.
/// </summary>
public static class Admin
{
    public static Task<ProgramRow> CreateProgramAsync(IWritePath path, string name, string currency = "USD", Actor? actor = null) =>
        path.RunAsync(context => ProgramOperations.CreateAsync(context, actor ?? Actor.Cli, name, currency));

    /// <returns>The new key and its secret, or null when the program does not exist.</returns>
    public static Task<(ApiKeyDto Key, string Secret)?> CreateKeyAsync(
        IWritePath path, string programId, Scope scope, string? name = null,
        DateTimeOffset? expiresAt = null, int? rateLimitPerMinute = null, Actor? actor = null) =>
        path.RunAsync(async context =>
        {
            if (await context.Sql.ScalarAsync("SELECT 1 FROM programs WHERE id = @p", ("p", programId)) is null)
            {
                return ((ApiKeyDto, string)?)null;
            }
            return await ApiKeyOperations.CreateAsync(context, actor ?? Actor.Cli, programId,
                new ApiKeyRequest(name, Caller.ScopeName(scope), expiresAt, rateLimitPerMinute));
        });

    /// <returns>Whether the key was active and is now revoked.</returns>
    public static Task<bool> RevokeKeyAsync(IWritePath path, string keyId, Actor? actor = null) =>
        path.RunAsync(async context =>
        {
            if (await context.Sql.ScalarAsync("SELECT program_id FROM api_keys WHERE id = @id", ("id", keyId)) is not string programId)
            {
                return false;
            }
            return (await ApiKeyOperations.RevokeAsync(context, actor ?? Actor.Cli, programId, keyId)).Revoked;
        });
}
