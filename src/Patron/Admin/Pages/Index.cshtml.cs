using Patron.Operations.Analytics;

namespace Patron.Dashboard.Pages;

public sealed class IndexModel(OverviewFigures figures) : AdminPage
{
    public const int Days = 30;

    public ProgramOverview.Overview? Data { get; private set; }

    /// <summary>The server-rendered SVG chart (built from numbers only, so it is safe to emit as is).</summary>
    public string Chart { get; private set; } = "";

    public async Task OnGetAsync()
    {
        Data = await figures.ReadAsync(Actor.ProgramId, Days);
        Chart = SvgChart.Bars(Data.Days, "chart-title");
    }
}
