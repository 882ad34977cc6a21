using System.Net;
using System.Text.RegularExpressions;
using Patron.Operations.StaffAccounts;
using Patron.Storage;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Dashboard;

/// <summary>
/// A browser-like HTTP session on the admin dashboard: its own cookies, no automatic redirects, and forms
/// posted with the antiforgery token read from the page that holds them (as a browser would send it).
/// </summary>
internal sealed partial class AdminSession : IDisposable
{
    public const string Password = "correct horse battery";

    private readonly HttpClient _http;

    public CookieContainer Cookies { get; }

    public AdminSession(PatronServer server, CookieContainer? cookies = null)
    {
        Cookies = cookies ?? new CookieContainer();
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false })
        {
            BaseAddress = server.BaseAddress,
        };
    }

    [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    public static Task<StaffUser> CreateUserAsync(PatronServer server, string email, string role, string? programId = null) =>
        StaffAccountOperations.CreateAsync(server.WritePath, programId ?? server.ProgramId, email, role, Password);

    /// <summary>Signs in through the login form and checks that the overview opens.</summary>
    public static async Task<AdminSession> SignInAsync(PatronServer server, string email, string password = Password)
    {
        var session = new AdminSession(server);
        var answer = await session.SubmitAsync("/admin/login", "/admin/login", new() { ["email"] = email, ["password"] = password });
        answer.StatusCode.ShouldBe(HttpStatusCode.Redirect, await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        answer.Headers.Location!.OriginalString.ShouldBe("/admin");
        return session;
    }

    public async Task<(HttpStatusCode Status, string Html, string? Location)> GetAsync(string path)
    {
        using var answer = await _http.GetAsync(path, TestContext.Current.CancellationToken);
        return (answer.StatusCode, await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), answer.Headers.Location?.OriginalString);
    }

    /// <summary>Opens <paramref name="formPage"/>, takes its antiforgery token and posts the fields to <paramref name="action"/>.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string formPage, string action, Dictionary<string, string> fields)
    {
        var (status, html, _) = await GetAsync(formPage);
        status.ShouldBe(HttpStatusCode.OK, html);
        var token = TokenField().Match(html);
        token.Success.ShouldBeTrue("the form page carries an antiforgery token");
        return await PostAsync(action, new Dictionary<string, string>(fields) { ["__csrf"] = WebUtility.HtmlDecode(token.Groups[1].Value) });
    }

    /// <summary>Posts exactly the given fields (no token unless one is among them).</summary>
    public Task<HttpResponseMessage> PostAsync(string action, Dictionary<string, string> fields) =>
        _http.PostAsync(action, new FormUrlEncodedContent(fields), TestContext.Current.CancellationToken);

    public void Dispose() => _http.Dispose();
}
