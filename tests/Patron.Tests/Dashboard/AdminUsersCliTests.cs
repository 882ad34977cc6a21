using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Patron.Operations.StaffAccounts;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Dashboard;

/// <summary><c>patron users create|list|set-password</c> (docs/ADMIN.md), beside a running server, and signing in with the result.</summary>
public sealed class AdminUsersCliTests
{
    private static Task<CliRun> UsersAsync(PatronServer server, string? stdin, params string[] args) =>
        PatronCliProcess.RunAsync(server.DataDir, ["users", .. args, .. server.DatabaseArgs], stdin);

    [Theory, DatabaseData]
    public async Task Users_create_reads_the_password_from_stdin_stores_only_its_hash_and_the_owner_signs_in(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var created = await UsersAsync(server, AdminSession.Password + "\n",
            "create", "--email", "Owner@Example.com", "--role", "owner", "--password-stdin");

        created.Exit.ShouldBe(0, created.Output);
        created.LastLine.ShouldStartWith("stf_");
        created.Stdout.ShouldNotContain(AdminSession.Password);
        var row = (await StaffAccountQueries.ByIdAsync(server.App.Services.GetRequiredService<Database>(), created.LastLine))!;
        row.Email.ShouldBe("owner@example.com");
        row.Role.ShouldBe("owner");
        row.ProgramId.ShouldBe(server.ProgramId);
        row.PasswordHash.ShouldNotContain(AdminSession.Password);
        row.PasswordHash.ShouldStartWith("AQAAAA", customMessage: "an ASP.NET Core Identity v3 (PBKDF2) hash");

        using var session = await AdminSession.SignInAsync(server, "owner@example.com");
        var overview = await session.GetAsync("/admin");
        overview.Status.ShouldBe(HttpStatusCode.OK);
        overview.Html.ShouldContain("<h1>Overview</h1>");

        var list = await UsersAsync(server, null, "list");
        list.Exit.ShouldBe(0, list.Output);
        list.Stdout.ShouldContain($"{created.LastLine}\towner@example.com\towner\tactive");
    }

    [Theory, DatabaseData]
    public async Task Users_create_refuses_a_short_password_a_bad_role_and_a_taken_email(string database)
    {
        await using var server = await PatronServer.StartAsync(database);

        var shortPassword = await UsersAsync(server, "short\n", "create", "--email", "a@example.com", "--role", "staff", "--password-stdin");
        shortPassword.Exit.ShouldBe(2, shortPassword.Output);
        shortPassword.Stderr.ShouldContain("at least 10 characters");

        var badRole = await UsersAsync(server, AdminSession.Password + "\n", "create", "--email", "a@example.com", "--role", "boss", "--password-stdin");
        badRole.Exit.ShouldBe(2, badRole.Output);
        badRole.Stderr.ShouldContain("--role must be owner or staff");

        var noTerminal = await UsersAsync(server, "", "create", "--email", "a@example.com", "--role", "staff");
        noTerminal.Exit.ShouldBe(2, noTerminal.Output);
        noTerminal.Stderr.ShouldContain("--password-stdin");

        var first = await UsersAsync(server, AdminSession.Password + "\n", "create", "--email", "a@example.com", "--role", "staff", "--password-stdin");
        first.Exit.ShouldBe(0, first.Output);
        var again = await UsersAsync(server, AdminSession.Password + "\n", "create", "--email", "A@example.com", "--role", "owner", "--password-stdin");
        again.Exit.ShouldBe(1, again.Output);
        again.Stderr.ShouldContain("already exists");

        var list = await UsersAsync(server, null, "list");
        CliRun.Lines(list.Stdout).Length.ShouldBe(1, list.Output);
    }

    [Theory, DatabaseData]
    public async Task Set_password_signs_out_every_session_signed_in_before_and_the_new_password_works(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await AdminSession.CreateUserAsync(server, "staff@example.com", StaffRoles.Staff);
        using var before = await AdminSession.SignInAsync(server, "staff@example.com");
        (await before.GetAsync("/admin/customers")).Status.ShouldBe(HttpStatusCode.OK);

        var changed = await UsersAsync(server, "a brand new password\n", "set-password", "--email", "staff@example.com", "--password-stdin");

        changed.Exit.ShouldBe(0, changed.Output);
        var stale = await before.GetAsync("/admin/customers");
        stale.Status.ShouldBe(HttpStatusCode.Redirect);
        stale.Location!.ShouldContain("/admin/login");
        using var old = new AdminSession(server);
        var refused = await old.SubmitAsync("/admin/login", "/admin/login", new() { ["email"] = "staff@example.com", ["password"] = AdminSession.Password });
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var after = await AdminSession.SignInAsync(server, "staff@example.com", "a brand new password");
        (await after.GetAsync("/admin/customers")).Status.ShouldBe(HttpStatusCode.OK);
    }
}
