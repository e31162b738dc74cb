using Occam.Studies;
using ScottPlot;

namespace Occam.Cli.Reports;

/// <summary>The sweep's chart: validation accuracy against one parameter, with the best, the one-SE choice (where the
/// rule had several configurations at the full budget to choose from) and the
/// over/underfitting regions shaded.</summary>
internal static class SweepPlots
{
    public static void Parameter(string path, SweepResult result, SweepParameter parameter)
    {
        var plot = new Plot();
        double X(double v) => parameter.Log ? Math.Log10(v) : v;
        var configs = result.Configurations.Where(c => c.Parameters.ContainsKey(parameter.Name)).ToList();
        bool single = result.Configurations.All(c => c.Parameters.Count == 1);
        double yMin = configs.Min(c => c.Mean - c.StandardError), yMax = configs.Max(c => c.Mean + c.StandardError);
        var (over, under) = Sweep.Regions(result, parameter);
        foreach (var (span, label, color) in new[] { (over, "overfitting", Colors.OrangeRed), (under, "underfitting", Colors.SteelBlue) })
        {
            if (span is not var (lo, hi)) continue;
            var shade = plot.Add.HorizontalSpan(X(lo), X(hi));
            shade.FillStyle.Color = color.WithAlpha(0.12);
            shade.LineStyle.Width = 0;
            var text = plot.Add.Text(label, (X(lo) + X(hi)) / 2, yMin);
            text.LabelFontColor = color;
            text.LabelAlignment = Alignment.LowerCenter;
        }
        foreach (var rung in configs.GroupBy(c => c.Rung).OrderBy(g => g.Key))
        {
            var points = rung.OrderBy(c => c.Parameters[parameter.Name]).ToList();
            var xs = points.Select(c => X(c.Parameters[parameter.Name])).ToArray();
            var ys = points.Select(c => c.Mean).ToArray();
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LineWidth = single ? 1 : 0;
            scatter.MarkerSize = 7;
            scatter.LegendText = configs.Select(c => c.Rung).Distinct().Count() > 1 ? $"rung {rung.Key} ({points[0].Epochs} epochs)" : $"{Sweep.Metric} (mean ± SE)";
            var bars = plot.Add.ErrorBar(xs, ys, points.Select(c => c.StandardError).ToArray());
            bars.Color = scatter.Color;
        }
        var bestLine = plot.Add.VerticalLine(X(result.Best.Parameters[parameter.Name]));
        bestLine.LegendText = $"best {Format(result.Best.Parameters[parameter.Name])}";
        bestLine.Color = Colors.Green;
        if (result.HasOneStandardErrorChoice)
        {
            var oneSe = plot.Add.VerticalLine(X(result.OneStandardError.Parameters[parameter.Name]));
            oneSe.LegendText = $"one-SE choice {Format(result.OneStandardError.Parameters[parameter.Name])}";
            oneSe.Color = Colors.Purple;
            oneSe.LinePattern = LinePattern.Dashed;
        }
        if (result.Best.Repeats > 1)
        {
            var floor = plot.Add.HorizontalLine(result.Best.Mean - result.Best.StandardError);
            floor.LegendText = $"best − SE ({result.Best.Epochs} epochs)";
            floor.Color = Colors.Gray;
            floor.LinePattern = LinePattern.Dotted;
        }
        if (parameter.Log) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => $"1e{v:0.#}" };
        plot.Axes.SetLimitsY(yMin - 0.1 * (yMax - yMin + 1e-3), yMax + 0.05 * (yMax - yMin + 1e-3));
        plot.Title($"Sweep: {Sweep.Metric} against {parameter.Name}");
        plot.Axes.Bottom.Label.Text = parameter.Name + (parameter.Log ? " (log)" : "");
        plot.Axes.Left.Label.Text = "validation accuracy";
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(path, Plots.Width, Plots.Height);
    }

    static string Format(double v) => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);
}
