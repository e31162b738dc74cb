using System.Globalization;
using Occam.Models;
using ScottPlot;

namespace Occam.Cli.Reports;

/// <summary>The regularization path's charts: coefficients against λ (the lasso-path picture) and the validation metric
/// against λ with its standard error, the best and the one-SE λ. λ on a log axis, decreasing from left to right as
/// the path runs.</summary>
internal static class PathPlots
{
    /// <summary>At most this many coefficient curves; beyond it, the first to enter the model.</summary>
    public const int MaxCurves = 30;

    public static void Coefficients(string path, PathResult r)
    {
        var plot = new Plot();
        var x = LogLambdas(r);
        int total = r.Outputs * r.Features;
        var shown = Shown(r);
        foreach (int j in shown)
        {
            var line = plot.Add.Scatter(x, r.Points.Select(p => (double)p.Coefficients[j]).ToArray());
            line.MarkerSize = 0;
            if (shown.Count <= 10) line.LegendText = r.Outputs == 1 ? $"feature {j}" : $"class {j / r.Features}, feature {j % r.Features}";
        }
        Choices(plot, r);
        string subset = shown.Count < total ? $"the first {shown.Count} of {total:N0} coefficients to enter" : $"all {total:N0} coefficients";
        Finish(plot, $"{Title(r)}: {subset}", r.Standardized ? "coefficient (standardized features)" : "coefficient");
        plot.SavePng(path, Plots.Width, Plots.Height);
    }

    public static void Validation(string path, PathResult r)
    {
        var plot = new Plot();
        var x = LogLambdas(r);
        bool classification = r.Task == PathTask.Classification;
        var train = plot.Add.Scatter(x, r.Points.Select(p => p.TrainMetric).ToArray());
        train.LegendText = "train";
        train.MarkerSize = 4;
        var ys = r.Points.Select(p => p.ValidationMetric).ToArray();
        var validation = plot.Add.Scatter(x, ys);
        validation.LegendText = "validation ± SE";
        validation.MarkerSize = 6;
        var bars = plot.Add.ErrorBar(x, ys, r.Points.Select(p => p.ValidationStandardError).ToArray());
        bars.Color = validation.Color;
        var best = r.Points[r.Best];
        var floor = plot.Add.HorizontalLine(best.ValidationMetric + (classification ? -1 : 1) * best.ValidationStandardError);
        floor.LegendText = classification ? "best − SE" : "best + SE";
        floor.Color = Colors.Gray;
        floor.LinePattern = LinePattern.Dotted;
        Choices(plot, r);
        Finish(plot, $"{Title(r)}: {(classification ? "accuracy" : "mean squared error")} against λ", classification ? "accuracy" : "mean squared error");
        plot.SavePng(path, Plots.Width, Plots.Height);
    }

    /// <summary>Indices of the coefficients drawn: all when few, else the <see cref="MaxCurves"/> that become nonzero
    /// first along the path (ties: larger magnitude where they enter). Under ridge every coefficient enters at once, so
    /// these are the largest at the strongest penalty.</summary>
    internal static List<int> Shown(PathResult r)
    {
        int total = r.Outputs * r.Features;
        var entry = new (int Index, double Size)[total];
        for (int j = 0; j < total; j++)
        {
            int at = r.Points.Count;
            for (int i = 0; i < r.Points.Count; i++) if (r.Points[i].Coefficients[j] != 0) { at = i; break; }
            entry[j] = (at, at < r.Points.Count ? Math.Abs(r.Points[at].Coefficients[j]) : 0);
        }
        return Enumerable.Range(0, total).Where(j => entry[j].Index < r.Points.Count)
            .OrderBy(j => entry[j].Index).ThenByDescending(j => entry[j].Size).ThenBy(j => j).Take(MaxCurves).ToList();
    }

    static double[] LogLambdas(PathResult r) => r.Points.Select(p => Math.Log10(p.Lambda)).ToArray();

    static string Title(PathResult r) => r.Penalty switch
    {
        PathPenalty.L1 => "Lasso path",
        PathPenalty.L2 => "Ridge path",
        _ => $"Elastic-net path (α = {r.L1Ratio.ToString("G3", CultureInfo.InvariantCulture)})",
    };

    static void Choices(Plot plot, PathResult r)
    {
        var best = plot.Add.VerticalLine(Math.Log10(r.Points[r.Best].Lambda));
        best.LegendText = $"best λ {Format(r.Points[r.Best].Lambda)}";
        best.Color = Colors.Green;
        var oneSe = plot.Add.VerticalLine(Math.Log10(r.Points[r.OneStandardError].Lambda));
        oneSe.LegendText = $"one-SE λ {Format(r.Points[r.OneStandardError].Lambda)}";
        oneSe.Color = Colors.Purple;
        oneSe.LinePattern = LinePattern.Dashed;
    }

    static void Finish(Plot plot, string title, string yLabel)
    {
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => $"1e{v:0.#}" };
        plot.Axes.InvertX();  // λ decreasing left to right, as the path is fitted
        plot.Title(title);
        plot.Axes.Bottom.Label.Text = "λ (log)";
        plot.Axes.Left.Label.Text = yLabel;
        plot.ShowLegend(Alignment.UpperLeft);
    }

    static string Format(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}
