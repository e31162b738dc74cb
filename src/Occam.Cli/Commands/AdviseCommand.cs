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
            had any regularization; one without any is never told to reduce it.
            Example: occam advise runs/mlp/history.csv    occam advise runs/mlp --json
            """) { history, json };
        Cli.SetAction(command, parse =>
        {
            var path = HistoryFile(parse.GetValue(history)!);
            var advice = Advisor.Diagnose(Advisor.ReadHistoryCsv(path), Regularized(path));
            if (parse.GetValue(json)) Console.Out.WriteLine(Json(advice));
            else Print(advice, path);
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

    /// <summary>Whether the run of an `occam train` report had any regularization to reduce, read from the config.json
    /// beside its history.csv; null (unknown) for any other history.</summary>
    static bool? Regularized(string history)
    {
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(history))!, "config.json");
        if (Path.GetFileName(history) != "history.csv" || !File.Exists(config)) return null;
        try
        {
            return Config.RunConfig.Parse(File.ReadAllText(config), config).Regularized;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Text.Json.JsonException) { return null; } // not occam train's config: advise from the curves alone
    }

    static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>{"diagnosis": "...", "best_epoch": k, "recommendations": [{"technique": "...", "value": v|null, "why": "..."}]}</summary>
    internal static string Json(Advice advice) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["diagnosis"] = advice.Diagnosis,
        ["best_epoch"] = advice.BestEpoch,
        ["recommendations"] = advice.Recommendations.Select(r => new Dictionary<string, object?>
        {
            ["technique"] = r.Technique, ["value"] = r.Value, ["why"] = r.Why,
        }).ToList(),
    }, JsonOptions);

    static void Print(Advice advice, string path)
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
    }
}
