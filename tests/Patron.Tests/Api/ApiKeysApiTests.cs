using System.Net;
using System.Text.Json;
using Patron.Api;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Api;

/// <summary>API keys over HTTP (docs/API.md, Auth; section 3, API keys).</summary>
public sealed class ApiKeysApiTests
{
    private const string Keys = "/api/v1/api_keys";

    [Theory, DatabaseData]
    public async Task An_admin_creates_a_key_whose_secret_is_shown_once_and_works(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var created = await server.Client.PostJsonAsync(Keys, new { name = "Till 1", scope = "write" });

        created.Status.ShouldBe(HttpStatusCode.Created);
        created.Str("object").ShouldBe("api_key");
        created.Str("id").ShouldStartWith("key_");
        created.Str("name").ShouldBe("Till 1");
        created.Str("scope").ShouldBe("write");
        created["revoked_at"].ValueKind.ShouldBe(JsonValueKind.Null);
        var secret = created.Str("secret");
        secret.ShouldMatch("^sk_[A-Za-z0-9_-]{32,}$");

        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        (await client.PostJsonAsync("/api/v1/customers", new { email = "ada@example.com" })).Status.ShouldBe(HttpStatusCode.Created);
        (await client.GetJsonAsync("/api/v1/customers/ada@example.com")).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Theory, DatabaseData]
    public async Task Every_secret_is_different(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var secrets = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            secrets.Add((await server.Client.PostJsonAsync(Keys, new { scope = "read" })).Str("secret"));
        }

        secrets.Distinct().Count().ShouldBe(5);
    }

    [Theory, DatabaseData]
    public async Task The_list_never_shows_a_secret(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Keys, new { name = "Reporting", scope = "read" });
        var secret = created.Str("secret");

        var list = await server.Client.GetJsonAsync(Keys);

        list.Status.ShouldBe(HttpStatusCode.OK);
        list.Str("object").ShouldBe("list");
        list.Long("total_count").ShouldBe(2);
        var keys = list["data"].EnumerateArray().ToList();
        keys.Select(k => k.GetProperty("id").GetString()).ShouldContain(created.Str("id"));
        keys.Count(k => k.TryGetProperty("secret", out _)).ShouldBe(0);
        list.Raw.ShouldNotContain(secret);
        list.Raw.ShouldNotContain(server.AdminKey);
        list.Raw.ShouldNotContain(secret[3..20]);
        var listed = keys.Single(k => k.GetProperty("id").GetString() == created.Str("id"));
        listed.GetProperty("scope").GetString().ShouldBe("read");
        listed.GetProperty("name").GetString().ShouldBe("Reporting");
    }

    [Theory, DatabaseData]
    public async Task The_scope_defaults_to_write_and_is_validated(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        (await server.Client.PostJsonAsync(Keys, new { name = "default" })).Str("scope").ShouldBe("write");
        (await server.Client.PostJsonAsync(Keys, new { scope = "admin" })).Str("scope").ShouldBe("admin");

        foreach (var scope in new[] { "root", "Admin", "", "read write" })
        {
            var response = await server.Client.PostJsonAsync(Keys, new { scope });
            response.Code.ShouldBe(422, scope);
            response.ErrorCode.ShouldBe("parameter_invalid", scope);
            response["error"].GetProperty("param").GetString().ShouldBe("scope", scope);
        }
        var wrongType = await server.Client.SendRawAsync(HttpMethod.Post, Keys, """{"scope":3}""");
        wrongType.Code.ShouldBe(422);
        wrongType["error"].GetProperty("param").GetString().ShouldBe("scope");

        (await server.Client.GetJsonAsync(Keys)).Long("total_count").ShouldBe(3);
    }

    [Theory, DatabaseData]
    public async Task Other_key_fields_are_validated(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var negativeLimit = await server.Client.PostJsonAsync(Keys, new { scope = "read", rate_limit_per_minute = -1 });
        negativeLimit.Code.ShouldBe(422);
        negativeLimit["error"].GetProperty("param").GetString().ShouldBe("rate_limit_per_minute");

        var past = await server.Client.PostJsonAsync(Keys, new { scope = "read", expires_at = "2000-01-01T00:00:00.000Z" });
        past.Code.ShouldBe(422);
        past["error"].GetProperty("param").GetString().ShouldBe("expires_at");

        var future = await server.Client.PostJsonAsync(Keys,
            new { scope = "read", expires_at = "2999-01-01T00:00:00.000Z", rate_limit_per_minute = 60 });
        future.Status.ShouldBe(HttpStatusCode.Created);
        future.Str("expires_at").ShouldBe("2999-01-01T00:00:00.000Z");
        future.Long("rate_limit_per_minute").ShouldBe(60);
    }

    [Theory, DatabaseData]
    public async Task A_write_key_gets_403_on_api_keys(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var write = await server.ClientWithScopeAsync(Scope.Write);
        var victim = (await server.Client.PostJsonAsync(Keys, new { scope = "read" })).Str("id");

        var responses = new[]
        {
            await write.GetJsonAsync(Keys),
            await write.PostJsonAsync(Keys, new { scope = "admin" }),
            await write.DeleteJsonAsync($"{Keys}/{victim}"),
        };

        foreach (var response in responses)
        {
            response.Status.ShouldBe(HttpStatusCode.Forbidden);
            response.ErrorType.ShouldBe("permission_error");
            response.Raw.ShouldNotContain("sk_");
        }
        var list = await server.Client.GetJsonAsync(Keys);
        list.Long("total_count").ShouldBe(3);
        list["data"].EnumerateArray().Single(k => k.GetProperty("id").GetString() == victim)
            .GetProperty("revoked_at").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory, DatabaseData]
    public async Task A_read_key_gets_403_on_api_keys(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var read = await server.ClientWithScopeAsync(Scope.Read);

        (await read.GetJsonAsync(Keys)).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await read.PostJsonAsync(Keys, new { scope = "admin" })).Status.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Theory, DatabaseData]
    public async Task A_created_read_key_may_read_but_not_write(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var secret = (await server.Client.PostJsonAsync(Keys, new { scope = "read" })).Str("secret");
        var read = server.ClientWithKey(secret);

        (await read.GetJsonAsync("/api/v1/customers")).Status.ShouldBe(HttpStatusCode.OK);
        var write = await read.PostJsonAsync("/api/v1/customers", new { email = "ada@example.com" });
        write.Status.ShouldBe(HttpStatusCode.Forbidden);
        write.ErrorType.ShouldBe("permission_error");
        (await server.Client.GetJsonAsync("/api/v1/customers")).Long("total_count").ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task Delete_revokes_a_key_at_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var created = await server.Client.PostJsonAsync(Keys, new { scope = "write" });
        var client = server.ClientWithKey(created.Str("secret"));
        (await client.GetJsonAsync("/api/v1/customers")).Status.ShouldBe(HttpStatusCode.OK);

        var revoked = await server.Client.DeleteJsonAsync($"{Keys}/{created.Str("id")}");

        revoked.Status.ShouldBe(HttpStatusCode.OK);
        revoked.Str("id").ShouldBe(created.Str("id"));
        revoked.Str("object").ShouldBe("api_key");
        revoked["deleted"].GetBoolean().ShouldBeTrue();

        var refused = await client.GetJsonAsync("/api/v1/customers");
        refused.Status.ShouldBe(HttpStatusCode.Unauthorized);
        refused.ErrorType.ShouldBe("authentication_error");
        refused.ErrorCode.ShouldBe("api_key_revoked");
        var refusedWrite = await client.PostJsonAsync("/api/v1/customers", new { email = "ada@example.com" });
        refusedWrite.ErrorCode.ShouldBe("api_key_revoked");

        var listed = (await server.Client.GetJsonAsync(Keys))["data"].EnumerateArray()
            .Single(k => k.GetProperty("id").GetString() == created.Str("id"));
        listed.GetProperty("revoked_at").GetString().ShouldNotBeNullOrEmpty();

        // Revoking again is harmless; the admin key itself still works.
        (await server.Client.DeleteJsonAsync($"{Keys}/{created.Str("id")}")).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Client.GetJsonAsync(Keys)).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Theory, DatabaseData]
    public async Task Deleting_an_unknown_key_or_another_programs_key_is_404(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (_, other) = await server.CreateProgramAsync();
        var theirs = await other.PostJsonAsync(Keys, new { scope = "write" });
        var theirClient = server.ClientWithKey(theirs.Str("secret"));

        var unknown = await server.Client.DeleteJsonAsync($"{Keys}/key_unknown");
        unknown.Status.ShouldBe(HttpStatusCode.NotFound);
        unknown.ErrorType.ShouldBe("not_found_error");

        var foreign = await server.Client.DeleteJsonAsync($"{Keys}/{theirs.Str("id")}");
        foreign.Status.ShouldBe(HttpStatusCode.NotFound);

        (await theirClient.GetJsonAsync("/api/v1/customers")).Status.ShouldBe(HttpStatusCode.OK);
        (await server.Client.GetJsonAsync(Keys))["data"].EnumerateArray()
            .ShouldAllBe(k => k.GetProperty("id").GetString() != theirs.Str("id"));
    }

    [Theory, DatabaseData]
    public async Task An_admin_can_revoke_its_own_key(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var admin = server.ClientWithKey((await server.Client.PostJsonAsync(Keys, new { scope = "admin" })).Str("secret"));
        var ownId = (await admin.GetJsonAsync(Keys))["data"].EnumerateArray()
            .Select(k => k.GetProperty("id").GetString()!).Max(StringComparer.Ordinal)!;

        (await admin.DeleteJsonAsync($"{Keys}/{ownId}")).Status.ShouldBe(HttpStatusCode.OK);

        (await admin.GetJsonAsync(Keys)).ErrorCode.ShouldBe("api_key_revoked");
        (await server.Client.GetJsonAsync(Keys)).Status.ShouldBe(HttpStatusCode.OK);
    }
}
