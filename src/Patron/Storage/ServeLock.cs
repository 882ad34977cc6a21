using Microsoft.Data.Sqlite;

namespace Patron.Storage;

/// <summary>
/// One server per SQLite folder: <c>serve</c> holds an exclusive lock on <c>serve.lock</c> beside the
/// database for as long as it runs; the operating system lets go of it when the process ends, however it
/// ends. A second <c>serve</c> on the folder is refused; the other verbs (import, export, keys, ...) do
/// not take the lock and work beside the server. PostgreSQL needs no such lock: several servers may share
/// one database (docs/CONFIGURATION.md).
/// </summary>
public static class ServeLock
{
    public const string FileName = "serve.lock";

    /// <returns>The held lock (dispose to release), or null on PostgreSQL.</returns>
    public static IDisposable? Take(Database database)
    {
        if (!database.IsSqlite)
        {
            return null;
        }
        var folder = Path.GetDirectoryName(new SqliteConnectionStringBuilder(database.ConnectionString).DataSource)!;
        var path = Path.Combine(folder, FileName);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new InvalidOperationException(
                $"Another Patron server is already serving {folder} (it holds {path}). Stop it first, or give this one its own folder with --data.");
        }
    }
}
