using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Patron.Domain;
using Patron.Operations.EarnRulesAndCampaigns;
using Patron.Operations.VipTiers;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

/// <summary>What the earn rule form posts; empty number fields are "not given" (on an edit: left as they are).</summary>
public sealed class EarnRuleForm
{
    public string? Name { get; set; }
    public string? Type { get; set; }
    public string? Points { get; set; }
    public string? PointsPerUnit { get; set; }
    public string? Multiplier { get; set; }
    public string? LimitPeriod { get; set; }
    public string? LimitCount { get; set; }
    public string[] TierIds { get; set; } = [];
    public string? StartsAt { get; set; }
    public string? EndsAt { get; set; }
    public bool Enabled { get; set; }

    /// <summary>The form as the core's settings. Text fields posted empty clear (name, limit, dates, tiers).</summary>
    public EarnRuleSettings ToSettings() => new(
        Name: Name ?? "",
        Type: Type,
        Points: FormNumbers.Whole(Points, "points"),
        PointsPerUnit: FormNumbers.Decimal(PointsPerUnit, "points_per_unit"),
        Multiplier: FormNumbers.Decimal(Multiplier, "multiplier"),
        LimitPeriod: LimitPeriod ?? "",
        LimitCount: FormNumbers.Whole(LimitCount, "limit_count"),
        TierIds: TierIds,
        StartsAt: StartsAt ?? "",
        EndsAt: EndsAt ?? "",
        Enabled: Enabled);
}

/// <summary>
/// The program's earn rules and campaigns (docs/ADMIN.md): list (newest first, paged with <c>starting_after</c>),
/// create, edit and delete through <see cref="EarnRuleOperations"/>, audited with the staff user as the actor.
/// A campaign is a rule with a multiplier other than 1. Program settings: owners only, staff are refused.
/// </summary>
[Authorize(Policy = AdminAuth.OwnerPolicy)]
public sealed class EarnRulesModel(Database database, IWritePath writes) : AdminPage
{
    public ListEnvelope<EarnRuleDto> Rules { get; private set; } = new([], 1, PageSize, 0, false);

    /// <summary>The program's tiers, for a rule's tier filter.</summary>
    public List<VipTierDto> Tiers { get; private set; } = [];

    public EarnRuleDto? Editing { get; private set; }

    public EarnRuleForm? Posted { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? edit, [FromQuery(Name = "starting_after")] string? startingAfter)
    {
        if (edit is not null)
        {
            var programId = Actor.ProgramId;
            if (!await TryAsync(async () => Editing = await EarnRuleOperations.GetAsync(database, programId, edit)))
            {
                return NotFound();
            }
        }
        await LoadAsync(startingAfter);
        return Page();
    }

    public async Task<IActionResult> OnPostCreateAsync(EarnRuleForm form)
    {
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        EarnRuleDto? created = null;
        if (await TryAsync(async () =>
        {
            var row = EarnRuleOperations.Prepare(programId, form.ToSettings());
            created = await writes.RunAsync(context => EarnRuleOperations.CreateAsync(context, staff, row));
        }))
        {
            Notice = $"{(created!.Campaign ? "Campaign" : "Earn rule")} on '{created.Type}' created.";
            return Redirect("/admin/earn-rules");
        }
        Posted = form;
        await LoadAsync(null);
        return Page();
    }

    public async Task<IActionResult> OnPostUpdateAsync(string? id, EarnRuleForm form)
    {
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        if (await TryAsync(async () =>
        {
            var settings = form.ToSettings();
            await writes.RunAsync(context => EarnRuleOperations.UpdateAsync(context, staff, programId, id ?? "", settings));
        }))
        {
            Notice = "Earn rule saved.";
            return Redirect("/admin/earn-rules");
        }
        var (status, error) = (Response.StatusCode, Error);
        await TryAsync(async () => Editing = await EarnRuleOperations.GetAsync(database, programId, id ?? ""));
        (Response.StatusCode, Error) = (status, error);
        Posted = form;
        await LoadAsync(null);
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string? id)
    {
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        if (await TryAsync(() => writes.RunAsync(async context =>
        {
            await EarnRuleOperations.DeleteAsync(context, staff, programId, id ?? "");
            return true;
        })))
        {
            Notice = "Earn rule deleted.";
            return Redirect("/admin/earn-rules");
        }
        await LoadAsync(null);
        return Page();
    }

    private async Task LoadAsync(string? startingAfter)
    {
        var programId = Actor.ProgramId;
        Rules = await EarnRuleOperations.ListAsync(database, programId, new Paging(PageSize, 1, Cursor(startingAfter)));
        Tiers = (await VipTierOperations.ListAsync(database, programId, new Paging(100, 1, null))).Data;
    }
}
