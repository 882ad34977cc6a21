using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patron.Domain;

namespace Patron.Dashboard;

/// <summary>
/// A dashboard page: the signed-in staff user as the actor, and refusals of the core (bad input, a
/// blocked customer, too few points) shown on the page as a message rather than an error response.
/// </summary>
public abstract class AdminPage : PageModel
{
    public const int PageSize = 25;

    public StaffActor Actor => AdminAuth.Actor(User);

    /// <summary>What went wrong with the last form, shown in an alert.</summary>
    public string? Error { get; set; }

    /// <summary>What the last form did, carried over the redirect after a successful post.</summary>
    [TempData]
    public string? Notice { get; set; }

    /// <summary>Runs a change; a refusal of the core becomes <see cref="Error"/> and a 4xx status.</summary>
    protected async Task<bool> TryAsync(Func<Task> change)
    {
        try
        {
            await change();
            return true;
        }
        catch (OperationException e)
        {
            Error = e.Message;
            Response.StatusCode = e.Kind switch
            {
                ErrorKind.NotFound => 404,
                ErrorKind.Conflict => 409,
                ErrorKind.Forbidden => 403,
                ErrorKind.Unauthorized => 401,
                ErrorKind.Unprocessable => 422,
                _ => 400,
            };
            return false;
        }
    }

    /// <summary>A refusal found by the page itself, before the core is asked.</summary>
    protected PageResult Refuse(string message)
    {
        Error = message;
        Response.StatusCode = 400;
        return Page();
    }

    /// <summary>A <c>starting_after</c> cursor as the API takes it: a Patron id, else none.</summary>
    protected static string? Cursor(string? raw) =>
        raw is { Length: > 3 and <= 64 } && raw.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? raw : null;
}
