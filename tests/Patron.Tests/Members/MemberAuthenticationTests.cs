using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;
using static Patron.Tests.Members.MembersTestKit;

namespace Patron.Tests.Members;

/// <summary>Customer credentials signed by the shop (docs/WIDGET.md): who they admit, and for how long.</summary>
public sealed class MemberAuthenticationTests
{
    [Theory, DatabaseData]
    public async Task A_fresh_credential_signed_with_an_active_secret_admits_exactly_that_customer(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (_, secret) = await NewSecretAsync(server.Client);
        var id = await NewShopCustomerAsync(server.Client, "shop-42", points: 300);

        var me = await SignedIn(server, server.ProgramId, secret, "shop-42").GetJsonAsync("/api/v1/me");

        me.Status.ShouldBe(HttpStatusCode.OK, me.Raw);
        me.Str("object").ShouldBe("member");
        me.Str("id").ShouldBe(id);
        me.Str("external_id").ShouldBe("shop-42");
        me.Long("points_balance").ShouldBe(300);
        me.Header("Cache-Control")!.ShouldContain("no-store");
    }

    [Theory, DatabaseData]
    public async Task A_credential_older_than_the_programs_limit_is_refused(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (_, secret) = await NewSecretAsync(server.Client);
        await NewShopCustomerAsync(server.Client, "shop-1");
        var p = server.ProgramId;

        var dayOld = Now - 86_400 - 5;
        var stale = await MemberClient(server, p, "shop-1", dayOld, Sign(secret, p, "shop-1", dayOld)).GetJsonAsync("/api/v1/me");
        stale.Status.ShouldBe(HttpStatusCode.Unauthorized, stale.Raw);
        stale.ErrorCode.ShouldBe("member_credential_expired");

        var hourOld = Now - 3_600;
        (await MemberClient(server, p, "shop-1", hourOld, Sign(secret, p, "shop-1", hourOld)).GetJsonAsync("/api/v1/me")).Code.ShouldBe(200);

        var settings = await server.Client.PatchJsonAsync(SettingsPath, new { credential_max_age_seconds = 600 });
        settings.Status.ShouldBe(HttpStatusCode.OK, settings.Raw);
        settings.Long("credential_max_age_seconds").ShouldBe(600);
        var shortened = await MemberClient(server, p, "shop-1", hourOld, Sign(secret, p, "shop-1", hourOld)).GetJsonAsync("/api/v1/me");
        shortened.Status.ShouldBe(HttpStatusCode.Unauthorized, shortened.Raw);

        var future = Now + 3_600;
        (await MemberClient(server, p, "shop-1", future, Sign(secret, p, "shop-1", future)).GetJsonAsync("/api/v1/me"))
            .Code.ShouldBe(401, "a timestamp from the future would outlive the limit");
    }

    [Theory, DatabaseData]
    public async Task A_credential_for_another_customer_or_program_is_refused(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (_, secret) = await NewSecretAsync(server.Client);
        var a = await NewShopCustomerAsync(server.Client, "shop-a", email: "a@example.com");
        await NewShopCustomerAsync(server.Client, "shop-b", email: "b@example.com");
        var p = server.ProgramId;
        var t = Now;
        var signedForA = Sign(secret, p, "shop-a", t);

        foreach (var claimed in new[] { "shop-b", "b@example.com", a, "a@example.com" })
        {
            var r = await MemberClient(server, p, claimed, t, signedForA).GetJsonAsync("/api/v1/me");
            r.Status.ShouldBe(HttpStatusCode.Unauthorized, $"{claimed}: {r.Raw}");
            r.ErrorType.ShouldBe("authentication_error");
        }
        (await MemberClient(server, p, "shop-a", t + 1, signedForA).GetJsonAsync("/api/v1/me")).Code.ShouldBe(401, "the time is signed too");

        // The same shop customer id in another program, with that program's own secret, is that program's customer only.
        var other = await server.NewTenantAsync("other");
        var (_, otherSecret) = await NewSecretAsync(other.Admin);
        await NewShopCustomerAsync(other.Admin, "shop-a");
        (await MemberClient(server, other.ProgramId, "shop-a", t, signedForA).GetJsonAsync("/api/v1/me")).Code.ShouldBe(401);
        (await MemberClient(server, p, "shop-a", t, Sign(otherSecret, p, "shop-a", t)).GetJsonAsync("/api/v1/me")).Code.ShouldBe(401);
        var there = await SignedIn(server, other.ProgramId, otherSecret, "shop-a").GetJsonAsync("/api/v1/me");
        there.Code.ShouldBe(200, there.Raw);
        there.Str("id").ShouldNotBe(a);

        var unknown = await SignedIn(server, p, secret, "nobody").GetJsonAsync("/api/v1/me");
        unknown.Status.ShouldBe(HttpStatusCode.Unauthorized, unknown.Raw);
    }

    [Theory, DatabaseData]
    public async Task Two_secrets_work_during_rotation_and_a_retired_one_is_refused(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await NewShopCustomerAsync(server.Client, "shop-7");
        var (oldId, oldSecret) = await NewSecretAsync(server.Client);
        var (_, newSecret) = await NewSecretAsync(server.Client);
        var third = await server.Client.PostJsonAsync(SecretsPath);
        third.Status.ShouldBe(HttpStatusCode.Conflict, third.Raw);
        third.ErrorCode.ShouldBe("too_many_member_secrets");

        (await SignedIn(server, server.ProgramId, oldSecret, "shop-7").GetJsonAsync("/api/v1/me")).Code.ShouldBe(200);
        (await SignedIn(server, server.ProgramId, newSecret, "shop-7").GetJsonAsync("/api/v1/me")).Code.ShouldBe(200);

        var retired = await server.Client.DeleteJsonAsync($"{SecretsPath}/{oldId}");
        retired.Status.ShouldBe(HttpStatusCode.OK, retired.Raw);
        retired["active"].GetBoolean().ShouldBeFalse();
        retired["secret"].ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);

        var refused = await SignedIn(server, server.ProgramId, oldSecret, "shop-7").GetJsonAsync("/api/v1/me");
        refused.Status.ShouldBe(HttpStatusCode.Unauthorized, refused.Raw);
        refused.ErrorCode.ShouldBe("invalid_member_credential");
        (await SignedIn(server, server.ProgramId, newSecret, "shop-7").GetJsonAsync("/api/v1/me")).Code.ShouldBe(200);
        (await server.Client.PostJsonAsync(SecretsPath)).Code.ShouldBe(201, "one slot is free again");
        (await server.Client.DeleteJsonAsync($"{SecretsPath}/msec_01JZZZZZZZZZZZZZZZZZZZZZZZ")).Code.ShouldBe(404);
    }

    [Theory, DatabaseData]
    public async Task A_member_secret_is_shown_once_and_kept_only_encrypted(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var (id, secret) = await NewSecretAsync(server.Client);
        secret.ShouldStartWith("msk_");

        var list = await server.Client.GetJsonAsync(SecretsPath);
        list.Code.ShouldBe(200, list.Raw);
        list.Raw.ShouldNotContain(secret);
        list["data"][0].GetProperty("id").GetString().ShouldBe(id);
        list["data"][0].GetProperty("hint").GetString().ShouldBe("…" + secret[^4..]);

        var stored = await server.App.Services.GetRequiredService<Database>().ReadAsync(sql =>
            sql.ScalarAsync("SELECT secret FROM member_secrets WHERE id = @id", ("id", id)));
        stored.ShouldBeOfType<string>().ShouldStartWith("v1:");
        ((string)stored!).ShouldNotContain(secret[4..]);

        var read = await server.ClientWithScopeAsync(Patron.Api.Scope.Write);
        (await read.PostJsonAsync(SecretsPath)).Code.ShouldBe(403, "only an admin key manages member secrets");
    }

    [Theory, DatabaseData]
    public async Task A_merchant_API_key_is_not_a_customer_credential(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await NewSecretAsync(server.Client);
        await NewShopCustomerAsync(server.Client, "shop-9");

        foreach (var path in new[] { "/api/v1/me", "/api/v1/me/rewards", "/api/v1/me/points_transactions" })
        {
            var r = await server.Client.GetJsonAsync(path);
            r.Status.ShouldBe(HttpStatusCode.Unauthorized, r.Raw);
            r.ErrorCode.ShouldBe("member_credential_required");
        }
        var redeem = await server.Client.PostJsonAsync("/api/v1/me/redemptions", new { reward_id = "rwd_x" });
        redeem.Status.ShouldBe(HttpStatusCode.Unauthorized, redeem.Raw);

        var anonymous = await server.ClientWithKey(null).GetJsonAsync("/api/v1/me");
        anonymous.Status.ShouldBe(HttpStatusCode.Unauthorized, anonymous.Raw);

        // An API key dressed up as a signature is just a wrong signature.
        var dressed = await MemberClient(server, server.ProgramId, "shop-9", Now, server.AdminKey).GetJsonAsync("/api/v1/me");
        dressed.Status.ShouldBe(HttpStatusCode.Unauthorized, dressed.Raw);
    }

    [Theory, DatabaseData]
    public async Task A_program_without_member_secrets_admits_nobody(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await NewShopCustomerAsync(server.Client, "shop-3");
        var r = await SignedIn(server, server.ProgramId, "msk_guess", "shop-3").GetJsonAsync("/api/v1/me");
        r.Status.ShouldBe(HttpStatusCode.Unauthorized, r.Raw);
        var malformed = await MemberClient(server, server.ProgramId, "shop-3", Now, "zz").GetJsonAsync("/api/v1/me");
        malformed.Status.ShouldBe(HttpStatusCode.Unauthorized, malformed.Raw);
    }
}
