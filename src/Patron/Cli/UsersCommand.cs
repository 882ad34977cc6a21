using System.CommandLine;
using System.Text;
using Patron.Domain;
using Patron.Operations.StaffAccounts;
using Patron.Storage;

namespace Patron.Cli;

/// <summary>
/// <c>patron users create|list|set-password</c>: the admin dashboard's staff accounts (docs/ADMIN.md).
/// The password is typed at a prompt (not echoed) or read from the first line of standard input with
/// <c>--password-stdin</c>; it is never an argument, which other users of the machine could read.
/// </summary>
public static class UsersCommand
{
    /// <summary>The command <c>serve</c> prints while no staff user exists.</summary>
    public const string FirstOwnerCommand = "patron users create --email you@example.com --role owner";

    public static Command Build(Func<Task<Database>> readyDatabase, Func<Database, IWritePath> writePath, Func<Option<string>> dataOption) =>
        new("users", "Manage the admin dashboard's staff accounts.")
        {
            CreateCommand(readyDatabase, writePath, dataOption),
            ListCommand(readyDatabase, dataOption),
            SetPasswordCommand(readyDatabase, writePath, dataOption),
        };

    /// <summary><c>patron users create</c>: a new account with a role, in a program.</summary>
    private static Command CreateCommand(Func<Task<Database>> readyDatabase, Func<Database, IWritePath> writePath, Func<Option<string>> dataOption)
    {
        var email = new Option<string>("--email") { Description = "The staff user's email, used to sign in.", Required = true };
        var role = new Option<string>("--role") { Description = "owner (keys, webhooks, users, settings) or staff (customers, POS, orders).", Required = true };
        var program = new Option<string>("--program") { Description = "The program id (prog_...); may be left out when there is only one program." };
        var stdin = new Option<bool>("--password-stdin") { Description = "Read the password from the first line of standard input instead of a prompt." };
        var create = new Command("create", "Create a dashboard account; prints its id on the last line.") { email, role, program, stdin, dataOption() };
        create.TreatUnmatchedTokensAsErrors = false;
        create.SetAction(async (ParseResult parse, CancellationToken _) =>
        {
            if (!StaffRoles.IsValid(parse.GetValue(role)))
            {
                await Console.Error.WriteLineAsync("--role must be owner or staff.");
                return 2;
            }
            if (Contact.NormalizeEmail(parse.GetValue(email)) is null)
            {
                await Console.Error.WriteLineAsync("--email is not a valid email address.");
                return 2;
            }
            var password = await ReadPasswordAsync(parse.GetValue(stdin));
            if (password is null)
            {
                return 2;
            }
            using var database = await readyDatabase();
            var programId = await ImportExport.ResolveProgramAsync(database, parse.GetValue(program));
            try
            {
                var user = await StaffAccountOperations.CreateAsync(writePath(database), programId, parse.GetValue(email)!, parse.GetValue(role)!, password);
                Console.WriteLine($"Created {user.Role} {user.Email} of program {user.ProgramId}. Sign in at /admin.");
                Console.WriteLine(user.Id);
                return 0;
            }
            catch (OperationException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return e.Kind == ErrorKind.Conflict ? 1 : 2;
            }
        });
        return create;
    }

    /// <summary><c>patron users list</c>: a program's accounts, one a line.</summary>
    private static Command ListCommand(Func<Task<Database>> readyDatabase, Func<Option<string>> dataOption)
    {
        var listProgram = new Option<string>("--program") { Description = "The program id; may be left out when there is only one program." };
        var list = new Command("list", "List a program's dashboard accounts (never their passwords).") { listProgram, dataOption() };
        list.TreatUnmatchedTokensAsErrors = false;
        list.SetAction(async (ParseResult parse, CancellationToken _) =>
        {
            using var database = await readyDatabase();
            var programId = await ImportExport.ResolveProgramAsync(database, parse.GetValue(listProgram));
            foreach (var u in await StaffAccountQueries.ListAsync(database, programId))
            {
                Console.WriteLine($"{u.Id}\t{u.Email}\t{u.Role}\t{(u.DisabledAt is null ? "active" : "disabled")}");
            }
            return 0;
        });
        return list;
    }

    /// <summary><c>patron users set-password</c>: a new password, which signs out every session of the account.</summary>
    private static Command SetPasswordCommand(Func<Task<Database>> readyDatabase, Func<Database, IWritePath> writePath, Func<Option<string>> dataOption)
    {
        var who = new Option<string>("--email") { Description = "The staff user's email.", Required = true };
        var stdin2 = new Option<bool>("--password-stdin") { Description = "Read the new password from the first line of standard input." };
        var setPassword = new Command("set-password", "Set a new password; every session of that account is signed out.") { who, stdin2, dataOption() };
        setPassword.TreatUnmatchedTokensAsErrors = false;
        setPassword.SetAction(async (ParseResult parse, CancellationToken _) =>
        {
            var password = await ReadPasswordAsync(parse.GetValue(stdin2));
            if (password is null)
            {
                return 2;
            }
            using var database = await readyDatabase();
            var user = await StaffAccountQueries.ByEmailAsync(database, parse.GetValue(who)!);
            if (user is null)
            {
                await Console.Error.WriteLineAsync("No staff user with this email. See: patron users list");
                return 1;
            }
            try
            {
                await StaffAccountOperations.ChangePasswordAsync(writePath(database), user.Id, password);
            }
            catch (OperationException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }
            Console.WriteLine($"Password of {user.Email} changed; its sessions are signed out.");
            return 0;
        });
        return setPassword;
    }

    /// <returns>The password, or null after saying on standard error why there is none.</returns>
    private static async Task<string?> ReadPasswordAsync(bool fromStdin)
    {
        string? password;
        if (fromStdin)
        {
            password = (await Console.In.ReadLineAsync())?.TrimEnd('\r');
        }
        else if (Console.IsInputRedirected)
        {
            await Console.Error.WriteLineAsync("No terminal to prompt for a password: pass --password-stdin and write it to standard input.");
            return null;
        }
        else
        {
            password = Prompt("Password: ");
            if (password is not null && Prompt("Repeat it: ") != password)
            {
                await Console.Error.WriteLineAsync("The two passwords differ.");
                return null;
            }
        }
        if (StaffAccountOperations.PasswordRefusal(password) is { } refusal)
        {
            await Console.Error.WriteLineAsync(refusal);
            return null;
        }
        return password;
    }

    private static string? Prompt(string label)
    {
        Console.Error.Write(label);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return text.ToString();
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
