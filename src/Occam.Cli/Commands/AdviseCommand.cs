using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Occam.Studies;
using Spectre.Console;

namespace Occam.Cli.Commands;

/// <summary>`occam advise HISTORY.csv|RUN_DIR`: reads learning curves and prints the diagnosis and what to change
/// (<see cref="Advisor"/>).</summary>
internal static class AdviseCommand
{
    public static Command Create()
    {
        var history = new Argument<string>("HISTORY")
        {
            Description = "A history CSV (Occam's, or a Keras CSVLogger file: epoch, loss, accuracy, val_loss, val_accuracy), " +
                "or a run directory holding history.csv (else its first *.csv).",
        };
        var json = Cli.Json();
        var command = new Command("advise", """
            Diagnoses overfitting, underfitting or a good fit (or a diverged run, whose last loss is NaN) from training
            and validation curves, and recommends concrete changes (weight decay, dropout, augmentation, early stopping
            at the best epoch, ...) with values and the reason for each. The text counts epochs from 1; --json's
            best_epoch is 0-based, as Keras numbers epochs, and early_stopping's value is the number of epochs to train
            (best_epoch + 1). For an occam train report's history.csv, the config.json beside it says whether the run
            had any regularization; one without any is never told to reduce it. For such a report it also prints the
            `occam train --config …/config.json` command that applies the recommendations that have a flag (--json:
            "next_run").
            Example: occam advise runs/mlp/history.csv    occam advise runs/mlp --json
            """) { history, json };
        Cli.SetAction(command, parse =>
        {
            var path = HistoryFile(parse.GetValue(history)!);
            var run = TrainConfig(path);
            var advice = Advisor.Diagnose(Advisor.ReadHistoryCsv(path), run?.Config.Regularized);
            string? next = run == null ? null : NextRun(advice, run.Value.Config, run.Value.Path);
            if (parse.GetValue(json)) Console.Out.WriteLine(Json(advice, next));
            else Print(advice, path, next);
            return 0;
        });
        return command;
    }

    /// <summary>The history file: the path itself, or in a directory history.csv, else its first *.csv by name.</summary>
    static string HistoryFile(string path)
    {
        if (File.Exists(path)) return path;
        if (!Directory.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist; give a history CSV or a run directory");
        var named = Path.Combine(path, "history.csv");
        if (File.Exists(named)) return named;
        return Directory.GetFiles(path, "*.csv").Order(StringComparer.Ordinal).FirstOrDefault()
            ?? throw new FileNotFoundException($"the directory '{path}' holds no history.csv and no other *.csv file");
    }

    /// <summary>The settings of the `occam train` run whose report holds <paramref name="history"/> (its config.json beside
    /// history.csv), or null for any other history: the advice then comes from the curves alone.</summary>
    static (Config.RunConfig Config, string Path)? TrainConfig(string history)
    {
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(history))!, "config.json");
        if (Path.GetFileName(history) != "history.csv" || !File.Exists(config)) return null;
        try { return (Config.RunConfig.Parse(File.ReadAllText(config), config), config); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Text.Json.JsonException) { return null; } // not occam train's config
    }

    /// <summary>The `occam train` command that repeats the run with the recommendations that have a flag applied (the
    /// others, such as more data or a wider model, stay in the table), or null when none has.</summary>
    internal static string? NextRun(Advice advice, Config.RunConfig run, string configPath)
    {
        var flags = new Dictionary<string, string>();
        static string N(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        foreach (var r in advice.Recommendations)
        {
            double v = r.Value ?? 0;
            switch (r.Technique)
            {
                case "early_stopping" when run.EarlyStopping == 0 && run.Ema == 0 && run.Validation > 0: flags["--early-stopping"] = "5"; break;
                case "weight_decay" when v > run.WeightDecay: flags["--weight-decay"] = N(v); break;
                case "dropout" when v > run.Dropout: flags["--dropout"] = N(v); break;
                case "augmentation" when !run.Augment: flags["--augment"] = "true"; break;
                case "label_smoothing" when v > run.LabelSmoothing: flags["--label-smoothing"] = N(v); break;
                case "batch_norm" when !run.BatchNorm && !run.LayerNorm: flags["--batch-norm"] = "true"; break;
                case "increase_capacity" when run.Model == "mlp": flags["--hidden"] = string.Join(",", run.Hidden.Select(h => N(Math.Round(h * v)))); break;
                case "increase_capacity": flags["--dense"] = N(Math.Round(run.Dense * v)); break;
                case "lower_learning_rate": flags["--lr"] = N(run.Lr * v); break;
                case "train_longer": flags["--epochs"] = N(v); break;
                case "reduce_regularization":
                    foreach (var (flag, strength) in new (string, double)[]
                    {
                        ("--dropout", run.Dropout), ("--weight-decay", run.WeightDecay), ("--l1", run.L1), ("--l2", run.L2), ("--l1-proximal", run.L1Proximal),
                        ("--label-smoothing", run.LabelSmoothing), ("--mixup", run.Mixup), ("--cutmix", run.Cutmix), ("--sam", run.Sam),
                    })
                        if (strength > 0) flags[flag] = N(strength * v);
                    break;
            }
        }
        if (flags.Count == 0) return null;
        static string Quoted(string s) => s.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '$') ? $"'{s.Replace("'", "'\\''")}'" : s;
        return $"occam train --config {Quoted(configPath)} " + string.Join(" ", flags.Select(f => $"{f.Key} {f.Value}"));
    }

    static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>{"diagnosis": "...", "best_epoch": k, "recommendations": [{"technique": "...", "value": v|null, "why": "..."}]}.
    /// With <paramref name="nextRun"/>, also "next_run": the `occam train` command that applies them.</summary>
    internal static string Json(Advice advice, string? nextRun = null)
    {
        var o = new Dictionary<string, object>
        {
            ["diagnosis"] = advice.Diagnosis,
            ["best_epoch"] = advice.BestEpoch,
            ["recommendations"] = advice.Recommendations.Select(r => new Dictionary<string, object?>
            {
                ["technique"] = r.Technique, ["value"] = r.Value, ["why"] = r.Why,
            }).ToList(),
        };
        if (nextRun != null) o["next_run"] = nextRun;
        return JsonSerializer.Serialize(o, JsonOptions);
    }

    static void Print(Advice advice, string path, string? nextRun)
    {
        var console = Cli.Terminal();
        string color = advice.Diagnosis switch { "overfitting" or "diverged" => "red", "underfitting" => "yellow", _ => "green" };
        console.MarkupLine($"[bold]{Markup.Escape(path)}[/]: [bold {color}]{advice.Diagnosis}[/] (best epoch {advice.BestEpoch + 1}, counting from 1)");
        console.WriteLine(advice.Reading);
        if (advice.Recommendations.Count == 0)
        {
            console.WriteLine("No change recommended.");
            return;
        }
        var table = new Table().AddColumn("technique").AddColumn(new TableColumn("value").RightAligned()).AddColumn("why");
        foreach (var r in advice.Recommendations)
            table.AddRow(Markup.Escape(r.Technique), r.Value is double v ? v.ToString("G4", CultureInfo.InvariantCulture) : "-", Markup.Escape(r.Why));
        console.Write(table);
        if (nextRun != null) console.WriteLine($"Next run with these changes: {nextRun}");
    }
}
