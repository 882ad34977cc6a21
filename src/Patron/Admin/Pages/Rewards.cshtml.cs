using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Patron.Domain;
using Patron.Operations.RewardsAndRedemptions;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

/// <summary>
/// The program's rewards: the list (owners and staff), and for owners a new reward, a change to one, and
/// a voucher pool CSV upload with its report (codes added, duplicates, invalid lines). Every change is a
/// core operation (<see cref="RewardOperations"/>, <see cref="VoucherOperations"/>) audited with the staff user.
/// </summary>
public sealed class RewardsModel(Database database, IWritePath writes) : AdminPage
{
    /// <summary>The largest voucher file the page takes.</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>Invalid lines listed in a report; the count is always complete.</summary>
    public const int ShownInvalidLines = 100;

    public List<RewardDto> Rows { get; private set; } = [];

    public string? Next { get; private set; }

    /// <summary>The pool rewards codes can be uploaded to.</summary>
    public List<RewardDto> PoolRewards { get; private set; } = [];

    /// <summary>The reward being changed (<c>?edit=</c>), owners only.</summary>
    public RewardDto? Editing { get; private set; }

    public UploadReport? Report { get; private set; }

    public sealed record UploadReport(string RewardName, int Added, int DuplicateCount, List<string> Duplicates,
        int InvalidCount, List<InvalidCodeLine> InvalidLines);

    public async Task OnGetAsync([FromQuery(Name = "starting_after")] string? startingAfter, string? edit)
    {
        await LoadAsync(Cursor(startingAfter));
        if (Actor.IsOwner && Cursor(edit) is { } id)
        {
            Editing = await RewardQueries.FindAsync(database, Actor.ProgramId, id);
        }
    }

    public async Task<IActionResult> OnPostCreateAsync(
        string? name, string? type, string? pointsCost, string? value, string? codeSource, string? description)
    {
        if (!Owner())
        {
            return await PageAsync();
        }
        if (!TryNumbers(pointsCost, value, out var cost, out var amount))
        {
            return await RefuseAsync("Points cost must be a whole number and value a number such as 5 or 2.50.");
        }
        var settings = new RewardSettings(Name: name, Description: description, Type: type, Value: amount, PointsCost: cost,
            CodeSource: string.IsNullOrEmpty(codeSource) ? null : codeSource);
        var staff = Actor.Audit;
        var programId = Actor.ProgramId;
        RewardDto? created = null;
        if (!await TryAsync(async () =>
            {
                var draft = RewardOperations.Draft(settings);
                created = await writes.RunAsync(context => RewardOperations.CreateAsync(context, staff, programId, draft));
            }))
        {
            return await PageAsync();
        }
        Notice = $"Reward '{created!.Name}' created.";
        return Redirect("/admin/rewards");
    }

    public async Task<IActionResult> OnPostUpdateAsync(
        string? id, string? name, string? pointsCost, string? value, string? description, string? enabled)
    {
        if (!Owner())
        {
            return await PageAsync();
        }
        if (!TryNumbers(pointsCost, value, out var cost, out var amount))
        {
            return await RefuseAsync("Points cost must be a whole number and value a number such as 5 or 2.50.");
        }
        var settings = new RewardSettings(Name: name, Description: description ?? "", Value: amount, PointsCost: cost,
            Enabled: enabled == "on");
        var staff = Actor.Audit;
        var programId = Actor.ProgramId;
        if (id is null || !await TryAsync(() => writes.RunAsync(context => RewardOperations.UpdateAsync(context, staff, programId, id, settings))))
        {
            Error ??= "No such reward.";
            return await PageAsync();
        }
        Notice = "Reward saved.";
        return Redirect("/admin/rewards");
    }

    public async Task<IActionResult> OnPostUploadAsync(string? rewardId, IFormFile? file)
    {
        if (!Owner())
        {
            return await PageAsync();
        }
        if (string.IsNullOrEmpty(rewardId))
        {
            return await RefuseAsync("Choose the reward whose pool the codes are for.");
        }
        if (file is null || file.Length == 0)
        {
            return await RefuseAsync("Choose a CSV file with one code per line.");
        }
        if (file.Length > MaxFileBytes)
        {
            return await RefuseAsync($"The file is larger than {MaxFileBytes / (1024 * 1024)} MB; split it.");
        }
        string text;
        try
        {
            using var reader = new StreamReader(file.OpenReadStream(), new UTF8Encoding(false, true));
            text = await reader.ReadToEndAsync();
        }
        catch (DecoderFallbackException)
        {
            return await RefuseAsync("The file is not UTF-8 text.");
        }
        var staff = Actor.Audit;
        var programId = Actor.ProgramId;
        VoucherFile? parsed = null;
        Vouchers.ImportResult? result = null;
        string? rewardName = null;
        var done = await TryAsync(async () =>
        {
            parsed = VoucherOperations.ReadFile(text);
            var reward = await RewardQueries.GetAsync(database, programId, rewardId);
            rewardName = reward.Name;
            if (parsed.Codes.Count > 0)
            {
                result = await writes.RunAsync(context => VoucherOperations.ImportAsync(context, staff, programId, rewardId, parsed.Codes));
            }
        });
        if (done)
        {
            Report = new UploadReport(rewardName!, result?.Imported ?? 0, result?.DuplicateCount ?? 0, result?.Duplicates ?? [],
                parsed!.InvalidLines.Count, [.. parsed.InvalidLines.Take(ShownInvalidLines)]);
        }
        return await PageAsync();
    }

    private bool Owner()
    {
        if (Actor.IsOwner)
        {
            return true;
        }
        Error = "Only an owner of the program may change rewards.";
        Response.StatusCode = 403;
        return false;
    }

    private static bool TryNumbers(string? pointsCost, string? value, out long? cost, out decimal? amount)
    {
        cost = null;
        amount = null;
        if (!string.IsNullOrWhiteSpace(pointsCost))
        {
            if (!long.TryParse(pointsCost.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c))
            {
                return false;
            }
            cost = c;
        }
        if (!string.IsNullOrWhiteSpace(value))
        {
            if (!decimal.TryParse(value.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var v))
            {
                return false;
            }
            amount = v;
        }
        return true;
    }

    private async Task<IActionResult> RefuseAsync(string message)
    {
        await LoadAsync(null);
        return Refuse(message);
    }

    private async Task<IActionResult> PageAsync()
    {
        await LoadAsync(null);
        return Page();
    }

    private async Task LoadAsync(string? after)
    {
        var programId = Actor.ProgramId;
        var list = await database.ReadAsync(sql =>
            RewardOperations.ListAsync(sql, programId, new Paging(PageSize, 1, after), enabled: null));
        Rows = list.Data;
        Next = list.HasMore && Rows.Count > 0 ? Rows[^1].Id : null;
        if (Actor.IsOwner)
        {
            var pools = await database.ReadAsync(sql => RewardOperations.ListAsync(sql, programId, new Paging(200, 1, null), enabled: null));
            PoolRewards = [.. pools.Data.Where(r => r.CodeSource == RewardTypes.Pool)];
        }
    }
}
