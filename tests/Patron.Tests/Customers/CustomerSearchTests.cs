using System.Net;
using System.Text.RegularExpressions;
using Patron.Tests.Cli;
using Patron.Tests.Dashboard;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Customers;

/// <summary>
/// Customer search by part of a name, email or phone (docs/API.md, Customers; the dashboard's customer list)
/// through the trigram index (migration 0023): it finds exactly the customers a plain substring match finds.
/// </summary>
public sealed class CustomerSearchTests
{
    private const string Customers = "/api/v1/customers";

    private sealed record Person(string Id, string? FirstName, string? LastName, string? Email, string? Phone)
    {
        /// <summary>What the search has always matched: part of the name or email in any case (the API's search=).</summary>
        public bool NameOrEmailContains(string term) =>
            string.Join(' ', new[] { FirstName, LastName, Email }.Where(s => !string.IsNullOrEmpty(s)))
                .Contains(term, StringComparison.OrdinalIgnoreCase);

        /// <summary>The dashboard's search also matches part of the phone.</summary>
        public bool Contains(string term) => NameOrEmailContains(term) || (Phone?.Contains(term, StringComparison.OrdinalIgnoreCase) ?? false);
    }

    private static readonly string[] Terms =
        ["love", "LOVE", "Ada", "ad", "a", "example.com", "EXAMPLE", "navy.mil", "7700", "+44", "900", "12", "1", "%", "_",
         "100%", "sure_", "r_s", "ce lo", "grace hop", "ndré", "ANDRÉ", "o'b", "\"q\"", "zzz", "@"];

    private static async Task<List<Person>> SeedAsync(HttpClient client)
    {
        var people = new List<Person>();
        async Task Add(string? first, string? last, string? email, string? phone)
        {
            var created = await client.PostJsonAsync(Customers, new { first_name = first, last_name = last, email, phone });
            created.Status.ShouldBe(HttpStatusCode.Created);
            people.Add(new Person(created.Str("id"), first, last, created["email"].GetString(), created["phone"].GetString()));
        }
        await Add("Ada", "Lovelace", "countess@example.com", "+447700900123");
        await Add("Grace", "Hopper", "grace@navy.mil", "+12025550100");
        await Add("100%", "Sure_", "p@example.com", null);
        await Add("Rose", "Tyler", "rs@example.org", "+447700900999");
        await Add("André", "Müller", "andre@example.de", null);
        await Add("Sean", "O'Brien", null, "+35312345678");
        await Add("\"Q\"", null, "q@example.com", null);
        await Add(null, null, null, "+33612121212");
        return people;
    }

    private static async Task<List<string>> ApiSearchAsync(HttpClient client, string term) =>
        (await client.AllAsync($"{Customers}?search={Uri.EscapeDataString(term)}")).Select(c => c.GetProperty("id").GetString()!).ToList();

    private static async Task<List<string>> DashboardSearchAsync(AdminSession owner, string term, IEnumerable<Person> people)
    {
        var (status, html, _) = await owner.GetAsync($"/admin/customers?q={Uri.EscapeDataString(term)}");
        status.ShouldBe(HttpStatusCode.OK, term);
        return people.Where(p => html.Contains($"/admin/customers/{p.Id}", StringComparison.Ordinal)).Select(p => p.Id).ToList();
    }

    private static void ShouldFindExactly(List<string> found, IEnumerable<Person> people, Func<Person, bool> matches, string term) =>
        found.Order().ShouldBe(people.Where(matches).Select(p => p.Id).Order(), $"search '{term}'");

    [Theory, DatabaseData]
    public async Task The_api_search_finds_exactly_the_customers_whose_name_or_email_contains_the_term_in_any_case(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var people = await SeedAsync(server.Client);

        foreach (var term in Terms)
        {
            ShouldFindExactly(await ApiSearchAsync(server.Client, term), people, p => p.NameOrEmailContains(term), term);
        }
        (await ApiSearchAsync(server.Client, "lovelace")).ShouldBe([people[0].Id]);
        (await ApiSearchAsync(server.Client, "%")).ShouldBe([people[2].Id]);
        (await ApiSearchAsync(server.Client, "r_s")).ShouldBeEmpty();
    }

    [Theory, DatabaseData]
    public async Task The_dashboard_search_finds_exactly_the_customers_whose_name_email_or_phone_contains_the_term(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var people = await SeedAsync(server.Client);
        await AdminSession.CreateUserAsync(server, "owner@example.com", "owner");
        using var owner = await AdminSession.SignInAsync(server, "owner@example.com");

        foreach (var term in Terms)
        {
            ShouldFindExactly(await DashboardSearchAsync(owner, term, people), people, p => p.Contains(term), term);
        }
        (await DashboardSearchAsync(owner, "0900", people)).Order().ShouldBe(new[] { people[0].Id, people[3].Id }.Order());
    }

    [Theory, DatabaseData]
    public async Task A_changed_name_email_or_phone_is_found_by_its_new_value_only_and_an_erased_customer_never(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var people = await SeedAsync(server.Client);
        await AdminSession.CreateUserAsync(server, "owner@example.com", "owner");
        using var owner = await AdminSession.SignInAsync(server, "owner@example.com");
        var ada = people[0].Id;

        (await server.Client.PatchJsonAsync($"{Customers}/{ada}",
            new { first_name = "Augusta", email = "byron@example.net", phone = "+441632960001" })).Code.ShouldBe(200);

        (await ApiSearchAsync(server.Client, "countess")).ShouldBeEmpty();
        (await ApiSearchAsync(server.Client, "AUGUSTA")).ShouldBe([ada]);
        (await ApiSearchAsync(server.Client, "byron@")).ShouldBe([ada]);
        (await ApiSearchAsync(server.Client, "lovelace")).ShouldBe([ada]);
        (await DashboardSearchAsync(owner, "1632960", people)).ShouldBe([ada]);
        (await DashboardSearchAsync(owner, "7700900123", people)).ShouldBeEmpty();

        (await server.Client.DeleteJsonAsync($"{Customers}/{ada}")).Code.ShouldBe(200);

        foreach (var term in new[] { "augusta", "lovelace", "byron", "1632960", "au", "by" })
        {
            (await ApiSearchAsync(server.Client, term)).ShouldNotContain(ada, term);
            (await DashboardSearchAsync(owner, term, people)).ShouldNotContain(ada, term);
        }
        // The other customers are still found as before.
        (await ApiSearchAsync(server.Client, "example.com")).Order().ShouldBe(new[] { people[2].Id, people[6].Id }.Order());
    }

    [Theory, DatabaseData]
    public async Task Customers_of_a_bulk_import_are_found_by_part_of_their_name_email_or_phone(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        await AdminSession.CreateUserAsync(server, "owner@example.com", "owner");
        using var owner = await AdminSession.SignInAsync(server, "owner@example.com");
        var lines = new List<string> { "external_id,email,phone,first_name,last_name" };
        lines.AddRange(Enumerable.Range(0, 300).Select(i => $"imp-{i},imported{i}@example.com,+4930{i:D7},Imported,Person {i}"));
        var file = await server.WriteFileAsync("customers.csv", lines);

        var run = await server.CliAsync("import", "customers", file, "--program", server.ProgramId);

        run.Exit.ShouldBe(0, run.Output);
        var all = await server.Client.AllAsync(Customers);
        all.Count.ShouldBe(300);
        string IdOf(int i) => all.Single(c => c.GetProperty("external_id").GetString() == $"imp-{i}").GetProperty("id").GetString()!;
        (await ApiSearchAsync(server.Client, "imported123@")).ShouldBe([IdOf(123)]);
        (await ApiSearchAsync(server.Client, "PERSON 29")).Order().ShouldBe(Enumerable.Range(290, 10).Prepend(29).Select(IdOf).Order());
        (await DashboardSearchAsync(owner, "0000277", all.Select(c =>
            new Person(c.GetProperty("id").GetString()!, null, null, null, null)))).ShouldBe([IdOf(277)]);
    }
    [Theory, DatabaseData]
    public async Task The_dashboard_pages_through_a_term_most_customers_match_newest_first_each_customer_once(string database)
    {
        await using var server = await PatronServer.StartAsync(database);
        var ids = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            ids.Add((await server.Client.PostJsonAsync(Customers, new { email = $"many{i}@example.com", first_name = i % 3 == 0 ? "Other" : "Many" })).Str("id"));
        }
        await AdminSession.CreateUserAsync(server, "owner@example.com", "owner");
        using var owner = await AdminSession.SignInAsync(server, "owner@example.com");
        var people = ids.Select(id => new Person(id, null, null, null, null)).ToList();

        var seen = new List<string>();
        string? after = null;
        do
        {
            var (status, html, _) = await owner.GetAsync($"/admin/customers?q=MANY{(after is null ? "" : $"&starting_after={after}")}");
            status.ShouldBe(HttpStatusCode.OK);
            seen.AddRange(people.Where(p => html.Contains($"/admin/customers/{p.Id}", StringComparison.Ordinal)).Select(p => p.Id)
                .OrderBy(id => html.IndexOf($"/admin/customers/{id}", StringComparison.Ordinal)));
            var next = Regex.Match(html, "starting_after=([A-Za-z0-9_]+)");
            after = next.Success ? next.Groups[1].Value : null;
        }
        while (after is not null && seen.Count < 100);

        seen.ShouldBe(ids.AsEnumerable().Reverse().ToList());
        (await DashboardSearchAsync(owner, "other", people)).Order().ShouldBe(ids.Where((_, i) => i % 3 == 0).Order());
    }
}
