using Patron.Operations.Analytics;
using Patron.Storage;

namespace Patron.Dashboard.Pages;

public sealed class IndexModel(Database database, TimeProvider clock) : AdminPage
{
    public const int Days = 30;

    public ProgramOverview.Overview? Data { get; private set; }

    /// <summary>The server-rendered SVG chart (built from numbers only, so it is safe to emit as is).</summary>
    public string Chart { get; private set; } = "";

    public async Task OnGetAsync()
    {
        Data = await ProgramOverview.ReadAsync(database, Actor.ProgramId, clock.GetUtcNow(), Days);
        Chart = SvgChart.Bars(Data.Days, "chart-title");
    }
}
