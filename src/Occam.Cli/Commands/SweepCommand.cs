using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Occam.Cli.Reports;
using Occam.Cli.Storage;
using Occam.Studies;

namespace Occam.Cli.Commands;

/// <summary>`occam sweep`: tunes regularization strength on validation data (grid, random or successive halving), trials
/// kept in SQLite so a sweep resumes and several processes share it; reports the best and the one-SE choice.</summary>
internal static class SweepCommand
{
    public const string DefaultParam = "l2=1e-6..1e-1:log";

    public static Command Create()
    {
        var param = new Option<string[]>("--param") { Description = $"A parameter to sweep: name=lo..hi, name=lo..hi:log or name=a,b,c; repeat for several. Names: {string.Join(", ", Sweep.Directions.Keys)} (default: {DefaultParam}).", AllowMultipleArgumentsPerToken = false };
        var method = new Option<string>("--method") { Description = "grid, random, or halving (successive halving over random draws: keeps the top 1/eta each rung and multiplies epochs by eta, with at most floor(log_eta(epochs)) + 1 rungs so each trains longer than the last; the configurations left then all train the full --epochs).", DefaultValueFactory = _ => "grid" };
        method.AcceptOnlyFromAmong("grid", "random", "halving");
        var points = new Option<int>("--points") { Description = "Grid points per range parameter (grid).", DefaultValueFactory = _ => 6 };
        var trials = new Option<int>("--trials") { Description = "Configurations drawn (random, halving).", DefaultValueFactory = _ => 12 };
        var repeats = new Option<int>("--repeats") { Description = "Runs per configuration with different seeds; SE = sd/√repeats.", DefaultValueFactory = _ => 3 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs per run (halving: of the last rung).", DefaultValueFactory = _ => 20 };
        var trainSize = new Option<int>("--train-size") { Description = "Training examples per run (embedded Fashion-MNIST subset).", DefaultValueFactory = _ => 1000 };
        var validationSize = new Option<int>("--validation-size") { Description = "Validation examples per run.", DefaultValueFactory = _ => 1000 };
        var model = new Option<string>("--model") { Description = "mlp (784-256-128-10) or cnn.", DefaultValueFactory = _ => "mlp" };
        model.AcceptOnlyFromAmong("mlp", "cnn");
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate (when lr is not swept).", DefaultValueFactory = _ => 1e-3 };
        var batch = new Option<int>("--batch-size") { Description = "Batch size.", DefaultValueFactory = _ => 64 };
        var eta = new Option<int>("--eta") { Description = "Halving factor η.", DefaultValueFactory = _ => 3 };
        var storage = new Option<string>("--storage") { Description = "SQLite file holding the trials (resume by running again; share it between processes).", DefaultValueFactory = _ => "sweep.db" };
        var seed = Cli.Seed();
        var threads = Cli.Threads();
        var outDir = Cli.Out("sweep");
        var json = Cli.Json();
        var command = new Command("sweep", $"""
            Tunes regularization strength on validation data: trains a model per configuration and repeat on a
            train/validation draw of the embedded Fashion-MNIST subset, and reports the validation accuracy against each
            parameter, the best value and the one-standard-error choice (the most regularized value within one SE of the
            best, like glmnet's lambda.1se), with the overfitting and underfitting regions. Trials live in --storage, so an
            interrupted sweep resumes where it stopped and several processes can run the same sweep at once; within a process,
            trials run side by side, one per thread (--threads).
            Writes sweep.json and one PNG per parameter to --out.
            Example: occam sweep --param weight-decay=1e-5..1e-1:log --param dropout=0..0.5 --method random --trials 20 --storage sweep.db
            """) { param, method, points, trials, repeats, epochs, trainSize, validationSize, model, lr, batch, eta, storage, seed, threads, outDir, json };
        Cli.SetAction(command, parse =>
        {
            var texts = parse.GetValue(param) is { Length: > 0 } given ? given : [DefaultParam];
            var settings = new SweepSettings(SweepSpace.Parse(texts),
                Enum.Parse<SweepMethod>(parse.GetValue(method)!, ignoreCase: true), parse.GetValue(points), parse.GetValue(trials),
                parse.GetValue(repeats), parse.GetValue(epochs), parse.GetValue(trainSize), parse.GetValue(validationSize),
                parse.GetValue(model)!, parse.GetValue(lr), parse.GetValue(batch), parse.GetValue(eta), parse.GetValue(seed));
            Cli.InFlagNames(() => { settings.Validate(); return 0; }, "Sweep", ("points", "--points"), ("trials", "--trials"), ("repeats", "--repeats"),
                ("epochs", "--epochs"), ("train size", "--train-size"), ("validation size", "--validation-size"), ("batch size", "--batch-size"),
                ("model", "--model"), ("lr", "--lr"), ("eta", "--eta"));
            Cli.CheckOut(parse.GetValue(outDir));
            Cli.CheckOutside(parse.GetValue(storage)!, "--storage", parse.GetValue(outDir)!);
            bool asJson = parse.GetValue(json);
            var clock = Stopwatch.StartNew();
            using var store = SweepStore.Open(parse.GetValue(storage)!, settings);
            int ran = WorkSideBySide(parse.GetValue(storage)!, settings, asJson, clock);
            var result = Sweep.Result(store.Results(), settings.Space);
            string report = Report(settings, store, result, ran);
            Cli.WriteDirectoryAtomically(parse.GetValue(outDir)!, dir =>
            {
                File.WriteAllText(Path.Combine(dir, "sweep.json"), report);
                foreach (var p in settings.Space.Parameters) SweepPlots.Parameter(Path.Combine(dir, $"{p.Name}.png"), result, p);
            });
            if (asJson) Console.WriteLine(report);
            else Print(settings, result, ran, Path.GetFullPath(parse.GetValue(outDir)!), clock.Elapsed.TotalSeconds);
            return 0;
        }, threads);
        return command;
    }

    // One worker per engine thread, each with its own connection to the store, claiming and running trials side by side
    // with every kernel of a trial on its worker's thread: a sweep's trials are small models on batches of 64, where
    // splitting each kernel across the cores gained little from the second core (bench/RESULTS.md). Returns how many
    // trials this process ran.
    static int WorkSideBySide(string storage, SweepSettings settings, bool quiet, Stopwatch clock)
    {
        var ran = new int[Threads.Count];
        Threads.For(ran.Length, w =>
        {
            using var store = SweepStore.Open(storage, settings);
            ran[w] = Work(store, settings, quiet, clock);
        });
        return ran.Sum();
    }

    // Claims and runs trials until none is pending or running anywhere; returns how many this worker ran.
    static int Work(SweepStore store, SweepSettings settings, bool quiet, Stopwatch clock)
    {
        string worker = SweepStore.NewWorkerId();
        int ran = 0;
        while (true)
        {
            var claim = store.Claim(worker);
            if (claim == null)
            {
                if (store.Unfinished() == 0) return ran;
                Thread.Sleep(500);  // other workers hold the remaining trials (or the next rung waits on them)
                continue;
            }
            TrialResult result;
            try { result = Sweep.RunTrial(settings, claim.Trial, (_, _) => store.Heartbeat(claim.Id)); }
            catch
            {
                store.Release(claim.Id);
                throw;
            }
            store.Complete(claim.Id, result, worker);
            ran++;
            if (!quiet)
                Console.WriteLine($"  {Describe(claim.Trial.Parameters)}  repeat {claim.Trial.Repeat}  rung {claim.Trial.Rung}  {claim.Trial.Epochs} epochs  {Sweep.Metric} {result.Metric:0.0000}  ({clock.Elapsed.TotalSeconds:F0} s)");
        }
    }

    static string Describe(IReadOnlyDictionary<string, double> parameters) =>
        string.Join(" ", parameters.Select(kv => $"{kv.Key}={kv.Value.ToString("G3", CultureInfo.InvariantCulture)}"));

    static void Print(SweepSettings settings, SweepResult result, int ran, string outDir, double seconds)
    {
        Console.WriteLine();
        Console.WriteLine($"{"configuration",-40} {"epochs",6} {"mean",8} {"± SE",8}");
        foreach (var c in result.Configurations.OrderBy(c => c.Rung).ThenBy(c => c.Config))
        {
            string mark = (c == result.Best ? " best" : "") + (result.HasOneStandardErrorChoice && c == result.OneStandardError ? " one-SE" : "");
            string se = c.Repeats > 1 ? c.StandardError.ToString("0.0000", CultureInfo.InvariantCulture) : "–";
            Console.WriteLine($"{Describe(c.Parameters),-40} {c.Epochs,6} {c.Mean,8:0.0000} {se,8}{mark}");
        }
        Console.WriteLine();
        var oneSe = result.OneStandardError;
        if (result.Best.Repeats < 2)
        {
            // one draw per configuration: no standard error, so no one-SE choice beyond the best itself
            Console.WriteLine($"Best: {Describe(result.Best.Parameters)} ({Sweep.Metric} {result.Best.Mean:0.0000}, one repeat: no standard error).");
            Console.WriteLine("One-SE choice: needs a standard error; run --repeats 3 or more to get one.");
        }
        else if (result.Finalists < 2)
        {
            // a shorter rung's scores are not comparable with the best's, so they offer no one-SE choice either
            Console.WriteLine($"Best: {Describe(result.Best.Parameters)} ({Sweep.Metric} {result.Best.Mean:0.0000} ± {result.Best.StandardError:0.0000} at {result.Best.Epochs} epochs).");
            Console.WriteLine($"One-SE choice: none beyond the best; halving left only it to train the full {result.Best.Epochs} epochs. Run more --trials to keep several to the last rung.");
        }
        else
        {
            Console.WriteLine($"Best: {Describe(result.Best.Parameters)} ({Sweep.Metric} {result.Best.Mean:0.0000} ± {result.Best.StandardError:0.0000}).");
            Console.WriteLine($"One-SE choice (most regularized within one SE of the best, among the {result.Finalists} configurations trained {result.Best.Epochs} epochs): {Describe(oneSe.Parameters)} ({oneSe.Mean:0.0000}).");
        }
        foreach (var p in settings.Space.Parameters)
        {
            var (over, under) = Sweep.Regions(result, p);
            if (over is var (a, b)) Console.WriteLine($"{p.Name}: overfitting (too little regularization) from {a:G3} to {b:G3}.");
            if (under is var (c, d)) Console.WriteLine($"{p.Name}: underfitting (too much regularization) from {c:G3} to {d:G3}.");
        }
        Console.WriteLine($"Ran {ran} trial(s) now; wrote {outDir} in {seconds:F1} s.");
    }

    static object Summary(ConfigSummary c) => new Dictionary<string, object>
    {
        ["config"] = c.Config, ["params"] = c.Parameters, ["rung"] = c.Rung, ["epochs"] = c.Epochs,
        ["mean"] = c.Mean, ["se"] = c.Repeats > 1 ? c.StandardError : null!, ["repeats"] = c.Repeats, // no SE from one repeat
    };

    static object? Span((double Low, double High)? span) => span is var (lo, hi) ? new[] { lo, hi } : null;

    /// <summary>sweep.json: spec, metric, parameters, trials, configurations, best, finalists (configurations trained at the
    /// full budget), one_se (null without a choice beyond the best), regions, trials_run (by this process).</summary>
    static string Report(SweepSettings settings, SweepStore store, SweepResult result, int ran) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["spec"] = JsonDocument.Parse(settings.Spec()).RootElement,
        ["metric"] = Sweep.Metric,
        ["parameters"] = settings.Space.Parameters.Select(p => new Dictionary<string, object?>
        {
            ["name"] = p.Name, ["low"] = p.Low, ["high"] = p.High, ["log"] = p.Log, ["values"] = p.Values, ["regularizes"] = Sweep.Directions[p.Name] != 0, ["stronger"] = Sweep.Directions[p.Name] switch { > 0 => "higher", < 0 => "lower", _ => null },
        }).ToArray(),
        ["trials"] = store.Trials().Select(t => new Dictionary<string, object?>
        {
            ["config"] = t.Trial.Config, ["repeat"] = t.Trial.Repeat, ["rung"] = t.Trial.Rung, ["epochs"] = t.Trial.Epochs,
            ["params"] = t.Trial.Parameters, ["status"] = t.Status, ["worker"] = t.Worker, ["metric"] = t.Result?.Metric,
            ["curve"] = t.Result?.Curve.Select(v => double.IsFinite(v) ? v : (double?)null).ToArray(),
        }).ToArray(),
        ["configurations"] = result.Configurations.Select(Summary).ToArray(),
        ["best"] = Summary(result.Best),
        ["finalists"] = result.Finalists,
        ["one_se"] = result.HasOneStandardErrorChoice ? Summary(result.OneStandardError) : null, // needs a standard error and two finalists
        ["regions"] = settings.Space.Parameters.ToDictionary(p => p.Name, p =>
        {
            var (over, under) = Sweep.Regions(result, p);
            return new Dictionary<string, object?> { ["overfitting"] = Span(over), ["underfitting"] = Span(under) };
        }),
        ["trials_run"] = ran,
    }, new JsonSerializerOptions { WriteIndented = true });
}
