using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Patron.Dashboard;
using Patron.Operations.StaffAccounts;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Dashboard;

/// <summary>The dashboard's guards over HTTP (docs/ADMIN.md): sign-in, roles, antiforgery, throttling, retries.</summary>
public sealed class AdminSecurityTests
{
    [Theory, DatabaseData]
    public async Task Pages_need_a_session_and_send_a_visitor_to_the_login_form(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        using var visitor = new AdminSession(server);

        foreach (var path in new[] { "/admin", "/admin/customers", "/admin/pos", "/admin/keys" })
        {
            var answer = await visitor.GetAsync(path);
            answer.Status.ShouldBe(HttpStatusCode.Redirect, path);
            answer.Location!.ShouldContain("/admin/login");
        }
        // An API key is no dashboard session.
        using var withKey = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        withKey.DefaultRequestHeaders.Authorization = new("Bearer", server.AdminKey);
        using var keyed = await withKey.GetAsync("/admin/keys", TestContext.Current.CancellationToken);
        keyed.StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Theory, DatabaseData]
    public async Task A_staff_user_is_refused_the_owner_pages_with_403_and_an_owner_is_not(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await AdminSession.CreateUserAsync(server, "staff@example.com", StaffRoles.Staff);
        await AdminSession.CreateUserAsync(server, "owner@example.com", StaffRoles.Owner);
        using var staff = await AdminSession.SignInAsync(server, "staff@example.com");
        using var owner = await AdminSession.SignInAsync(server, "owner@example.com");

        foreach (var path in new[] { "/admin/keys", "/admin/webhooks", "/admin/users" })
        {
            (await staff.GetAsync(path)).Status.ShouldBe(HttpStatusCode.Forbidden, path);
            (await owner.GetAsync(path)).Status.ShouldBe(HttpStatusCode.OK, path);
        }
        foreach (var path in new[] { "/admin", "/admin/customers", "/admin/pos", "/admin/orders" })
        {
            (await staff.GetAsync(path)).Status.ShouldBe(HttpStatusCode.OK, path);
        }
        // A post to an owner form is refused too, and creates nothing.
        using var post = await staff.PostAsync("/admin/keys?handler=Create", new() { ["name"] = "sneaky", ["scope"] = "admin" });
        ((int)post.StatusCode).ShouldBeOneOf(400, 403);
        var keys = await server.App.Services.GetRequiredService<Database>().ReadAsync(sql =>
            sql.ScalarAsync("SELECT COUNT(*) FROM api_keys WHERE name = 'sneaky'"));
        Convert.ToInt64(keys).ShouldBe(0);
    }

    [Theory, DatabaseData]
    public async Task A_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await TestKit.NewCustomerAsync(server.Client, points: 10);
        await AdminSession.CreateUserAsync(server, "owner@example.com", StaffRoles.Owner);
        using var owner = await AdminSession.SignInAsync(server, "owner@example.com");

        using var noToken = await owner.PostAsync($"/admin/customers/{customer}?handler=Adjust",
            new() { ["points"] = "500", ["reason"] = "forged" });
        using var wrongToken = await owner.PostAsync($"/admin/customers/{customer}?handler=Adjust",
            new() { ["points"] = "500", ["reason"] = "forged", ["__csrf"] = "not-a-token" });

        noToken.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        wrongToken.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestKit.BalanceAsync(server.Client, customer)).ShouldBe(10);

        // The same form with its token goes through.
        using var real = await owner.SubmitAsync($"/admin/customers/{customer}", $"/admin/customers/{customer}?handler=Adjust",
            new() { ["points"] = "5", ["reason"] = "goodwill" });
        real.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await TestKit.BalanceAsync(server.Client, customer)).ShouldBe(15);
    }

    [Theory, DatabaseData]
    public async Task Five_wrong_passwords_throttle_sign_in_even_with_the_right_password(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await AdminSession.CreateUserAsync(server, "owner@example.com", StaffRoles.Owner);
        using var attacker = new AdminSession(server);

        for (var i = 0; i < LoginThrottle.MaxFailures; i++)
        {
            using var wrong = await attacker.SubmitAsync("/admin/login", "/admin/login",
                new() { ["email"] = "owner@example.com", ["password"] = $"wrong password {i}" });
            wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, $"attempt {i + 1}");
        }
        using var throttled = await attacker.SubmitAsync("/admin/login", "/admin/login",
            new() { ["email"] = "owner@example.com", ["password"] = AdminSession.Password });

        throttled.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        throttled.Headers.RetryAfter.ShouldNotBeNull();
        (await throttled.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("Too many wrong passwords");
        (throttled.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : []).ShouldNotContain(c => c.StartsWith("patron_admin=", StringComparison.Ordinal),
            "no session is issued while throttled");
    }

    [Theory, DatabaseData]
    public async Task An_adjust_form_sent_twice_posts_one_ledger_entry_with_the_staff_user_as_author(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await TestKit.NewCustomerAsync(server.Client);
        var staffUser = await AdminSession.CreateUserAsync(server, "staff@example.com", StaffRoles.Staff);
        using var staff = await AdminSession.SignInAsync(server, "staff@example.com");
        var (_, html, _) = await staff.GetAsync($"/admin/customers/{customer}");
        var reference = System.Text.RegularExpressions.Regex.Match(html, "name=\"reference\" value=\"([^\"]+)\"").Groups[1].Value;
        var token = System.Text.RegularExpressions.Regex.Match(html, "name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        reference.ShouldNotBeNullOrEmpty();
        var form = new Dictionary<string, string> { ["points"] = "40", ["reason"] = "missed visit", ["reference"] = reference, ["__csrf"] = token };

        using var first = await staff.PostAsync($"/admin/customers/{customer}?handler=Adjust", form);
        using var second = await staff.PostAsync($"/admin/customers/{customer}?handler=Adjust", form);

        first.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        second.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await TestKit.BalanceAsync(server.Client, customer)).ShouldBe(40);
        var ledger = await TestKit.LedgerAsync(server.Client, customer);
        ledger.Count.ShouldBe(1);
        var author = await server.App.Services.GetRequiredService<Database>().ReadAsync(sql =>
            sql.ScalarAsync("SELECT created_by FROM points_transactions WHERE customer_id = @c", ("c", customer)));
        author.ShouldBe(staffUser.Id);
    }

    [Theory, DatabaseData]
    public async Task A_redeem_form_sent_twice_at_the_till_spends_the_points_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await TestKit.NewCustomerAsync(server.Client, points: 100);
        var reward = await TestKit.CreatedIdAsync(server.Client, "/api/v1/rewards", new { name = "Coffee", type = "custom", points_cost = 30 });
        await AdminSession.CreateUserAsync(server, "staff@example.com", StaffRoles.Staff);
        using var staff = await AdminSession.SignInAsync(server, "staff@example.com");
        var (_, html, _) = await staff.GetAsync($"/admin/pos?find={customer}");
        var redeemId = System.Text.RegularExpressions.Regex.Match(html, "name=\"redeemId\" value=\"([^\"]+)\"").Groups[1].Value;
        var token = System.Text.RegularExpressions.Regex.Match(html, "name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        redeemId.ShouldNotBeNullOrEmpty();
        var form = new Dictionary<string, string> { ["customerId"] = customer, ["rewardId"] = reward, ["redeemId"] = redeemId, ["__csrf"] = token };

        using var first = await staff.PostAsync("/admin/pos?handler=Redeem", form);
        using var second = await staff.PostAsync("/admin/pos?handler=Redeem", form);
        form["redeemId"] = "";
        using var third = await staff.PostAsync("/admin/pos?handler=Redeem", form);

        first.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        second.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        third.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await TestKit.BalanceAsync(server.Client, customer)).ShouldBe(40, "the resent form redeemed once; a new form (here one without an id) redeems again");
    }

    [Theory, DatabaseData]
    public async Task Deducting_more_than_the_balance_is_refused_on_the_page_with_a_4xx(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var customer = await TestKit.NewCustomerAsync(server.Client, points: 10);
        await AdminSession.CreateUserAsync(server, "staff@example.com", StaffRoles.Staff);
        using var staff = await AdminSession.SignInAsync(server, "staff@example.com");

        using var answer = await staff.SubmitAsync($"/admin/customers/{customer}", $"/admin/customers/{customer}?handler=Adjust",
            new() { ["points"] = "-11", ["reason"] = "too much" });
        using var garbage = await staff.SubmitAsync($"/admin/customers/{customer}", $"/admin/customers/{customer}?handler=Adjust",
            new() { ["points"] = "ten", ["reason"] = "typo" });

        ((int)answer.StatusCode).ShouldBeInRange(400, 499);
        (await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("role=\"alert\"");
        garbage.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await TestKit.BalanceAsync(server.Client, customer)).ShouldBe(10);
    }
}
