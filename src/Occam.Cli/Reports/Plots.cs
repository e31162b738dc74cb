using ScottPlot;

namespace Occam.Cli.Reports;

/// <summary>The few chart kinds the reports draw, rendered headless to PNG with ScottPlot.</summary>
internal static class Plots
{
    public const int Width = 720, Height = 440;

    /// <summary>One line per series over x (e.g. train and validation curves); optional vertical markers.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, double[] x,
        IEnumerable<(string Label, double[] Y)> series, bool logX = false, IEnumerable<(double X, string Label)>? markers = null)
    {
        var plot = new Plot();
        foreach (var (label, y) in series)
        {
            var xs = logX ? x.Select(Math.Log10).ToArray() : x;
            var points = xs.Zip(y).Where(p => double.IsFinite(p.Second)).ToArray();
            if (points.Length == 0) continue;
            var s = plot.Add.Scatter(points.Select(p => p.First).ToArray(), points.Select(p => p.Second).ToArray());
            s.LegendText = label;
        }
        foreach (var (mx, label) in markers ?? [])
        {
            var line = plot.Add.VerticalLine(logX ? Math.Log10(mx) : mx);
            line.LegendText = label;
            line.LinePattern = LinePattern.Dashed;
        }
        if (logX) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => $"1e{v:0.#}" };
        Finish(plot, path, title, xLabel, yLabel);
    }

    /// <summary>One bar per label.</summary>
    public static void Bars(string path, string title, string yLabel, IReadOnlyList<string> labels, IReadOnlyList<double> values)
    {
        var plot = new Plot();
        plot.Add.Bars(values.ToArray());
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(), labels.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = labels.Count > 6 ? 45 : 0;
        plot.Axes.Bottom.TickLabelStyle.Alignment = labels.Count > 6 ? Alignment.MiddleLeft : Alignment.UpperCenter;
        plot.Axes.Margins(bottom: 0);
        Finish(plot, path, title, "", yLabel);
    }

    /// <summary>Overlaid histograms of several samples over one shared range.</summary>
    public static void Histograms(string path, string title, string xLabel, IEnumerable<(string Label, double[] Values)> samples, int bins = 60, double? min = null, double? max = null)
    {
        var list = samples.Where(s => s.Values.Length > 0).ToList();
        if (list.Count == 0) { Finish(new Plot(), path, title, xLabel, "count"); return; }
        double lo = min ?? list.Min(s => s.Values.Min()), hi = max ?? list.Max(s => s.Values.Max());
        if (!(hi > lo)) hi = lo + 1;
        var plot = new Plot();
        for (int i = 0; i < list.Count; i++)
        {
            var (label, values) = list[i];
            var h = ScottPlot.Statistics.Histogram.WithBinCount(bins, lo, hi);
            h.AddRange(values.Where(v => v >= lo && v <= hi));
            var bars = plot.Add.Histogram(h);
            var color = plot.Add.Palette.GetColor(i);
            foreach (var bar in bars.Bars) bar.FillColor = color.WithAlpha(0.45);
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = label, FillColor = color.WithAlpha(0.45) });
        }
        Finish(plot, path, title, xLabel, "count");
    }

    static void Finish(Plot plot, string path, string title, string xLabel, string yLabel)
    {
        plot.Title(title);
        plot.Axes.Bottom.Label.Text = xLabel;
        plot.Axes.Left.Label.Text = yLabel;
        if (plot.Legend.ManualItems.Count > 0 || plot.GetPlottables().Any(p => p is IHasLegendText { LegendText.Length: > 0 })) plot.ShowLegend();
        plot.SavePng(path, Width, Height);
    }
}
