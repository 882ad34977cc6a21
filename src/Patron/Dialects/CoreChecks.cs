using Patron.Domain;

namespace Patron.Dialects;

/// <summary>
/// A core operation's input check run for a dialect: the check exists once, in the core, and its refusal
/// names the dialect's own field (<c>amount</c> where the core says <c>total</c>).
/// </summary>
public static class CoreChecks
{
    /// <summary>Runs <paramref name="check"/>; a refusal of a core field in <paramref name="names"/> is raised again under the dialect's name.</summary>
    public static void Run(Action check, params (string Core, string Dialect)[] names)
    {
        try
        {
            check();
        }
        catch (OperationException e) when (e.Param is { } param && names.Any(n => n.Core == param))
        {
            var dialect = names.First(n => n.Core == param).Dialect;
            throw new OperationException(e.Kind, e.Code, e.Message.Replace(param, dialect, StringComparison.Ordinal), dialect);
        }
    }
}
