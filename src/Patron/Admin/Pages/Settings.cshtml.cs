using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Patron.Domain;
using Patron.Operations.Programs;
using Patron.Operations.RewardsAndRedemptions;
using Patron.Storage;
using static Patron.Operations.Programs.ProgramSettings;

namespace Patron.Dashboard.Pages;

/// <summary>
/// The program's settings, as <c>PATCH /program</c> changes them (the same core operation and checks),
/// audited with the staff user as the actor. Owners only.
/// </summary>
[Authorize(Policy = AdminAuth.OwnerPolicy)]
public sealed class SettingsModel(Database database, IWritePath writes) : AdminPage
{
    /// <summary>The form's fields as typed: on a refusal the page shows them again as they were sent.</summary>
    public sealed class SettingsForm
    {
        public string? Name { get; set; }
        public string? Currency { get; set; }
        public string? EarnMode { get; set; }
        public string? PointsPerUnit { get; set; }
        public string? Rounding { get; set; }
        public string? PointsDelayDays { get; set; }
        public string? PointsExpiryDays { get; set; }
        public string? StampsRequired { get; set; }
        public string? StampRewardId { get; set; }
        public string? PointValue { get; set; }
        public string? ReferrerPoints { get; set; }
        public string? RefereePoints { get; set; }
        public string? ReferrerRewardId { get; set; }
        public string? RefereeRewardId { get; set; }
        public string? ReferralMinOrderTotal { get; set; }
        public bool Live { get; set; }
        public string? ShopDomain { get; set; }
        public string? Plan { get; set; }

        /// <summary>The program's <c>updated_at</c> when the form was shown, in Unix milliseconds.</summary>
        public long Version { get; set; }

        public static SettingsForm From(ProgramDto p) => new()
        {
            Name = p.Name,
            Currency = p.Currency,
            EarnMode = p.EarnMode,
            PointsPerUnit = Text(p.PointsPerUnit),
            Rounding = p.Rounding,
            PointsDelayDays = Text(p.PointsDelayDays),
            PointsExpiryDays = Text(p.PointsExpiryDays ?? 0),
            StampsRequired = Text(p.StampsRequired),
            StampRewardId = p.StampRewardId,
            PointValue = p.PointValue is { } v ? Text(v) : "",
            ReferrerPoints = Text(p.Referral.ReferrerPoints),
            RefereePoints = Text(p.Referral.RefereePoints),
            ReferrerRewardId = p.Referral.ReferrerRewardId,
            RefereeRewardId = p.Referral.RefereeRewardId,
            ReferralMinOrderTotal = Text(p.Referral.MinOrderTotal),
            Live = p.Live,
            ShopDomain = p.ShopDomain,
            Plan = p.Plan,
            Version = p.UpdatedAt.ToUnixTimeMilliseconds(),
        };

        private static string Text(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
    }

    [BindProperty]
    public SettingsForm Form { get; set; } = new();

    /// <summary>Which field a refusal is about (the API's <c>param</c>), shown next to that field.</summary>
    public Dictionary<string, string> FieldErrors { get; } = new(StringComparer.Ordinal);

    public List<RewardDto> Rewards { get; private set; } = [];

    public string ProgramId { get; private set; } = "";

    public async Task OnGetAsync()
    {
        var program = await LoadAsync();
        Form = SettingsForm.From(program);
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await LoadAsync();
        var input = Parse(Form);
        if (FieldErrors.Count > 0)
        {
            return Refuse("Some settings are not valid; see the fields marked below.");
        }
        var programId = Actor.ProgramId;
        var staff = Actor.Audit;
        var expected = DateTimeOffset.FromUnixTimeMilliseconds(Form.Version);
        var saved = await TryAsync(async () =>
        {
            try
            {
                await writes.RunAsync(context => UpdateAsync(context, staff, programId, input!, expected));
            }
            catch (OperationException e) when (e.Param is { } param)
            {
                FieldErrors[param] = e.Message;
                throw;
            }
        });
        if (!saved)
        {
            return Page();
        }
        Notice = "Settings saved.";
        return Redirect("/admin/settings");
    }

    /// <summary>Reads the typed fields into the operation's input; a field that is not a number is marked.</summary>
    private ProgramInput? Parse(SettingsForm f)
    {
        decimal? Decimal(string param, string? text, decimal? empty)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                return empty;
            }
            if (decimal.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
            FieldErrors[param] = "Type a number, such as 1 or 0.5.";
            return null;
        }
        T? Whole<T>(string param, string? text, T? empty) where T : struct, System.Numerics.INumberBase<T>
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                return empty;
            }
            if (T.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
            FieldErrors[param] = "Type a whole number, such as 0 or 30.";
            return null;
        }
        var input = new ProgramInput
        {
            Name = f.Name ?? "",
            Currency = f.Currency ?? "",
            EarnMode = f.EarnMode ?? "",
            PointsPerUnit = Decimal("points_per_unit", f.PointsPerUnit, null),
            Rounding = f.Rounding ?? "",
            PointsDelayDays = Whole<int>("points_delay_days", f.PointsDelayDays, 0),
            PointsExpiryDays = Whole<int>("points_expiry_days", f.PointsExpiryDays, 0),
            StampsRequired = Whole<int>("stamps_required", f.StampsRequired, null),
            StampRewardId = f.StampRewardId?.Trim() ?? "",
            PointValue = Decimal("point_value", f.PointValue, 0m),
            Referral = new ReferralInput
            {
                ReferrerPoints = Whole<long>("referral.referrer_points", f.ReferrerPoints, 0),
                RefereePoints = Whole<long>("referral.referee_points", f.RefereePoints, 0),
                ReferrerRewardId = f.ReferrerRewardId?.Trim() ?? "",
                RefereeRewardId = f.RefereeRewardId?.Trim() ?? "",
                MinOrderTotal = Decimal("referral.min_order_total", f.ReferralMinOrderTotal, 0m),
            },
            Live = f.Live,
            ShopDomain = f.ShopDomain?.Trim() ?? "",
            Plan = f.Plan ?? "",
        };
        if (input.PointsPerUnit is null && !FieldErrors.ContainsKey("points_per_unit"))
        {
            FieldErrors["points_per_unit"] = "Type the points earned per unit, such as 1.";
        }
        if (input.StampsRequired is null && !FieldErrors.ContainsKey("stamps_required"))
        {
            FieldErrors["stamps_required"] = "Type how many stamps make a reward, such as 10.";
        }
        return FieldErrors.Count > 0 ? null : input;
    }

    private async Task<ProgramDto> LoadAsync()
    {
        var programId = Actor.ProgramId;
        ProgramId = programId;
        Rewards = await RewardQueries.EnabledAsync(database, programId);
        return await GetAsync(database, programId);
    }
}
