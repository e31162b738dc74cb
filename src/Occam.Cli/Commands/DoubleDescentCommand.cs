using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Occam.Cli.Reports;
using Occam.Studies;

namespace Occam.Cli.Commands;

/// <summary>`occam double-descent`: test error against model size across the interpolation threshold (Belkin et al. 2019),
/// with random features (default) or an MLP width sweep on noisy labels (Nakkiran et al. 2019).</summary>
internal static class DoubleDescentCommand
{
    public static Command Create()
    {
        var mode = new Option<string>("--mode") { Description = "rf: ReLU random features, minimum-norm least squares; mlp: MLP hidden-width sweep with label noise.", DefaultValueFactory = _ => "rf" };
        mode.AcceptOnlyFromAmong("rf", "mlp");
        var trainSize = new Option<int>("--train-size") { Description = "Training examples n (drawn from the embedded Fashion-MNIST subset).", DefaultValueFactory = _ => 1000 };
        var testSize = new Option<int>("--test-size") { Description = "Test examples (from the embedded test subset, at most 2000).", DefaultValueFactory = _ => 2000 };
        var sizes = new Option<string?>("--sizes") { Description = "Comma-separated feature counts (rf) or hidden widths (mlp) instead of the default grid." };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs per width (mlp).", DefaultValueFactory = _ => 200 };
        var noise = new Option<double>("--label-noise") { Description = "Fraction of training labels replaced by a random other class, so that fraction is wrong (mlp; Nakkiran et al. 2019).", DefaultValueFactory = _ => 0.2 };
        var seed = Cli.Seed();
        var threads = Cli.Threads();
        var outDir = Cli.Out("double-descent");
        var json = Cli.Json();
        var command = new Command("double-descent", """
            Reproduces the double-descent curve (Belkin et al. 2019): test error against model size across the
            interpolation threshold. Default: ReLU random features fitted by minimum-norm least squares to one-hot
            targets, p from 50 to 10·n features with dense points near p = n, where the test error peaks.
            --mode mlp: one-hidden-layer MLPs of width 2..512 trained on labels with 20% noise (Nakkiran et al. 2019).
            Writes metrics.json and double_descent.png to --out.
            Example: occam double-descent --train-size 1000 --out dd
            """) { mode, trainSize, testSize, sizes, epochs, noise, seed, threads, outDir, json };
        Cli.SetAction(command, parse =>
        {
            bool asJson = parse.GetValue(json);
            Cli.CheckOut(parse.GetValue(outDir));
            int[]? grid = ParseSizes(parse.GetValue(sizes));
            if (parse.GetValue(mode) == "rf")
                foreach (var option in new Option[] { epochs, noise })
                    if (parse.GetResult(option) is { Implicit: false })
                        throw new ArgumentException($"{option.Name} applies to --mode mlp only (random features are fitted in closed form on clean labels)");
            var clock = Stopwatch.StartNew();
            void Report(DoubleDescentPoint p)
            {
                if (!asJson) Console.WriteLine($"{p.Features,8} {p.Parameters,10} {p.TrainError,10:P1} {p.TestError,10:P1} {clock.Elapsed.TotalSeconds,8:F1}");
            }
            bool mlp = parse.GetValue(mode) == "mlp";
            // before the table's header, so a bad size prints only its error
            Cli.InFlagNames(() => { DoubleDescent.CheckSizes(parse.GetValue(trainSize), parse.GetValue(testSize)); return 0; },
                "DoubleDescent", ("train size", "--train-size"), ("test size", "--test-size"));
            if (!asJson)
                Console.WriteLine($"{(mlp ? "width" : "features"),8} {"params",10} {"train err",10} {"test err",10} {"elapsed",8}");
            var result = mlp
                ? DoubleDescent.Mlp(parse.GetValue(trainSize), parse.GetValue(testSize), grid, parse.GetValue(noise), parse.GetValue(epochs), parse.GetValue(seed), Report)
                : DoubleDescent.RandomFeatures(parse.GetValue(trainSize), parse.GetValue(testSize), grid, parse.GetValue(seed), progress: Report);
            string metrics = Metrics(result);
            Cli.WriteDirectoryAtomically(parse.GetValue(outDir)!, dir =>
            {
                File.WriteAllText(Path.Combine(dir, "metrics.json"), metrics);
                Plot(result, Path.Combine(dir, "double_descent.png"));
            });
            if (asJson) Console.WriteLine(metrics);
            else
            {
                // The classical minimum (below the interpolation threshold), then the peak after it, if the error rises
                // there at all (the second descent follows the peak).
                var points = result.Points;
                string size = mlp ? "width" : "p";
                var below = points.Where(p => p.Parameters < result.ThresholdParameters).ToList();
                var first = below.Count > 0 ? below.MinBy(p => p.TestError) : null;
                var peak = first == null ? null : points.SkipWhile(p => p != first).MaxBy(p => p.TestError);
                var low = points.MinBy(p => p.TestError)!;
                var last = points[^1];
                Console.WriteLine();
                Console.WriteLine($"Interpolation threshold: {(mlp ? $"{result.ThresholdParameters} parameters (n·classes)" : $"p = n = {result.TrainSize}")}.");
                string shape = first == null ? "no size below the threshold"
                    : $"{first.TestError:P1} at {size} = {first.Features} (the classical minimum, below the threshold), " +
                      (peak!.TestError > first.TestError ? $"peak {peak.TestError:P1} at {size} = {peak.Features}" : "no peak above it");
                Console.WriteLine($"Test error: {shape}, {last.TestError:P1} at the largest {size} = {last.Features}; lowest overall {low.TestError:P1} at {size} = {low.Features}.");
                Console.WriteLine($"Wrote {Path.GetFullPath(parse.GetValue(outDir)!)} in {clock.Elapsed.TotalSeconds:F1} s.");
            }
            return 0;
        }, threads);
        return command;
    }

    static int[]? ParseSizes(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var sizes = text.Split(',').Select(s => int.TryParse(s.Trim(), out int v) && v > 0 ? v
            : throw new ArgumentException($"--sizes '{text}': '{s.Trim()}' is not a positive integer")).ToArray();
        for (int i = 1; i < sizes.Length; i++)
            if (sizes[i] <= sizes[i - 1])
                throw new ArgumentException($"--sizes '{text}' must increase ({sizes[i]} follows {sizes[i - 1]}): the curve is drawn from small models to large");
        return sizes;
    }

    static double? Finite(double v) => double.IsFinite(v) ? v : null;

    /// <summary>metrics.json: {"mode", "threshold": n_train, "threshold_parameters", "train_size", "test_size",
    /// "points": [{"features", "parameters", "train_error", "test_error", "train_mse", "test_mse"}]}.</summary>
    internal static string Metrics(DoubleDescentResult r) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["mode"] = r.Mode,
        ["threshold"] = r.TrainSize,
        ["threshold_parameters"] = r.ThresholdParameters,
        ["train_size"] = r.TrainSize,
        ["test_size"] = r.TestSize,
        ["points"] = r.Points.Select(p => new Dictionary<string, object?>
        {
            ["features"] = p.Features, ["parameters"] = p.Parameters, ["train_error"] = p.TrainError, ["test_error"] = p.TestError,
            ["train_mse"] = Finite(p.TrainMse), ["test_mse"] = Finite(p.TestMse),
        }).ToArray(),
    }, new JsonSerializerOptions { WriteIndented = true });

    static void Plot(DoubleDescentResult r, string path)
    {
        bool mlp = r.Mode == "mlp";
        var x = r.Points.Select(p => mlp ? (double)p.Parameters : p.Features).ToArray();
        Plots.Lines(path, mlp ? $"Double descent: MLP width sweep, n = {r.TrainSize}, noisy labels" : $"Double descent: ReLU random features, n = {r.TrainSize}",
            mlp ? "parameters (log)" : "random features p (log)", "misclassification rate", x,
            [("test error", r.Points.Select(p => p.TestError).ToArray()), ("train error", r.Points.Select(p => p.TrainError).ToArray())],
            logX: true, markers: [(mlp ? r.ThresholdParameters : r.TrainSize, mlp ? "n·classes parameters" : "interpolation threshold p = n")]);
    }
}
