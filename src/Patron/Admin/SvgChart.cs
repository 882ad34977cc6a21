using System.Globalization;
using System.Text;
using Patron.Operations.Analytics;

namespace Patron.Dashboard;

/// <summary>A bar chart of points earned and spent per day, drawn on the server as SVG (no script).</summary>
public static class SvgChart
{
    public static string Bars(IReadOnlyList<ProgramOverview.DayPoints> days, string labelledBy)
    {
        const int width = 720, height = 220, left = 48, bottom = 24, top = 10;
        var max = Math.Max(1, days.Max(d => Math.Max(d.Earned, d.Spent)));
        var plotHeight = height - bottom - top;
        var slot = (width - left) / (double)Math.Max(1, days.Count);
        var bar = Math.Max(1, (slot - 2) / 2);
        var svg = new StringBuilder();
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        svg.Append(CultureInfo.InvariantCulture, $"<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{labelledBy}\" xmlns=\"http://www.w3.org/2000/svg\">");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top + plotHeight}\" x2=\"{width}\" y2=\"{top + plotHeight}\" stroke=\"#6e7781\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + 10}\" text-anchor=\"end\" font-size=\"11\" fill=\"#424a53\">{max}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + plotHeight}\" text-anchor=\"end\" font-size=\"11\" fill=\"#424a53\">0</text>");
        for (var i = 0; i < days.Count; i++)
        {
            var d = days[i];
            var x = left + i * slot + 1;
            var he = plotHeight * d.Earned / (double)max;
            var hs = plotHeight * d.Spent / (double)max;
            var date = d.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"earned\" x=\"{F(x)}\" y=\"{F(top + plotHeight - he)}\" width=\"{F(bar)}\" height=\"{F(he)}\" fill=\"#0b5cad\"><title>{date}: {d.Earned} earned</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"spent\" x=\"{F(x + bar)}\" y=\"{F(top + plotHeight - hs)}\" width=\"{F(bar)}\" height=\"{F(hs)}\" fill=\"#d1242f\"><title>{date}: {d.Spent} spent</title></rect>");
            if (i % 7 == 0 || i == days.Count - 1)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x)}\" y=\"{height - 6}\" font-size=\"11\" fill=\"#424a53\">{d.Date:MM-dd}</text>");
            }
        }
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{width - 170}\" y=\"{top}\" width=\"10\" height=\"10\" fill=\"#0b5cad\"/><text x=\"{width - 155}\" y=\"{top + 9}\" font-size=\"11\">earned</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{width - 95}\" y=\"{top}\" width=\"10\" height=\"10\" fill=\"#d1242f\"/><text x=\"{width - 80}\" y=\"{top + 9}\" font-size=\"11\">spent</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }
}
