using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Occam.Cli.Reports;
using Occam.Data;
using Occam.Data.Readers;
using Occam.IO;
using Occam.Models;
using Occam.Studies;
using Spectre.Console;

namespace Occam.Cli.Commands;

/// <summary>`occam path`: the regularization path of a linear model (<see cref="RegularizationPath"/>) — coefficients and
/// validation metric against λ, with the best and the one-standard-error λ.</summary>
internal static class PathCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "embedded (the Fashion-MNIST subset in the assembly) or fashion-mnist (the full set, from OCCAM_DATA or /usr/share/datasets/fashion-mnist); pixels / 255 as 784 features.", DefaultValueFactory = _ => "embedded" };
        data.AcceptOnlyFromAmong("embedded", "fashion-mnist");
        var csv = new Option<string?>("--csv") { Description = "Fit a numeric CSV table instead of --data (needs --label)." };
        var label = new Option<string?>("--label") { Description = "The CSV's target column (a header name, or a column number): class indices for classification, values for regression." };
        var task = new Option<string>("--task") { Description = "classification (logistic: binary or multinomial) or regression (least squares; CSV only).", DefaultValueFactory = _ => "classification" };
        task.AcceptOnlyFromAmong("classification", "regression");
        var penalty = new Option<string>("--penalty") { Description = "l1 (lasso), l2 (ridge) or elastic-net: λ·(α·Σ|w| + (1 − α)/2·Σw²).", DefaultValueFactory = _ => "l1" };
        penalty.AcceptOnlyFromAmong("l1", "l2", "elastic-net");
        var l1Ratio = new Option<double?>("--l1-ratio") { Description = "α of the elastic net, in (0, 1] (default 0.5; elastic-net only)." };
        var lambdas = new Option<int>("--lambdas") { Description = "Number of λ values on the log grid from λ_max down.", DefaultValueFactory = _ => 20 };
        var minRatio = new Option<double?>("--lambda-min-ratio") { Description = "Smallest λ as a fraction of λ_max (default 1e-3; 1e-6 for l2, whose λ_max is 1000× larger)." };
        var grid = new Option<string?>("--lambda-grid") { Description = "Comma-separated λ values instead of the log grid (fitted from the largest down)." };
        var validation = new Option<double>("--validation") { Description = "Fraction of the examples held out for validation (stratified for classification).", DefaultValueFactory = _ => 0.2 };
        var trainSize = new Option<int?>("--train-size") { Description = $"Training examples, drawn from those left after the validation split (default: {DefaultImageTrainSize} for Fashion-MNIST, so the default run takes seconds; all rows of a CSV)." };
        var tolerance = new Option<double>("--tolerance") { Description = "Each fit stops when its optimality violation is below this fraction of λ_max·α (10× smaller: nonzero counts of a fully converged solver, about 2.5× the time).", DefaultValueFactory = _ => 1e-3 };
        var raw = new Option<bool>("--no-standardize") { Description = "Fit the features as they are instead of standardizing them (mean 0, sd 1 on the training rows), as glmnet's standardize = FALSE." };
        var exportData = new Option<string?>("--export-data") { Description = "Also write the data exactly as fitted (standardized), the fitted coefficients and the λ grid to DIR/data.safetensors, for a side-by-side run (bench/compare_path.sh)." };
        var seed = Cli.Seed();
        var threads = Cli.Threads();
        var outDir = Cli.Out("occam-path");
        var json = Cli.Json();
        var command = new Command("path", """
            The regularization path of a linear model, as glmnet draws it: fits logistic regression (or least squares)
            on a log grid of λ from λ_max, the smallest λ that zeroes every coefficient, down to λ_max·min-ratio, each
            fit warm-started from the previous, on standardized features, and scores each on validation data. Reports
            the best λ and the one-standard-error λ (the largest whose validation metric is within one SE of the best).
            Objective: mean cross-entropy (or RSS/2n) + λ·(α·Σ|w| + (1 − α)/2·Σw²); scikit-learn's C = 1/(n·λ).
            Writes coefficients.png, validation.png, path.csv and metrics.json to --out.
            Example: occam path --penalty l1 --lambdas 20 --train-size 2000
            Example: occam path --csv table.csv --label y --task regression --penalty elastic-net --l1-ratio 0.5
            """) { data, csv, label, task, penalty, l1Ratio, lambdas, minRatio, grid, validation, trainSize, tolerance, raw, exportData, seed, threads, outDir, json };
        Cli.SetAction(command, parse =>
        {
            Cli.CheckOut(parse.GetValue(outDir));
            if (parse.GetValue(exportData) is { } exportTo)
            {
                Cli.CheckOut(exportTo, "--export-data");
                Cli.CheckOutside(exportTo, "--export-data", parse.GetValue(outDir)!);
            }
            bool classification = parse.GetValue(task) == "classification";
            var chosen = parse.GetValue(penalty) switch { "l1" => PathPenalty.L1, "l2" => PathPenalty.L2, _ => PathPenalty.ElasticNet };
            double? ratio = parse.GetValue(l1Ratio);
            if (ratio != null && chosen != PathPenalty.ElasticNet)
                throw new ArgumentException($"--l1-ratio applies only to --penalty elastic-net (got --penalty {parse.GetValue(penalty)})");
            if (parse.GetValue(grid) != null && (parse.GetResult(lambdas) is { Implicit: false } || parse.GetResult(minRatio) is { Implicit: false }))
                throw new ArgumentException("--lambda-grid gives the λ values itself; drop --lambdas and --lambda-min-ratio, which shape the log grid");
            var path = Cli.InFlagNames(() => new RegularizationPath(classification ? PathTask.Classification : PathTask.Regression, chosen, ratio,
                parse.GetValue(lambdas), parse.GetValue(minRatio), ParseGrid(parse.GetValue(grid)), standardize: !parse.GetValue(raw), tolerance: parse.GetValue(tolerance)),
                "RegularizationPath", ("lambdas", "--lambdas"), ("minRatio", "--lambda-min-ratio"), ("l1Ratio", "--l1-ratio"), ("the λ grid", "--lambda-grid"),
                ("every λ in the grid", "every λ of --lambda-grid"), ("tolerance", "--tolerance"));
            var set = Load(parse.GetResult(data) is { Implicit: false } ? parse.GetValue(data) : null, parse.GetValue(csv), parse.GetValue(label), classification,
                parse.GetValue(validation), parse.GetValue(trainSize), parse.GetValue(seed));
            bool asJson = parse.GetValue(json);
            var clock = Stopwatch.StartNew();
            PathResult result = null!;
            if (asJson) result = path.Fit(set.XTrain, set.YTrain, set.XValidation, set.YValidation);
            else Cli.Terminal().Status().Start("fitting the path", status => result = path.Fit(set.XTrain, set.YTrain, set.XValidation, set.YValidation,
                p => status.Status(string.Create(CultureInfo.InvariantCulture, $"λ = {p.Lambda:G3}: {p.Nonzero:N0} nonzero, validation {p.ValidationMetric:G4} ({clock.Elapsed.TotalSeconds:F1} s)"))));
            double seconds = clock.Elapsed.TotalSeconds;
            string metrics = Metrics(result, set.Description, seconds);
            Cli.WriteDirectoryAtomically(parse.GetValue(outDir)!, dir =>
            {
                File.WriteAllText(Path.Combine(dir, "metrics.json"), metrics);
                File.WriteAllText(Path.Combine(dir, "path.csv"), Csv(result));
                PathPlots.Coefficients(Path.Combine(dir, "coefficients.png"), result);
                PathPlots.Validation(Path.Combine(dir, "validation.png"), result);
            });
            if (parse.GetValue(exportData) is { } export)
                Cli.WriteDirectoryAtomically(export, dir => Export(Path.Combine(dir, "data.safetensors"), path, set, result), "--export-data");
            if (asJson) Console.WriteLine(metrics);
            else Print(result, set.Description, Path.GetFullPath(parse.GetValue(outDir)!), seconds);
            return 0;
        }, threads);
        return command;
    }

    const int DefaultImageTrainSize = 2000;

    /// <summary>The data as the path receives it: features [n, d] (raw; the path standardizes) and targets [n].</summary>
    internal sealed record PathData(Tensor XTrain, Tensor YTrain, Tensor XValidation, Tensor YValidation, string Description);

    /// <summary>Loads the CSV table (class labels checked as <c>occam study --csv</c> checks them) or the Fashion-MNIST pixels,
    /// holds out a validation fraction (stratified for classification) and draws the training examples from the rest.</summary>
    static PathData Load(string? data, string? csv, string? label, bool classification, double validation, int? trainSize, int seed)
    {
        if (!(validation > 0 && validation < 1)) throw new ArgumentException($"--validation must be in (0, 1), got {validation.ToString(CultureInfo.InvariantCulture)}");
        IDataset pool;
        string description;
        if (csv != null)
        {
            if (data != null) throw new ArgumentException($"--data {data} does not apply with --csv, which fits the table instead; give one of them");
            if (string.IsNullOrEmpty(label)) throw new ArgumentException("--csv needs --label, the column to predict");
            pool = Cli.WithLabel(() => classification ? Study.ReadClassTable(csv, label).Table : Occam.Data.Readers.Csv.Read(csv, label), label);
            description = Path.GetFileName(csv);
        }
        else
        {
            data ??= "embedded";
            if (label != null) throw new ArgumentException("--label needs --csv");
            if (!classification) throw new ArgumentException("--task regression needs a CSV table (--csv FILE --label COLUMN); Fashion-MNIST is a classification set");
            pool = data == "embedded" ? FashionMnist.LoadEmbedded().Train : Cli.WithFashionMnist(() => FashionMnist.Load().Train, null, hasRootOption: false);
            description = data == "embedded" ? "the embedded Fashion-MNIST subset (pixels)" : "Fashion-MNIST (pixels)";
        }
        var g = new Generator((ulong)seed);
        var (rest, held) = Splits.TrainValidation(pool, validation, g, stratify: classification);
        IDataset train = rest;
        if ((trainSize ?? (csv == null ? Math.Min(DefaultImageTrainSize, rest.Count) : null)) is int n)
        {
            if (n < 2 || n > rest.Count)
                throw new ArgumentException($"--train-size must be in [2, {rest.Count}] (the examples left after the validation split), got {n}");
            if (n < rest.Count) train = Splits.TrainValidation(rest, n / (double)rest.Count, g, stratify: classification).Validation;
        }
        var (xTrain, yTrain) = Stack(train);
        var (xValidation, yValidation) = Stack(held);
        return new PathData(xTrain, yTrain, xValidation, yValidation, description);
    }

    static (Tensor X, Tensor Y) Stack(IDataset dataset)
    {
        var batch = new DataLoader(dataset, dataset.Count, prefetch: false).First();
        return (batch.Inputs.Reshape(batch.Count, -1), batch.Targets.Reshape(-1));
    }

    static double[]? ParseGrid(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return text.Split(',').Select(s => double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
            : throw new ArgumentException($"--lambda-grid '{text}': '{s.Trim()}' is not a number")).ToArray();
    }

    static string PenaltyName(PathPenalty p) => p switch { PathPenalty.L1 => "l1", PathPenalty.L2 => "l2", _ => "elastic-net" };

    // Column names of the per-λ values: accuracy for classification; mse (with val_r2) for regression.
    static string[] Columns(PathResult r) => r.Task == PathTask.Classification
        ? ["lambda", "nonzero", "train_accuracy", "val_accuracy", "val_se", "train_loss", "val_loss", "iterations"]
        : ["lambda", "nonzero", "train_mse", "val_mse", "val_se", "val_r2", "iterations"];

    static object?[] Values(PathResult r, PathPoint p) => r.Task == PathTask.Classification
        ? [p.Lambda, p.Nonzero, p.TrainMetric, p.ValidationMetric, p.ValidationStandardError, p.TrainLoss, p.ValidationLoss, p.Iterations]
        : [p.Lambda, p.Nonzero, p.TrainMetric, p.ValidationMetric, p.ValidationStandardError, Finite(p.ValidationR2), p.Iterations];

    static double? Finite(double v) => double.IsFinite(v) ? v : null;

    /// <summary>metrics.json: task, metric, penalty, l1_ratio, lambda_max, best_lambda, lambda_1se, standardized, data,
    /// train_size, validation_size, features, outputs, seconds (the whole path's fit), and path: one object per λ with
    /// the fields of <see cref="Columns"/>.</summary>
    internal static string Metrics(PathResult r, string description, double seconds)
    {
        var columns = Columns(r);
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["task"] = r.Task == PathTask.Classification ? "classification" : "regression",
            ["metric"] = r.Metric,
            ["penalty"] = PenaltyName(r.Penalty),
            ["l1_ratio"] = r.L1Ratio,
            ["lambda_max"] = r.LambdaMax,
            ["best_lambda"] = r.Points[r.Best].Lambda,
            ["lambda_1se"] = r.Points[r.OneStandardError].Lambda,
            ["standardized"] = r.Standardized,
            ["data"] = description,
            ["train_size"] = r.TrainSize,
            ["validation_size"] = r.ValidationSize,
            ["features"] = r.Features,
            ["outputs"] = r.Outputs,
            ["seconds"] = seconds,
            ["path"] = r.Points.Select(p => columns.Zip(Values(r, p)).ToDictionary(c => c.First, c => c.Second)).ToArray(),
        }, new JsonSerializerOptions { WriteIndented = true });
    }

    static string Csv(PathResult r)
    {
        var text = new StringBuilder(string.Join(",", Columns(r))).Append('\n');
        foreach (var p in r.Points)
            text.Append(string.Join(",", Values(r, p).Select(v => v switch
            {
                null => "",
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                _ => Convert.ToString(v, CultureInfo.InvariantCulture),
            }))).Append('\n');
        return text.ToString();
    }

    // The data exactly as fitted, the fitted coefficients [λ, outputs, features] and intercepts [λ, outputs], and the λ grid
    // (metadata, full precision), for bench/path_sklearn.py.
    static void Export(string file, RegularizationPath path, PathData set, PathResult r) =>
        Safetensors.Save(file, new Dictionary<string, Tensor>
        {
            ["x_train"] = path.Features(set.XTrain, set.XTrain),
            ["y_train"] = set.YTrain,
            ["x_validation"] = path.Features(set.XTrain, set.XValidation),
            ["y_validation"] = set.YValidation,
            ["coefficients"] = Tensor.FromArray(r.Points.SelectMany(p => p.Coefficients).ToArray(), r.Points.Count, r.Outputs, r.Features),
            ["intercepts"] = Tensor.FromArray(r.Points.SelectMany(p => p.Intercept).ToArray(), r.Points.Count, r.Outputs),
        }, new Dictionary<string, string>
        {
            ["task"] = r.Task == PathTask.Classification ? "classification" : "regression",
            ["penalty"] = PenaltyName(r.Penalty),
            ["l1_ratio"] = r.L1Ratio.ToString("R", CultureInfo.InvariantCulture),
            ["lambdas"] = string.Join(",", r.Points.Select(p => p.Lambda.ToString("R", CultureInfo.InvariantCulture))),
        });

    static void Print(PathResult r, string description, string outDir, double seconds)
    {
        var console = Cli.Terminal();
        bool classification = r.Task == PathTask.Classification;
        string Value(double v) => classification ? (v * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%" : v.ToString("G4", CultureInfo.InvariantCulture);
        console.WriteLine($"{PenaltyName(r.Penalty)} path on {description}: {r.TrainSize:N0} train, {r.ValidationSize:N0} validation, " +
            $"{r.Outputs * r.Features:N0} coefficients; λ_max = {r.LambdaMax.ToString("G4", CultureInfo.InvariantCulture)}, α = {r.L1Ratio.ToString(CultureInfo.InvariantCulture)}, " +
            (r.Standardized ? "standardized features." : "raw features."));
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in new[] { "λ", "nonzero", classification ? "train acc" : "train MSE", classification ? "val acc" : "val MSE", "± SE", "iterations", "" })
            table.AddColumn(new TableColumn(header) { Alignment = Justify.Right });
        for (int i = 0; i < r.Points.Count; i++)
        {
            var p = r.Points[i];
            string mark = (i == r.Best ? "best" : "") + (i == r.Best && i == r.OneStandardError ? ", " : "") + (i == r.OneStandardError ? "1-SE" : "");
            table.AddRow(p.Lambda.ToString("G3", CultureInfo.InvariantCulture), p.Nonzero.ToString("N0", CultureInfo.InvariantCulture),
                Value(p.TrainMetric), Value(p.ValidationMetric), Value(p.ValidationStandardError), p.Iterations.ToString(CultureInfo.InvariantCulture),
                mark.Length > 0 ? $"[bold]{mark}[/]" : "");
        }
        table.Caption("SE over the validation examples");
        console.Write(table);
        var best = r.Points[r.Best];
        var oneSe = r.Points[r.OneStandardError];
        string metric = classification ? "validation accuracy" : "validation MSE";
        console.WriteLine($"Best λ: {best.Lambda.ToString("G4", CultureInfo.InvariantCulture)} ({metric} {Value(best.ValidationMetric)} ± {Value(best.ValidationStandardError)}, {best.Nonzero:N0} nonzero coefficients).");
        console.WriteLine($"One-SE λ (the largest within one SE of the best): {oneSe.Lambda.ToString("G4", CultureInfo.InvariantCulture)} ({metric} {Value(oneSe.ValidationMetric)}, {oneSe.Nonzero:N0} nonzero coefficients).");
        console.WriteLine($"Fitted {r.Points.Count} λ values in {seconds.ToString("F2", CultureInfo.InvariantCulture)} s; wrote {outDir}.");
    }
}
