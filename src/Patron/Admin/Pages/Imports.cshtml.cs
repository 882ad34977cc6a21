using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Patron.Cli;

namespace Patron.Dashboard.Pages;

/// <summary>
/// Imports and exports (owners): upload a customer CSV, imported in the background by the same code as
/// <c>patron import customers</c>, with a page that follows its progress and shows the final report; and
/// downloads of the customers or the ledger as CSV, streamed page by page as <c>patron export</c> writes them.
/// </summary>
[Authorize(Policy = AdminAuth.OwnerPolicy)]
[RequestSizeLimit(AdminImports.MaxUploadBytes + 64 * 1024)]
[RequestFormLimits(MultipartBodyLengthLimit = AdminImports.MaxUploadBytes + 64 * 1024)]
public sealed class ImportsModel(AdminImports imports, Storage.Database database) : AdminPage
{
    public List<ImportJob> Jobs { get; private set; } = [];

    /// <summary>The import this page follows, when it is opened at <c>/admin/imports/{id}</c>.</summary>
    public ImportJob? Job { get; private set; }

    public IActionResult OnGet(string? id)
    {
        var programId = Actor.ProgramId;
        if (id is not null)
        {
            Job = imports.Find(programId, id);
            if (Job is null)
            {
                return NotFound();
            }
            if (!Job.Finished)
            {
                // Without JavaScript the browser reloads the page itself until the import is done.
                Response.Headers["Refresh"] = "1";
            }
            return Page();
        }
        Jobs = imports.List(programId);
        return Page();
    }

    public async Task<IActionResult> OnPostImportAsync(IFormFile? file, bool updateExisting, bool dryRun)
    {
        Jobs = imports.List(Actor.ProgramId);
        if (file is null || file.Length == 0)
        {
            return Refuse("Choose a CSV file of customers to import.");
        }
        if (file.Length > AdminImports.MaxUploadBytes)
        {
            return Refuse($"The file is larger than {AdminImports.MaxUploadBytes / (1024 * 1024)} MB: import it with `patron import customers` on the server.");
        }
        var path = Path.Combine(Path.GetTempPath(), "patron-import-" + Guid.NewGuid().ToString("N") + ".csv");
        await using (var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
        {
            await file.CopyToAsync(target, HttpContext.RequestAborted);
        }
        var name = Path.GetFileName(file.FileName) is { Length: > 0 and <= 200 } n ? n : "customers.csv";
        var job = imports.Start(Actor, name, path, updateExisting, dryRun);
        return Redirect("/admin/imports/" + job.Id);
    }

    /// <summary>A CSV download, written to the response page by page (keyset paging): memory stays flat at any size.</summary>
    public async Task<IActionResult> OnGetExportAsync(string? what)
    {
        var programId = Actor.ProgramId;
        var ledger = what == "ledger";
        var name = $"{(ledger ? "ledger" : "customers")}-{programId}-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.csv";
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        Response.Headers.CacheControl = "private, no-store";
        await using var output = new StreamWriter(Api.DurableWriteStream.For(HttpContext), new System.Text.UTF8Encoding(false), 64 * 1024);
        if (ledger)
        {
            await ImportExport.ExportLedgerAsync(database, programId, output);
        }
        else
        {
            await ImportExport.ExportCustomersAsync(database, programId, output);
        }
        await output.FlushAsync(HttpContext.RequestAborted);
        return new EmptyResult();
    }
}
