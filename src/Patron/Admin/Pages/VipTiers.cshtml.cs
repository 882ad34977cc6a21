using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Patron.Domain;
using Patron.Operations.VipTiers;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

/// <summary>What the tier form posts; empty fields are "not given" (on an edit: left as they are).</summary>
public sealed class VipTierForm
{
    public string? Name { get; set; }

    /// <summary><c>points</c> (lifetime points) or <c>spend</c> (spend within a window).</summary>
    public string? Kind { get; set; }

    public string? Required { get; set; }
    public string? WindowDays { get; set; }
    public string? Multiplier { get; set; }
    public string? DiscountType { get; set; }
    public string? DiscountValue { get; set; }
    public bool FreeShipping { get; set; }

    /// <summary>The form as the core's settings; a number that does not read is refused like the API refuses it.</summary>
    public VipTierSettings ToSettings()
    {
        var spend = Kind == "spend";
        var required = FormNumbers.Decimal(Required, spend ? "spend_required" : "points_required");
        var days = FormNumbers.Whole(WindowDays, "spend_window_days");
        return new VipTierSettings(
            Name: Name ?? "",
            PointsRequired: spend || required is null ? null
                : decimal.IsInteger(required.Value) && required.Value is >= long.MinValue and <= long.MaxValue ? (long)required.Value
                : throw OperationException.Invalid("points_required", "'points_required' must be a whole number."),
            SpendRequired: spend ? required : null,
            SpendWindowDays: !spend || days is null ? null : days is >= int.MinValue and <= int.MaxValue ? (int)days
                : throw OperationException.Invalid("spend_window_days", "'spend_window_days' is out of range."),
            Multiplier: FormNumbers.Decimal(Multiplier, "multiplier"),
            DiscountType: DiscountType ?? "",
            DiscountValue: FormNumbers.Decimal(DiscountValue, "discount_value"),
            FreeShipping: FreeShipping);
    }
}

/// <summary>
/// The program's VIP tiers (docs/ADMIN.md): list (lowest requirement first, paged with <c>starting_after</c>),
/// create, edit and delete through <see cref="VipTierOperations"/>, audited with the staff user as the actor.
/// Tiers are program settings: owners only, staff are refused.
/// </summary>
[Authorize(Policy = AdminAuth.OwnerPolicy)]
public sealed class VipTiersModel(Database database, IWritePath writes) : AdminPage
{
    public ListEnvelope<VipTierDto> Tiers { get; private set; } = new([], 1, PageSize, 0, false);

    /// <summary>The tier being edited, when the page was opened with <c>?edit=</c>.</summary>
    public VipTierDto? Editing { get; private set; }

    /// <summary>What the last post sent, shown again in the form when it was refused.</summary>
    public VipTierForm? Posted { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? edit, [FromQuery(Name = "starting_after")] string? startingAfter)
    {
        if (edit is not null)
        {
            var programId = Actor.ProgramId;
            if (!await TryAsync(async () => Editing = await VipTierOperations.GetAsync(database, programId, edit)))
            {
                return NotFound();
            }
        }
        await LoadAsync(startingAfter);
        return Page();
    }

    public async Task<IActionResult> OnPostCreateAsync(VipTierForm form)
    {
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        VipTierDto? created = null;
        if (await TryAsync(async () =>
        {
            var row = VipTierOperations.Prepare(programId, form.ToSettings());
            created = await writes.RunAsync(context => VipTierOperations.CreateAsync(context, staff, row));
        }))
        {
            Notice = $"VIP tier '{created!.Name}' created.";
            return Redirect("/admin/tiers");
        }
        Posted = form;
        await LoadAsync(null);
        return Page();
    }

    public async Task<IActionResult> OnPostUpdateAsync(string? id, VipTierForm form)
    {
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        if (await TryAsync(async () =>
        {
            var settings = form.ToSettings();
            await writes.RunAsync(context => VipTierOperations.UpdateAsync(context, staff, programId, id ?? "", settings));
        }))
        {
            Notice = $"VIP tier '{form.Name}' saved.";
            return Redirect("/admin/tiers");
        }
        var (status, error) = (Response.StatusCode, Error);
        await TryAsync(async () => Editing = await VipTierOperations.GetAsync(database, programId, id ?? ""));
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
            await VipTierOperations.DeleteAsync(context, staff, programId, id ?? "");
            return true;
        })))
        {
            Notice = "The VIP tier is deleted; its members move to the tier they qualify for.";
            return Redirect("/admin/tiers");
        }
        await LoadAsync(null);
        return Page();
    }

    private async Task LoadAsync(string? startingAfter)
    {
        var programId = Actor.ProgramId;
        var status = Response.StatusCode;
        var error = Error;
        if (!await TryAsync(async () => Tiers = await VipTierOperations.ListAsync(database, programId, new Paging(PageSize, 1, Cursor(startingAfter)))))
        {
            // An unknown cursor lists from the start.
            Tiers = await VipTierOperations.ListAsync(database, programId, new Paging(PageSize, 1, null));
        }
        Error = error;
        Response.StatusCode = status;
    }
}
