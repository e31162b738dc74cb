using System.CommandLine;
using System.Globalization;
using Occam.Cli.Reports;
using Occam.Studies;
using Spectre.Console;

namespace Occam.Cli.Commands;

/// <summary>
/// `occam study`: trains one architecture under every regularization configuration of <see cref="StudyConfiguration.All"/>
/// (<see cref="Study.Run"/>), or with <c>--scenario fine-tune</c> fine-tunes a pretrained CNN under each configuration of
/// <see cref="StudyConfiguration.FineTuning"/>; draws progress over the runs and epochs, prints the results table, the
/// written reading and the advisor's reading of the unregularized run, and writes the report folder (<see cref="StudyReport"/>).
/// </summary>
internal static class StudyCommand
{
    public static Command Create()
    {
        var scenario = new Option<string>("--scenario") { Description = "regularization (every technique on one model trained from scratch) or fine-tune (a CNN pretrained on classes 0–4, fine-tuned on a few examples of classes 5–9 under each technique, against training from scratch).", DefaultValueFactory = _ => "regularization" };
        var data = new Option<string>("--data") { Description = "embedded (the Fashion-MNIST subset in the assembly) or fashion-mnist (the full set, from OCCAM_DATA or /usr/share/datasets/fashion-mnist).", DefaultValueFactory = _ => "embedded" };
        var csv = new Option<string?>("--csv") { Description = "Train on a numeric CSV table instead of --data (needs --label; regularization scenario only)." };
        var label = new Option<string?>("--label") { Description = "The CSV's class-index column (a header name, or a column number)." };
        var model = new Option<string?>("--model") { Description = "Architecture: mlp (784-256-128-10, the default) or cnn (two conv blocks); the fine-tune scenario always uses the cnn." };
        var epochs = new Option<int?>("--epochs") { Description = $"Epochs per configuration (default: {StudyOptions.DefaultEpochs}; fine-tune: {StudyOptions.DefaultFineTuneEpochs}); early stopping may end sooner." };
        var pretrainEpochs = new Option<int?>("--pretrain-epochs") { Description = $"Fine-tune scenario: epochs of pretraining on classes 0–4 (default: {StudyOptions.DefaultPretrainEpochs})." };
        var trainSize = new Option<int?>("--train-size") { Description = $"Training examples (default: {StudyOptions.DefaultEmbeddedTrainSize} for the embedded subset, so that overfitting shows; all otherwise; fine-tune: {StudyOptions.DefaultFineTuneTrainSize} examples of classes 5–9)." };
        var only = new Option<string?>("--only") { Description = $"Run only these configurations (comma-separated) of: {Names(StudyScenario.Regularization)}; fine-tune: {Names(StudyScenario.FineTune)}." };
        var seed = Cli.Seed();
        var threads = Cli.Threads();
        var output = Cli.Out("occam-study/");
        var json = new Option<bool>("--json") { Description = "Print metrics.json to stdout instead of tables and progress." };
        var command = new Command("study", """
            Regularization study: trains one architecture with no regularization, each technique alone (l2, l1, elastic-net,
            weight-decay, dropout, max-norm, batch-norm, layer-norm, label-smoothing, augmentation, mixup, early-stopping, ema,
            sam) and a combined recipe, and compares train/validation/test accuracy, the generalization gap and the weights. Writes index.html (the report),
            PNG plots, metrics.json and each run's history CSV (history-NAME.csv, its epoch column counted from 0 as in
            train's history.csv and Keras's CSVLogger; best_epoch in metrics.json counts from 1) to --out, and ends with the advisor's reading of the
            unregularized run. Configurations train side by side, one per core (--threads sets how many).
            --scenario fine-tune pretrains a CNN on classes 0–4, then fine-tunes it on 1,000 examples of classes 5–9 with
            no regularization (full), a frozen backbone, a lower backbone learning rate, weight decay, L2-SP, dropout, label
            smoothing, early stopping, augmentation and a combined recipe, against training from scratch on the same examples.
            Examples: occam study
                      occam study --only none,l1,l2 --epochs 10 --out l1-vs-l2
                      occam study --csv iris.csv --label species --train-size 100
                      occam study --scenario fine-tune --out fine-tune
            """) { scenario, data, csv, label, model, epochs, pretrainEpochs, trainSize, only, seed, threads, output, json };
        Cli.SetAction(command, parse =>
        {
            var options = Options(parse.GetValue(scenario)!, parse.GetResult(data) is { Implicit: false } ? parse.GetValue(data) : null, parse.GetValue(csv), parse.GetValue(label), parse.GetValue(model),
                parse.GetValue(epochs), parse.GetValue(pretrainEpochs), parse.GetValue(trainSize), parse.GetValue(only), parse.GetValue(seed));
            return Run(options, parse.GetValue(output)!, parse.GetValue(json));
        }, threads);
        return command;
    }

    static string Names(StudyScenario scenario) => string.Join(", ", StudyConfiguration.For(scenario).Select(c => c.Name));

    /// <summary>The library's options from the command line, every bad value rejected with a sentence naming it.</summary>
    static StudyOptions Options(string scenarioName, string? data, string? csv, string? label, string? model, int? epochs, int? pretrainEpochs,
        int? trainSize, string? only, int seed)
    {
        var scenario = scenarioName.ToLowerInvariant() switch
        {
            "regularization" => StudyScenario.Regularization,
            "fine-tune" => StudyScenario.FineTune,
            _ => throw new ArgumentException($"--scenario must be regularization or fine-tune, got '{scenarioName}'"),
        };
        bool fineTune = scenario == StudyScenario.FineTune;
        var source = (data ?? "embedded").ToLowerInvariant() switch
        {
            "embedded" => StudySource.Embedded,
            "fashion-mnist" => StudySource.FashionMnist,
            _ => throw new ArgumentException($"--data must be embedded or fashion-mnist, got '{data}'"),
        };
        if (csv != null)
        {
            if (fineTune) throw new ArgumentException("--csv does not apply to --scenario fine-tune, which fine-tunes on Fashion-MNIST images");
            if (data != null) throw new ArgumentException($"--data {data} does not apply with --csv, which trains on the table instead; give one of them");
            if (string.IsNullOrEmpty(label)) throw new ArgumentException("--csv needs --label, the name (or number) of the class column");
            if (Directory.Exists(csv)) throw new ArgumentException($"--csv {csv} is a directory; name a CSV file");
            if (!File.Exists(csv)) throw new ArgumentException($"--csv {csv}: no such file");
            // read once up front (the study reads it again) so a bad --label or table fails before any output
            Cli.WithLabel(() => Study.ReadClassTable(csv, label), label);
            source = StudySource.Csv;
        }
        else if (label != null) throw new ArgumentException("--label applies only with --csv");
        var architecture = (model ?? (fineTune ? "cnn" : "mlp")).ToLowerInvariant() switch
        {
            "mlp" => StudyModel.Mlp,
            "cnn" => StudyModel.Cnn,
            _ => throw new ArgumentException($"--model must be mlp or cnn, got '{model}'"),
        };
        if (fineTune && architecture != StudyModel.Cnn) throw new ArgumentException($"--model {model} does not apply to --scenario fine-tune, which always fine-tunes the cnn");
        if (epochs is int e && e < 1) throw new ArgumentException($"--epochs must be at least 1, got {e}");
        if (pretrainEpochs != null && !fineTune) throw new ArgumentException("--pretrain-epochs applies only to --scenario fine-tune");
        if (pretrainEpochs is int pe && pe < 1) throw new ArgumentException($"--pretrain-epochs must be at least 1, got {pe}");
        if (trainSize is int n && n < 1) throw new ArgumentException($"--train-size must be at least 1, got {n}");
        if (seed < 0) throw new ArgumentException($"--seed must be non-negative, got {seed}");
        List<string>? names = null;
        if (only != null)
        {
            names = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            if (names.Count == 0) throw new ArgumentException("--only needs at least one configuration name");
            foreach (var name in names)
                if (!StudyConfiguration.For(scenario).Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
                    throw new ArgumentException($"--only: unknown configuration '{name}'{(fineTune ? " for --scenario fine-tune" : "")}; known: {Names(scenario)}");
        }
        if (architecture == StudyModel.Cnn && source == StudySource.Csv) throw new ArgumentException("--model cnn needs 28×28 images; use --model mlp with --csv");
        var options = new StudyOptions
        {
            Scenario = scenario, Source = source, CsvPath = csv, LabelColumn = label, Model = architecture, TrainSize = trainSize,
            Only = names, Seed = (ulong)seed, PretrainEpochs = pretrainEpochs ?? StudyOptions.DefaultPretrainEpochs,
        };
        return epochs is int chosen ? options with { Epochs = chosen } : options;
    }

    static int Run(StudyOptions options, string output, bool json)
    {
        output = Cli.CheckOut(output); // "occam-study/" names the folder, not its contents
        // A console bound to the current stdout (not a process-wide one), so in-process runs print where they are told.
        var console = Cli.Terminal();
        var result = Cli.WithFashionMnist(() => json ? Study.Run(options) : RunWithProgress(options, console), options.DataRoot, hasRootOption: false);
        var reading = Study.Reading(result);
        var baseline = result.Baseline;
        // the baseline has no regularization, so the advisor must not suggest reducing it
        var advice = baseline == null ? null : Advisor.Diagnose(baseline.History.Epochs, regularized: false);
        Cli.WriteDirectoryAtomically(output, dir => StudyReport.Write(dir, result, reading, advice));
        if (json)
        {
            Console.Out.WriteLine(StudyReport.MetricsJson(result));
            return 0;
        }
        if (result.Pretraining is { } pre)
            console.WriteLine(F($"Pretraining on classes 0–4 ({result.PretrainCount:N0} examples, {pre.EpochsRun} epochs): train {Pct(pre.TrainAccuracy)}, validation {Pct(pre.ValAccuracy)}, test {Pct(pre.TestAccuracy)}."));
        console.Write(Table(result));
        console.WriteLine();
        foreach (var paragraph in reading)
        {
            console.WriteLine(paragraph);
            console.WriteLine();
        }
        if (advice != null) PrintAdvice(console, advice, StudyReport.BaselineLabel(result));
        console.MarkupLineInterpolated($"Report: [link]{Path.Combine(output, "index.html")}[/]");
        return 0;
    }

    static StudyResult RunWithProgress(StudyOptions options, IAnsiConsole console)
    {
        var configurations = options.Configurations();
        bool fineTune = options.Scenario == StudyScenario.FineTune;
        if (fineTune)
            console.MarkupLineInterpolated($"[bold]occam study --scenario fine-tune[/]: cnn pretrained on classes 0–4 for {options.PretrainEpochs} epochs, then {configurations.Count} configurations fine-tuned on classes 5–9, up to {options.Epochs} epochs each.");
        else
            console.MarkupLineInterpolated($"[bold]occam study[/]: {options.Model.ToString().ToLowerInvariant()} × {configurations.Count} configurations, up to {options.Epochs} epochs each.");
        StudyResult? result = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var overall = ctx.AddTask("[bold]all configurations[/]", maxValue: configurations.Count * options.Epochs + (fineTune ? options.PretrainEpochs : 0));
                // Configurations train side by side (one per thread), and their reports come one at a time.
                var tasks = new Dictionary<int, ProgressTask>();
                result = Study.Run(options, new Reporter(p =>
                {
                    if (!tasks.TryGetValue(p.Run, out var task))
                        tasks[p.Run] = task = ctx.AddTask(Markup.Escape(p.Name), maxValue: p.Epochs);
                    if (!p.EpochEnded) return;
                    task.Value = p.Finished ? p.Epochs : p.Epoch + 1;
                    if (p.Logs.TryGetValue("val_accuracy", out var val))
                        task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{p.Name,-16} val {(val * 100):0.0}%"));
                    overall.Value = tasks.Values.Sum(t => t.Value);
                }));
                overall.Value = overall.MaxValue;
            });
        return result!;
    }

    static Table Table(StudyResult result)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"{Markup.Escape(result.DataDescription)}: {result.TrainCount:N0} train, {result.ValidationCount:N0} validation, {result.TestCount:N0} test");
        bool fineTune = result.Pretraining != null;
        string[] headers = fineTune ? ["config", "train", "val", "test", "gap", "best", "‖w‖₂", "moved", "zeros", "s"] : ["config", "train", "val", "test", "gap", "best", "‖w‖₂", "zeros", "s"];
        foreach (var header in headers)
            table.AddColumn(new TableColumn(header) { Alignment = header == "config" ? Justify.Left : Justify.Right });
        var baseline = result.Baseline;
        foreach (var r in result.Runs)
        {
            string gap = Study.GapText(r.Gap); // as the reading rounds it
            if (baseline != null && r != baseline) gap = r.Gap < baseline.Gap - 0.01 ? $"[green]{gap}[/]" : r.Gap > baseline.Gap + 0.01 ? $"[red]{gap}[/]" : gap;
            List<string> cells = [Markup.Escape(r.Name), Pct(r.TrainAccuracy), Pct(r.ValAccuracy), Pct(r.TestAccuracy), gap, F($"{r.BestEpoch}/{r.EpochsRun}"), F($"{r.L2Norm:0.0}")];
            if (fineTune) cells.Add(FineTuneStudy.Drift(result, r) is double moved ? Pct(moved) : "–");
            table.AddRow([.. cells, Pct(r.ZeroWeightFraction), F($"{r.Seconds:0.0}")]);
        }
        table.Caption("accuracy after training; gap = train − test (points); best = epoch of lowest validation loss / epochs run" +
            (fineTune ? "; moved = ‖w − w₀‖/‖w₀‖ of the backbone from its pretrained weights" : ""));
        return table;
    }

    static void PrintAdvice(IAnsiConsole console, Advice advice, string on)
    {
        console.MarkupLineInterpolated($"[bold]Advisor[/], on {on}: [bold]{advice.Diagnosis}[/] (best epoch {advice.BestEpoch + 1}).");
        console.WriteLine(advice.Reading);
        foreach (var r in advice.Recommendations)
            console.MarkupLineInterpolated($"  • [bold]{r.Technique}[/]{(r.Value is double v ? F($" = {v:G3}") : "")}: {r.Why}");
        console.WriteLine();
    }

    static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    static string Pct(double fraction, int decimals = 1) => (fraction * 100).ToString("F" + decimals, CultureInfo.InvariantCulture) + "%";

    /// <summary>Reports synchronously on the training threads (System.Progress would post to the thread pool).</summary>
    sealed class Reporter(Action<StudyProgress> report) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value) => report(value);
    }
}
