using System.Collections.Concurrent;
using System.Text;
using Patron.Cli;
using Patron.Domain;
using Patron.Storage;

namespace Patron.Dashboard;

/// <summary>
/// Customer imports started from the dashboard's Imports page: each runs in the background through the same
/// code as <c>patron import customers</c> (<see cref="ImportExport.ImportCustomersAsync"/>), and its progress
/// and final report are kept in this process's memory for the page to show (the newest <see cref="Kept"/>;
/// a restart forgets them, and stops an import that is running: the rows written stay written).
/// </summary>
public sealed class AdminImports(IWritePath writes, ILogger<AdminImports> logger)
{
    public const int Kept = 50;

    /// <summary>An upload larger than this is refused; a larger file goes through <c>patron import customers</c>.</summary>
    public const long MaxUploadBytes = 100L * 1024 * 1024;

    private readonly ConcurrentDictionary<string, ImportJob> _jobs = new(StringComparer.Ordinal);

    public ImportJob Start(StaffActor actor, string fileName, string path, bool updateExisting, bool dryRun)
    {
        var job = new ImportJob(Ids.New("imp_"), actor.ProgramId, actor.Email, fileName, dryRun, DateTimeOffset.UtcNow);
        _jobs[job.Id] = job;
        foreach (var old in _jobs.Values.OrderByDescending(j => j.StartedAt).Skip(Kept))
        {
            if (old.Finished)
            {
                _jobs.TryRemove(old.Id, out _);
            }
        }
        var options = new ImportExport.ImportOptions(dryRun, updateExisting, null, actor.Audit, actor.CreatedBy);
        job.Task = Task.Run(async () =>
        {
            try
            {
                var result = await ImportExport.ImportCustomersAsync(writes, actor.ProgramId, path, job.Messages,
                    (fraction, rows) => job.Progress(fraction, rows), options);
                job.Finish(result, null);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A malformed file is refused whole before its first row is written (Csv.MalformedException).
                logger.LogWarning("A dashboard import stopped: {Error}", e.GetType().Name);
                job.Finish(null, e is Csv.MalformedException or IOException ? e.Message : "The import stopped on an error; see the server log.");
            }
            finally
            {
                try
                {
                    File.Delete(path);
                }
                catch (IOException)
                {
                }
            }
        });
        return job;
    }

    public ImportJob? Find(string programId, string id) =>
        _jobs.TryGetValue(id, out var job) && job.ProgramId == programId ? job : null;

    public List<ImportJob> List(string programId) =>
        [.. _jobs.Values.Where(j => j.ProgramId == programId).OrderByDescending(j => j.StartedAt)];
}

/// <summary>One dashboard import: how far it is, and at the end what it did.</summary>
public sealed class ImportJob(string id, string programId, string startedBy, string fileName, bool dryRun, DateTimeOffset startedAt)
{
    private double _fraction;
    private long _rows;

    public string Id { get; } = id;
    public string ProgramId { get; } = programId;
    public string StartedBy { get; } = startedBy;
    public string FileName { get; } = fileName;
    public bool DryRun { get; } = dryRun;
    public DateTimeOffset StartedAt { get; } = startedAt;
    public DateTimeOffset? FinishedAt { get; private set; }
    public ImportExport.ImportResult? Result { get; private set; }

    /// <summary>Why the whole file was refused or the import stopped, or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>The importer's notes and each refused or conflicting row, as the command line prints them.</summary>
    public CappedLines Messages { get; } = new(1_000);

    internal Task Task { get; set; } = Task.CompletedTask;

    public bool Finished => FinishedAt is not null;
    public double Fraction => Volatile.Read(ref _fraction);
    public long Rows => Interlocked.Read(ref _rows);

    internal void Progress(double fraction, long rows)
    {
        Volatile.Write(ref _fraction, fraction);
        Interlocked.Exchange(ref _rows, rows);
    }

    internal void Finish(ImportExport.ImportResult? result, string? failure)
    {
        Result = result;
        Failure = failure;
        if (result is not null)
        {
            Progress(1, result.Created + result.Updated);
        }
        FinishedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>Waits for the import to end (tests).</summary>
    public Task WaitAsync() => Task;
}

/// <summary>A text writer that keeps the first lines written to it and counts the rest.</summary>
public sealed class CappedLines(int max) : TextWriter
{
    private readonly List<string> _lines = [];
    private readonly StringBuilder _current = new();
    private long _dropped;

    public override Encoding Encoding => Encoding.UTF8;

    public long Dropped
    {
        get
        {
            lock (_lines)
            {
                return _dropped;
            }
        }
    }

    public List<string> Lines()
    {
        lock (_lines)
        {
            return [.. _lines];
        }
    }

    public override void Write(char value)
    {
        lock (_lines)
        {
            if (value == '\n')
            {
                Add(_current.ToString().TrimEnd('\r'));
                _current.Clear();
            }
            else
            {
                _current.Append(value);
            }
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_lines)
        {
            _current.Append(value);
            Add(_current.ToString());
            _current.Clear();
        }
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    private void Add(string line)
    {
        if (_lines.Count < max)
        {
            _lines.Add(line);
        }
        else
        {
            _dropped++;
        }
    }
}
