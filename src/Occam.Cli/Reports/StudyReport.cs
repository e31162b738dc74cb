using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Occam.Studies;

namespace Occam.Cli.Reports;

/// <summary>The files of a study's report folder: metrics.json, one history CSV per run (and one for the fine-tuning
/// scenario's pretraining), the PNG plots and index.html, a self-contained page (inline CSS, the PNGs embedded as data
/// URIs, no script).</summary>
internal static class StudyReport
{
    /// <summary>Writes every file of the report into <paramref name="dir"/> (an empty folder).</summary>
    public static void Write(string dir, StudyResult result, IReadOnlyList<string> reading, Advice? advice)
    {
        File.WriteAllText(Path.Combine(dir, "metrics.json"), MetricsJson(result) + "\n");
        foreach (var run in Curves(result)) File.WriteAllText(Path.Combine(dir, HistoryFile(run)), HistoryCsv(run));
        var images = Plot(dir, result);
        File.WriteAllText(Path.Combine(dir, "index.html"), Html(dir, result, reading, advice, images));
    }

    public static string HistoryFile(StudyRun run) => $"history-{run.Name}.csv";

    /// <summary>What the advisor reads: the scenario's unregularized baseline, in words.</summary>
    public static string BaselineLabel(StudyResult result) =>
        result.Options.Scenario == StudyScenario.FineTune ? "full fine-tuning without regularization" : "the run without regularization";

    /// <summary>The runs with learning curves: the pretraining (fine-tuning scenario) and every configuration.</summary>
    static IEnumerable<StudyRun> Curves(StudyResult result) => result.Pretraining is { } pre ? [pre, .. result.Runs] : result.Runs;

    /// <summary>{"runs": [{"name", "train_accuracy", "val_accuracy", "test_accuracy", "gap", "best_epoch", "l1_norm", "l2_norm",
    /// "zero_weight_fraction", "seconds", …}, …], "settings": {…}}, and in the fine-tuning scenario "pretrain": {the same
    /// fields for the pretraining on classes 0–4}; a non-finite number is written as null.</summary>
    public static string MetricsJson(StudyResult result)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("runs");
            foreach (var r in result.Runs) Run(w, r, result);
            w.WriteEndArray();
            if (result.Pretraining is { } pre)
            {
                w.WritePropertyName("pretrain");
                Run(w, pre, result);
            }
            w.WriteStartObject("settings");
            w.WriteString("scenario", result.Options.Scenario == StudyScenario.FineTune ? "fine-tune" : "regularization");
            w.WriteString("data", result.DataDescription);
            w.WriteString("model", result.Options.Model.ToString().ToLowerInvariant());
            w.WriteNumber("epochs", result.Options.Epochs);
            w.WriteNumber("batch_size", result.Options.BatchSize);
            w.WriteNumber("train_examples", result.TrainCount);
            w.WriteNumber("validation_examples", result.ValidationCount);
            w.WriteNumber("test_examples", result.TestCount);
            if (result.Pretraining != null)
            {
                w.WriteNumber("pretrain_epochs", result.Options.PretrainEpochs);
                w.WriteNumber("pretrain_examples", result.PretrainCount);
            }
            w.WriteNumber("seed", result.Options.Seed);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    static void Run(Utf8JsonWriter w, StudyRun r, StudyResult result)
    {
        w.WriteStartObject();
        w.WriteString("name", r.Name);
        w.WriteString("description", r.Configuration.Description);
        Number(w, "train_accuracy", r.TrainAccuracy);
        Number(w, "val_accuracy", r.ValAccuracy);
        Number(w, "test_accuracy", r.TestAccuracy);
        Number(w, "gap", r.Gap);
        Number(w, "train_loss", r.TrainLoss);
        Number(w, "val_loss", r.ValLoss);
        Number(w, "test_loss", r.TestLoss);
        w.WriteNumber("best_epoch", r.BestEpoch);
        w.WriteNumber("epochs", r.EpochsRun);
        Number(w, "l1_norm", r.L1Norm);
        Number(w, "l2_norm", r.L2Norm);
        Number(w, "zero_weight_fraction", r.ZeroWeightFraction);
        Number(w, "seconds", r.Seconds);
        // fine-tuning: how far the backbone moved from its pretrained weights (a fraction of their norm; null for scratch)
        if (result.Pretraining != null && !ReferenceEquals(r, result.Pretraining))
        {
            if (FineTuneStudy.Drift(result, r) is double moved) Number(w, "moved", moved);
            else w.WriteNull("moved");
        }
        w.WriteString("history", HistoryFile(r));
        w.WriteEndObject();
    }

    static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, Math.Round(value, 6));
        else w.WriteNull(name);
    }

    /// <summary>One row per epoch, its epoch column counted from 0 as train's history.csv and Keras's CSVLogger count
    /// it (so `occam advise` reads both alike): every quantity the trainer logged.</summary>
    static string HistoryCsv(StudyRun run)
    {
        var keys = run.History.Keys.ToList();
        var sb = new StringBuilder("epoch," + string.Join(",", keys) + "\n");
        for (int e = 0; e < run.History.Epochs.Count; e++)
        {
            var logs = run.History.Epochs[e];
            sb.Append(e);
            foreach (var key in keys) sb.Append(',').Append(logs.TryGetValue(key, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The plots, by role: "accuracy-NAME", "loss-NAME", "test-accuracy", "gap", "weights".</summary>
    static Dictionary<string, string> Plot(string dir, StudyResult result)
    {
        var files = new Dictionary<string, string>();
        string Path_(string name) { files[name] = name + ".png"; return System.IO.Path.Combine(dir, name + ".png"); }
        foreach (var run in Curves(result))
        {
            var epochs = Enumerable.Range(1, run.EpochsRun).Select(e => (double)e).ToArray();
            var best = new[] { ((double)run.BestEpoch, "lowest validation loss") };
            Plots.Lines(Path_("accuracy-" + run.Name), $"{run.Name}: accuracy", "epoch", "accuracy", epochs,
                [("train", run.History["accuracy"]), ("validation", run.History["val_accuracy"])], markers: best);
            Plots.Lines(Path_("loss-" + run.Name), $"{run.Name}: loss", "epoch", "cross-entropy", epochs,
                [("train", run.History["data_loss"]), ("validation", run.History["val_data_loss"])], markers: best);
        }
        var names = result.Runs.Select(r => r.Name).ToList();
        var test = result.Runs.Select(r => r.TestAccuracy * 100).ToList();
        // Test accuracies differ by a few points: the axis starts just below the lowest so the differences show.
        HorizontalBars(Path_("test-accuracy"), "Test accuracy", "test accuracy (%)", names, test, Math.Max(0, Math.Floor(test.Min() - 2)), result.BaselineName);
        HorizontalBars(Path_("gap"), "Generalization gap (train − test accuracy)", "points", names, result.Runs.Select(r => r.Gap * 100).ToList(),
            Math.Min(0, Math.Floor(result.Runs.Min(r => r.Gap * 100))), result.BaselineName);
        var compared = new[] { "none", "l1", "l2" }.Select(result.Find).OfType<StudyRun>().ToList();
        if (compared.Count > 0)
        {
            // A shared range that holds nearly all of the baseline's weights, so the shapes compare.
            var reference = compared[0].Weights.Select(w => (double)Math.Abs(w)).Order().ToArray();
            double range = reference.Length == 0 ? 1 : reference[(int)(0.995 * (reference.Length - 1))];
            Plots.Histograms(Path_("weights"), "Weights: " + string.Join(" vs ", compared.Select(r => r.Name)), "weight",
                compared.Select(r => (F($"{r.Name} ({Pct(r.ZeroWeightFraction)} exactly 0)"), r.Weights.Select(w => (double)w).ToArray())), bins: 121, min: -range, max: range);
        }
        return files;
    }

    /// <summary>One horizontal bar per label, top to bottom in the given order, each labelled with its value; the
    /// <paramref name="baseline"/> run in gray so the others read against it; the value axis starts at <paramref name="from"/>.</summary>
    static void HorizontalBars(string path, string title, string xLabel, IReadOnlyList<string> labels, IReadOnlyList<double> values, double from, string baseline)
    {
        var plot = new ScottPlot.Plot();
        int n = labels.Count;
        var bars = labels.Select((label, i) => new ScottPlot.Bar
        {
            Position = n - 1 - i, ValueBase = from, Value = values[i], Label = F($"{values[i]:F1}"), // "F1" as the table's numbers, so a bar and its row agree
            FillColor = label == baseline ? ScottPlot.Colors.Gray : ScottPlot.Colors.C0, LineWidth = 0,
        }).ToList();
        var plottable = plot.Add.Bars(bars);
        plottable.Horizontal = true;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), labels.ToArray());
        double hi = values.Max();
        plot.Axes.SetLimitsX(from, hi + (hi - from) * 0.12);
        plot.Axes.SetLimitsY(-0.6, n - 0.4);
        plot.Title(title);
        plot.Axes.Bottom.Label.Text = xLabel;
        plot.SavePng(path, Plots.Width, Plots.Height);
    }

    static string Html(string dir, StudyResult result, IReadOnlyList<string> reading, Advice? advice, Dictionary<string, string> images)
    {
        string Img(string key, string alt) => images.TryGetValue(key, out var file)
            ? $"<img src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(Path.Combine(dir, file)))}\" alt=\"{E(alt)}\" width=\"{Plots.Width}\" height=\"{Plots.Height}\">"
            : "";
        var o = result.Options;
        var pre = result.Pretraining;
        string title = pre == null ? "Occam regularization study" : "Occam study: the fine-tuning scenario";
        string lr = StudyConfiguration.LearningRate.ToString(CultureInfo.InvariantCulture);
        string meta = pre == null
            ? F($"{E(o.Model.ToString().ToUpperInvariant())} on {E(result.DataDescription)}: {result.TrainCount:N0} training, {result.ValidationCount:N0} validation and {result.TestCount:N0} test examples;\nup to {o.Epochs} epochs, batch size {o.BatchSize}, Adam (lr {lr}, annealed to 0 on a cosine over the epochs; AdamW for weight decay), seed {o.Seed}. Every configuration starts from the same weights and sees the same batches.")
            : F($"A CNN pretrained on classes 0–4 ({result.PretrainCount:N0} examples, {pre.EpochsRun} epochs: {Pct(pre.TestAccuracy)} test accuracy on those classes), then given a new 5-way head and fine-tuned on {E(result.DataDescription)}: {result.TrainCount:N0} training, {result.ValidationCount:N0} validation and {result.TestCount:N0} test examples;\nup to {o.Epochs} epochs, batch size {o.BatchSize}, Adam (lr {lr}, annealed to 0 on a cosine over the epochs; AdamW for weight decay), seed {o.Seed}. Every configuration starts from the same pretrained weights (<code>scratch</code>: from random ones) and the same new head, and sees the same batches.");
        var h = new StringBuilder();
        h.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{title}}</title>
            <style>
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1480px; padding: 0 1.5rem; color: #1d2330; line-height: 1.5; }
            h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #d8dce4; padding-bottom: .3rem; }
            .meta { color: #5a6272; margin-top: 0; }
            table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: .92rem; }
            th, td { padding: .35rem .7rem; border-bottom: 1px solid #e3e6ec; text-align: right; white-space: nowrap; }
            th { background: #f3f5f8; position: sticky; top: 0; } td:first-child, th:first-child, .desc { text-align: left; }
            td.desc { color: #5a6272; font-size: .85rem; white-space: normal; min-width: 16rem; }
            .better { color: #137333; font-weight: 600; } .worse { color: #b3261e; }
            .reading p { max-width: 62rem; }
            .advice { background: #f6f8fb; border-left: 4px solid #4a6fa5; padding: .6rem 1.2rem; max-width: 60rem; }
            .grid { display: flex; flex-wrap: wrap; gap: 1rem; }
            .grid figure { flex: 1 1 420px; max-width: 720px; }
            figure { margin: 0; } figcaption { color: #5a6272; font-size: .85rem; max-width: 720px; }
            img { max-width: 100%; height: auto; border: 1px solid #e3e6ec; }
            .scroll { overflow-x: auto; }
            code { background: #f3f5f8; padding: 0 .25rem; }
            </style>
            </head>
            <body>
            <h1>{{title}}</h1>
            <p class="meta">{{meta}}</p>

            """);
        h.Append("<h2>Reading</h2>\n<div class=\"reading\">\n");
        foreach (var p in reading) h.Append($"<p>{E(p)}</p>\n");
        h.Append("</div>\n");
        if (advice != null)
        {
            h.Append($"<div class=\"advice\"><p><strong>Advisor</strong>, on {E(BaselineLabel(result))}: <strong>{E(advice.Diagnosis)}</strong> (best epoch {advice.BestEpoch + 1}). {E(advice.Reading)}</p>\n<ul>\n");
            foreach (var r in advice.Recommendations)
                h.Append($"<li><strong>{E(r.Technique)}</strong>{(r.Value is double v ? E(F($" = {v:G3}")) : "")}: {E(r.Why)}</li>\n");
            h.Append("</ul></div>\n");
        }

        h.Append($"<h2>Results</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th>configuration</th><th>train acc</th><th>val acc</th><th>test acc</th><th>gap</th><th>train loss</th><th>val loss</th><th>test loss</th><th>best epoch</th><th>‖w‖₁</th><th>‖w‖₂</th>{(pre == null ? "" : "<th>moved</th>")}<th>exact zeros</th><th>seconds</th><th class=\"desc\">what it does</th></tr></thead>\n<tbody>\n");
        var none = result.Baseline;
        foreach (var r in result.Runs)
        {
            string gapClass = none == null || r == none ? "" : r.Gap < none.Gap - 0.01 ? " class=\"better\"" : r.Gap > none.Gap + 0.01 ? " class=\"worse\"" : "";
            string testClass = none == null || r == none ? "" : r.TestAccuracy > none.TestAccuracy + 0.005 ? " class=\"better\"" : r.TestAccuracy < none.TestAccuracy - 0.005 ? " class=\"worse\"" : "";
            h.Append(F($"<tr><td><a href=\"#run-{r.Name}\">{E(r.Name)}</a></td><td>{Pct(r.TrainAccuracy)}</td><td>{Pct(r.ValAccuracy)}</td><td{testClass}>{Pct(r.TestAccuracy)}</td><td{gapClass}>{Study.GapText(r.Gap)}</td>"));
            h.Append(F($"<td>{r.TrainLoss:0.000}</td><td>{r.ValLoss:0.000}</td><td>{r.TestLoss:0.000}</td><td>{r.BestEpoch} of {r.EpochsRun}</td><td>{r.L1Norm:N0}</td><td>{r.L2Norm:N1}</td>{(pre == null ? "" : $"<td>{(FineTuneStudy.Drift(result, r) is double moved ? Pct(moved) : "–")}</td>")}<td>{Pct(r.ZeroWeightFraction)}</td><td>{r.Seconds:0.0}</td>"));
            h.Append($"<td class=\"desc\">{E(r.Configuration.Description)}</td></tr>\n");
        }
        h.Append($"</tbody>\n</table></div>\n<p class=\"meta\">Accuracies and losses are measured after training, in evaluation mode (no dropout or augmentation; early stopping's best weights restored). Gap = train − test accuracy in percentage points; green: a gap more than 1 point narrower, or a test accuracy more than 0.5 point higher, than <code>{result.BaselineName}</code>'s; red: the opposite. Best epoch = lowest validation loss. Norms and zeros cover the weight matrices, not biases{(pre == null ? "" : "; moved = ‖w − w₀‖/‖w₀‖, how far the backbone's weight matrices and kernels ended from their pretrained values w₀")}.</p>\n");

        h.Append("<h2>Test accuracy and generalization gap</h2>\n<div class=\"grid\">\n");
        h.Append($"<figure>{Img("test-accuracy", "Bar chart of test accuracy per configuration")}<figcaption>The accuracy axis starts just below the lowest result, so small differences show; gray: {(pre == null ? "no regularization" : "full fine-tuning without regularization")}.</figcaption></figure>\n");
        h.Append($"<figure>{Img("gap", "Bar chart of the generalization gap per configuration")}<figcaption>Train − test accuracy in points: shorter is less overfitting (but see the test accuracy beside it).</figcaption></figure>\n</div>\n");
        if (images.ContainsKey("weights"))
        {
            h.Append("<h2>Weights: L1 zeros them, L2 shrinks them</h2>\n");
            h.Append($"<figure>{Img("weights", "Overlaid histograms of the weights")}<figcaption>All weights of the weight matrices, over the range that holds 99.5% of the baseline's. Proximal L1 piles weights onto exactly zero (the spike at 0); L2 narrows the distribution and leaves many weights small — in the central bin — but not zero.</figcaption></figure>\n");
        }

        h.Append("<h2>Learning curves</h2>\n<p class=\"meta\">Train (in training mode: with dropout and augmentation) vs validation, per epoch; the dashed line marks the lowest validation loss. A validation loss that turns upward while the training loss keeps falling is overfitting.</p>\n");
        foreach (var r in Curves(result))
        {
            h.Append($"<section class=\"run\" id=\"run-{E(r.Name)}\"><h3>{E(r.Name)}</h3><p class=\"meta\">{E(r.Configuration.Description)} — history: <a href=\"{E(HistoryFile(r))}\">{E(HistoryFile(r))}</a></p>\n<div class=\"grid\">");
            h.Append($"<figure>{Img("accuracy-" + r.Name, $"{r.Name}: train and validation accuracy per epoch")}</figure>");
            h.Append($"<figure>{Img("loss-" + r.Name, $"{r.Name}: train and validation loss per epoch")}</figure></div></section>\n");
        }
        h.Append($"<h2>Files</h2>\n<p><a href=\"metrics.json\">metrics.json</a> (every number above), one <code>history-NAME.csv</code> per configuration{(pre == null ? "" : " and one for the pretraining")}, and the plots as PNG files beside this page.</p>\n");
        h.Append("</body>\n</html>\n");
        return h.ToString();
    }

    static string E(string s) => WebUtility.HtmlEncode(s);

    static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    static string Pct(double fraction, int decimals = 1) => (fraction * 100).ToString("F" + decimals, CultureInfo.InvariantCulture) + "%";
}
