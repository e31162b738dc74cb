using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Occam.Cli.Config;
using Occam.Cli.Reports;
using Occam.Data;
using Occam.Data.Augment;
using Occam.IO;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Optim.Schedulers;
using Occam.Regularizers;
using Occam.Studies;
using Occam.Training;
using Occam.Training.Callbacks;
using Spectre.Console;

namespace Occam.Cli.Commands;

/// <summary>
/// `occam train`: one run from a preset, a JSON or YAML config and flags (each overriding the one before). While it trains it
/// keeps a resumable checkpoint (rewritten atomically after every epoch) at --out/checkpoint.safetensors, or at
/// --out/.occam-run/checkpoint.safetensors when --out holds an earlier report, which stays whole until the new one
/// replaces it; at the end it writes the report folder atomically: model.safetensors, checkpoint.safetensors,
/// history.csv, loss.png, accuracy.png, config.json, metrics.json (with "test_accuracy") and confusion.csv. --resume continues from a
/// checkpoint.
/// </summary>
internal static class TrainCommand
{
    /// <summary>The checkpoint metadata key holding the run's configuration (JSON), so --resume can rebuild the run.</summary>
    public const string ConfigKey = "occam.run";

    public const string CheckpointFile = "checkpoint.safetensors";

    /// <summary>Fashion-MNIST's classes.</summary>
    const int Classes = 10;

    /// <summary>The folder inside an earlier report's folder where a new run keeps its checkpoint until its own report
    /// replaces that one, so an interrupted run never leaves the earlier report with another run's checkpoint.</summary>
    public const string RunFolder = ".occam-run";

    /// <summary>Whether two paths (or names) are the same on this file system: case-insensitive on Windows.</summary>
    static bool SamePath(string? a, string? b) =>
        string.Equals(a, b, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>Where a run reporting to <paramref name="output"/> keeps its checkpoint while it trains.</summary>
    internal static string InProgressCheckpoint(string output) =>
        Cli.HoldsReport(output) ? Path.Combine(output, RunFolder, CheckpointFile) : Path.Combine(output, CheckpointFile);

    public static Command Create()
    {
        var preset = new Option<string?>("--preset") { Description = $"Start from a recipe: {string.Join(", ", RunConfig.PresetNames)}." };
        var config = new Option<string?>("--config") { Description = "JSON or YAML file (.json, .yaml, .yml) with the run's settings (keys as the flags in camelCase: batchSize, labelSmoothing, …)." };
        var resume = new Option<string?>("--resume") { Description = "Continue the interrupted run saved in this checkpoint with the settings it started with: --epochs, --threads, --json and --out may be given; any other setting flag must repeat the checkpoint's value (a new data subset, seed, model or optimizer would not continue that run)." };
        var data = new Option<string?>("--data") { Description = "embedded (6,000/2,000 subset, no files; the default) or fashion-mnist (60,000/10,000)." };
        var dataRoot = new Option<string?>("--data-root") { Description = "Directory of the Fashion-MNIST files (default: $OCCAM_DATA, then /usr/share/datasets/fashion-mnist)." };
        var trainSize = new Option<int?>("--train-size") { Description = "Draw this many examples at random from the training set (default 0: all of it); 10% of them are then held out, stratified, for validation." };
        var model = new Option<string?>("--model") { Description = "mlp (784-256-128-10) or cnn (default: mlp)." };
        var hidden = new Option<string?>("--hidden") { HelpName = "WIDTHS", Description = "The MLP's hidden widths, comma-separated (default: 256,128; fmnist-mlp: 512,256)." };
        var dense = new Option<int?>("--dense") { Description = "Width of the CNN's dense layer (default: 128; fmnist-cnn: 256)." };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs in total (default: 10; a resumed run trains the rest)." };
        var batchSize = new Option<int?>("--batch-size") { Description = "Examples per batch (default: 128)." };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: 1e-3; the peak for onecycle)." };
        var optimizer = new Option<string?>("--optimizer") { Description = "adamw, adam, nadam, radam, adamax, adagrad, rmsprop or sgd (default: adamw; sgd is SGD with Nesterov momentum 0.9; weight decay is decoupled for adamw, coupled for the others)." };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "Weight decay (default: 0; decoupled for adamw, coupled for the other optimizers), not on biases or norm layers." };
        var l1 = new Option<double?>("--l1") { Description = "L1 penalty on every kernel: l1·Σ|w| (default: 0). Its subgradient pulls weights toward 0 but leaves few exactly 0; exact zeros take proximal L1 (--l1-proximal)." };
        var l2 = new Option<double?>("--l2") { Description = "L2 penalty on every kernel: l2·Σw² (default: 0)." };
        var maxNorm = new Option<double?>("--max-norm") { HelpName = "C", Description = "Max-norm constraint: after every step each unit's incoming weights are scaled back to L2 norm C where longer, as Keras's MaxNorm (default: 0, off; 3 to 4 with dropout, as in the dropout paper)." };
        var l1Proximal = new Option<double?>("--l1-proximal") { HelpName = "LAMBDA", Description = "Proximal L1 after every step, θ ← sign(θ)·max(|θ| − lr·LAMBDA, 0), on the weights (not biases or norm layers): weights with little signal become exactly 0 (default: 0, off; the study's l1 uses 0.1)." };
        var dropout = new Option<double?>("--dropout") { Description = "Dropout rate (default: 0; the CNN uses half of it before its dense layer)." };
        var labelSmoothing = new Option<double?>("--label-smoothing") { Description = "Label smoothing ε of the cross-entropy (default: 0)." };
        var batchNorm = new Option<bool?>("--batch-norm") { Description = "Batch normalization after each hidden layer (true/false; default: false)." };
        var layerNorm = new Option<bool?>("--layer-norm") { Description = "Layer normalization after each hidden layer, per example instead of per batch; the CNN's is GroupNorm with one group (true/false; default: false)." };
        var augment = new Option<bool?>("--augment") { Description = "Random flips and padded random crops (true/false; default: false)." };
        var mixUp = new Option<double?>("--mixup") { HelpName = "ALPHA", Description = "MixUp: each training batch blended with itself rolled by one, λ ~ Beta(ALPHA, ALPHA), targets mixed alike (default: 0, off; 0.2 is typical)." };
        var cutMix = new Option<double?>("--cutmix") { HelpName = "ALPHA", Description = "CutMix: a box of each training image pasted from its neighbour in the batch, targets mixed by area (default: 0, off; 1 is typical). With --mixup, each batch gets one of the two at random." };
        var ema = new Option<double?>("--ema") { HelpName = "DECAY", Description = "Exponential moving average of the weights after every step, with warm-up: decay min(DECAY, (1 + t)/(10 + t)) at step t. The saved model and its accuracies are the average's; the per-epoch validation figures are the live weights' (default: 0, off; 0.999 is typical, 0.99 for short runs)." };
        var sam = new Option<double?>("--sam") { HelpName = "RHO", Description = "Sharpness-aware minimization with neighbourhood radius RHO (default: 0, off; 0.05 is typical): each step takes its gradient at the worst weights within RHO, for flatter minima at twice the compute." };
        var samAdaptive = new Option<bool?>("--sam-adaptive") { Description = "Adaptive SAM (ASAM): the neighbourhood scales with each weight; use a larger --sam, about 0.5 to 2 (true/false; default: false)." };
        var earlyStopping = new Option<int?>("--early-stopping") { Description = "Stop after PATIENCE epochs without a better val_loss, restoring the best weights (0 = off)." };
        var schedule = new Option<string?>("--schedule")
        {
            Description = "Learning-rate schedule (default: none). cosine: cosine annealing to 0 over the epochs; warmup-cosine: a " +
                "linear warm-up from 1 % of --lr over the first tenth of the batches, then cosine annealing to 0 per batch; " +
                "step: ×0.1 every third of the epochs; onecycle: one cycle per batch peaking at --lr; plateau: ×0.1 once " +
                "val_loss has gone more than a tenth of the epochs (at least 1) without improving by 0.01 %; needs validation data; none: constant.",
        };
        var seed = new Option<int?>("--seed") { Description = "Random seed (default: 1; all randomness derives from it)." };
        var threads = Cli.Threads();
        var outDir = Cli.Out("train");
        var json = Cli.Json();
        var command = new Command("train", """
            Trains one model on Fashion-MNIST and writes a report: model.safetensors, a resumable checkpoint.safetensors
            (kept up to date after every epoch), history.csv, loss.png, accuracy.png, config.json, metrics.json and
            confusion.csv (test examples by true and predicted class).
            While it trains, the checkpoint is at --out/checkpoint.safetensors; when --out holds an earlier report, at
            --out/.occam-run/checkpoint.safetensors instead, so that report stays whole (its checkpoint still resumes
            it) until the new one replaces it; an interrupted run continues with --resume on the file it printed.
            metrics.json holds the saved model's test, train and validation accuracy in evaluation mode (with early
            stopping, the restored best epoch's weights), each class's test accuracy and best_epoch counted from 1;
            the summary names the hardest classes and what they are taken for; history.csv has each epoch's
            running figures, its epoch column counted from 0 as Keras's CSVLogger.
            Settings come from --preset, then --config run.json, then the flags.
            Example: occam train --preset fmnist-cnn --out runs/cnn
                     occam train --preset fmnist-mlp --data embedded --epochs 3
                     occam train --resume runs/cnn/checkpoint.safetensors
            """)
        {
            preset, config, resume, data, dataRoot, trainSize, model, hidden, dense, epochs, batchSize, lr, optimizer, weightDecay, l1, l2, l1Proximal, maxNorm, dropout,
            labelSmoothing, batchNorm, layerNorm, augment, mixUp, cutMix, ema, sam, samAdaptive, earlyStopping, schedule, seed, threads, outDir, json,
        };
        Cli.SetAction(command, parse =>
        {
            var flags = new JsonObject();
            void Flag<T>(string key, Option<T> option)
            {
                if (parse.GetValue(option) is not { } value) return;
                if (value is double d && !double.IsFinite(d))
                    throw new ArgumentException($"{option.Name} must be a finite number, got {d.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                flags[key] = JsonValue.Create(value);
            }
            Flag("data", data); Flag("dataRoot", dataRoot); Flag("trainSize", trainSize); Flag("model", model); Flag("epochs", epochs);
            if (parse.GetValue(hidden) is string widths) flags["hidden"] = Widths(widths);
            Flag("dense", dense);
            Flag("batchSize", batchSize); Flag("lr", lr); Flag("optimizer", optimizer); Flag("weightDecay", weightDecay); Flag("l1", l1);
            Flag("l2", l2); Flag("l1Proximal", l1Proximal); Flag("maxNorm", maxNorm); Flag("mixup", mixUp); Flag("cutmix", cutMix); Flag("ema", ema);
            Flag("dropout", dropout); Flag("labelSmoothing", labelSmoothing); Flag("batchNorm", batchNorm); Flag("layerNorm", layerNorm);
            Flag("augment", augment); Flag("sam", sam); Flag("samAdaptive", samAdaptive); Flag("earlyStopping", earlyStopping); Flag("schedule", schedule); Flag("seed", seed);

            string? resumePath = parse.GetValue(resume);
            RunConfig run;
            string output = parse.GetValue(outDir)!;
            if (resumePath != null)
            {
                if (parse.GetValue(preset) != null || parse.GetValue(config) != null)
                    throw new ArgumentException("--resume takes the run's settings from the checkpoint; change them with flags, not --preset or --config");
                var saved = SavedConfig(resumePath);
                var before = RunConfig.Parse(saved.ToJsonString(), $"--resume: the run settings in checkpoint '{resumePath}'");
                run = RunConfig.Build(null, null, Merge(saved.DeepClone().AsObject(), flags));
                RefuseChanges(flags, before, run);
                // a schedule is laid out over the run's epochs: a resumed run with more epochs would continue it past its end
                if (run.Epochs != before.Epochs && before.Schedule is not ("none" or "plateau"))
                    throw new ArgumentException($"--epochs {run.Epochs}: the checkpoint's {before.Schedule} schedule is laid out over {before.Epochs} epochs, so the run cannot be resumed for a different number; start a new run for {run.Epochs} epochs");
                string runFolder = Path.GetDirectoryName(Path.GetFullPath(resumePath))!;
                // an interrupted run's checkpoint kept beside an earlier report belongs to that report's folder
                if (SamePath(Path.GetFileName(runFolder), RunFolder)) runFolder = Path.GetDirectoryName(runFolder)!;
                if (parse.GetResult(outDir) is null or { Implicit: true }) output = runFolder;
                // the checkpoint is occam train's (SavedConfig checked), so its folder is a report folder even if written
                // before reports carried a marker
                if (Path.TrimEndingDirectorySeparator(Path.GetFullPath(output)) == runFolder) Cli.AdoptReportFolder(runFolder);
            }
            else run = RunConfig.Build(parse.GetValue(preset), parse.GetValue(config), flags);
            return Run(run, output, resumePath, parse.GetValue(json));
        }, threads);
        return command;
    }

    /// <summary>--hidden "512,256" as the config's array of widths.</summary>
    static JsonArray Widths(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var widths = new JsonArray();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int w) || w < 1)
                throw new ArgumentException($"--hidden must list positive widths separated by commas, such as 512,256; got '{text}'");
            widths.Add(w);
        }
        return widths;
    }

    /// <summary>The configuration stored in a checkpoint written by `occam train`.</summary>
    static JsonObject SavedConfig(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--resume: checkpoint '{path}' does not exist");
        var (_, metadata) = Safetensors.Load(path);
        if (!metadata.TryGetValue(ConfigKey, out var text))
            throw new ArgumentException($"--resume: '{path}' was not written by `occam train` (its metadata has no '{ConfigKey}')");
        try
        {
            return JsonNode.Parse(text) as JsonObject
                ?? throw new ArgumentException($"--resume: the run settings in checkpoint '{path}' are not a JSON object; the checkpoint is damaged");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"--resume: the run settings in checkpoint '{path}' are not valid JSON ({e.Message}); the checkpoint is damaged");
        }
    }

    /// <summary>Refuses a flag that would make a resumed run differ from the interrupted one in anything but its
    /// length: its weights, optimizer state, generators and loader positions all belong to the checkpoint's settings
    /// (and the optimizer's saved state would silently override a new --lr or --weight-decay).</summary>
    static void RefuseChanges(JsonObject flags, RunConfig saved, RunConfig resumed)
    {
        JsonObject was = JsonNode.Parse(saved.ToJson())!.AsObject(), now = JsonNode.Parse(resumed.ToJson())!.AsObject();
        foreach (var (key, _) in flags)
        {
            if (key == "epochs") continue; // checked against the schedule by the caller
            string? a = Shown(key, was[key]), b = Shown(key, now[key]);
            if (a == b) continue;
            string why = key switch
            {
                "data" or "dataRoot" or "trainSize" or "seed" => "a resumed run keeps its data and validation split",
                "model" or "hidden" or "dense" or "dropout" or "batchNorm" or "layerNorm" or "maxNorm" => "a resumed run keeps its model",
                "optimizer" or "lr" or "weightDecay" or "l1Proximal" or "ema" or "sam" or "samAdaptive" => "a resumed run keeps its optimizer and the optimizer's saved state",
                "schedule" => "a resumed run keeps its schedule",
                _ => "a resumed run keeps the settings it started with",
            };
            throw new ArgumentException($"--resume: {FlagName(key)} {b ?? "(none)"} differs from the checkpoint's {a ?? "(none)"}; {why} (start a new run to change it)");
        }
    }

    static string? Shown(string key, JsonNode? value) =>
        value == null ? null : key == "dataRoot" ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(value.GetValue<string>())) : value.ToJsonString().Trim('"');

    // "trainSize" → "--train-size"
    static string FlagName(string key) => "--" + System.Text.RegularExpressions.Regex.Replace(key, "[A-Z]", m => "-" + char.ToLowerInvariant(m.Value[0]));

    static JsonObject Merge(JsonObject a, JsonObject b)
    {
        foreach (var (key, value) in b) a[key] = value?.DeepClone();
        return a;
    }

    static int Run(RunConfig run, string output, string? resumePath, bool asJson)
    {
        output = Cli.CheckOut(output);
        string checkpoint = InProgressCheckpoint(output);
        if (File.Exists(checkpoint) && (resumePath == null || !SamePath(Path.GetFullPath(resumePath), checkpoint)))
            throw new ArgumentException($"--out '{output}' holds the checkpoint of an interrupted run; continue it with --resume {checkpoint}, or delete that file to start a new run there");
        var g = new Generator((ulong)run.Seed);
        var (trainAll, test) = run.Data == "embedded" ? FashionMnist.LoadEmbedded() : Cli.WithFashionMnist(() => FashionMnist.Load(run.DataRoot), run.DataRoot, hasRootOption: true);
        IDataset pool = trainAll;
        if (run.TrainSize > trainAll.Count)
            throw new ArgumentException($"--train-size {run.TrainSize} is more than the {trainAll.Count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} training examples of --data {run.Data}");
        if (run.TrainSize > 0 && run.TrainSize < trainAll.Count)
        {
            var picked = new Generator((ulong)run.Seed ^ 0x5EED).Permutation(trainAll.Count)[..run.TrainSize];
            Array.Sort(picked);
            pool = new Subset(trainAll, picked);
        }
        IDataset fit = pool;
        IDataset? validation = null;
        if (run.Validation > 0)
        {
            int held = (int)Math.Round(pool.Count * run.Validation, MidpointRounding.AwayFromZero);
            if (held == 0 || held == pool.Count)
                throw new ArgumentException($"--train-size {pool.Count}: holding out {(run.Validation * 100).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)}% of it for validation leaves {held} validation and {pool.Count - held} training examples; both need at least one");
            (fit, validation) = Splits.TrainValidation(pool, run.Validation, g);
        }

        Regularizer? kernel = (run.L1, run.L2) switch
        {
            ( > 0, > 0) => new ElasticNet(run.L1, run.L2),
            ( > 0, _) => new L1(run.L1),
            (_, > 0) => new L2(run.L2),
            _ => null,
        };
        var constraint = run.MaxNorm > 0 ? new MaxNorm(run.MaxNorm) : null;
        var net = run.Model == "cnn"
            ? Architectures.Cnn(g, dense: run.Dense, dropout: run.Dropout, batchNorm: run.BatchNorm, kernelRegularizer: kernel, kernelConstraint: constraint, layerNorm: run.LayerNorm)
            : Architectures.Mlp(g, hidden: run.Hidden, dropout: run.Dropout, batchNorm: run.BatchNorm, layerNorm: run.LayerNorm, kernelRegularizer: kernel, kernelConstraint: constraint);
        var groups = net.ParameterGroups(DecayPolicy.ExcludeBiasAndNorm, run.WeightDecay);
        double l1 = run.L1Proximal;
        Optimizer opt = run.Optimizer switch
        {
            "adamw" => new AdamW(groups, lr: run.Lr, weightDecay: run.WeightDecay, l1Proximal: l1),
            "adam" => new Adam(groups, lr: run.Lr, weightDecay: run.WeightDecay, l1Proximal: l1),
            "radam" => new RAdam(groups, lr: run.Lr, weightDecay: run.WeightDecay, l1Proximal: l1),
            "nadam" => new NAdam(groups, lr: run.Lr, weightDecay: run.WeightDecay, l1Proximal: l1),
            "adamax" => new Adamax(groups, lr: run.Lr, weightDecay: run.WeightDecay, l1Proximal: l1),
            "adagrad" => new Adagrad(groups, lr: run.Lr, weightDecay: run.WeightDecay, l1Proximal: l1),
            "rmsprop" => new RMSprop(groups, lr: run.Lr, weightDecay: run.WeightDecay, l1Proximal: l1),
            _ => new SGD(groups, lr: run.Lr, momentum: 0.9, weightDecay: run.WeightDecay, nesterov: true, l1Proximal: l1),
        };
        ITransform? transform = run.Augment ? new Compose(new RandomHorizontalFlip(), new RandomCrop(28, padding: 2)) : null;
        var trainLoader = new DataLoader(fit, run.BatchSize, shuffle: true, generator: g, transform: transform, batchTransform: Mixing(run));
        var valLoader = validation == null ? null : new DataLoader(validation, 500);
        var testLoader = new DataLoader(test, 500);

        var callbacks = new List<Callback>();
        LRScheduler? scheduler = run.Schedule switch
        {
            "cosine" => new CosineAnnealingLR(opt, tMax: run.Epochs),
            "step" => new StepLR(opt, stepSize: Math.Max(1, run.Epochs / 3)),
            "warmup-cosine" => WarmupCosine(opt, run.Epochs * trainLoader.Count),
            "onecycle" => new OneCycleLR(opt, maxLr: run.Lr, totalSteps: run.Epochs * trainLoader.Count),
            "plateau" => new ReduceLROnPlateau(opt, factor: 0.1, patience: Math.Max(1, run.Epochs / 10)),
            _ => null,
        };
        if (scheduler != null) callbacks.Add(new LrSchedulerCallback(scheduler, perBatch: run.Schedule is "onecycle" or "warmup-cosine"));
        EarlyStopping? stopper = run.EarlyStopping > 0 ? new EarlyStopping("val_loss", patience: run.EarlyStopping, restoreBestWeights: true) : null;
        if (stopper != null) callbacks.Add(stopper);
        var nan = new TerminateOnNaN();
        callbacks.Add(nan);

        var average = run.Ema > 0 ? new Ema(net, run.Ema, warmup: true) : null;
        var trainer = new Trainer(net, opt, new CrossEntropyLoss(labelSmoothing: run.LabelSmoothing), callbacks, average,
            sam: run.Sam > 0 ? new Sam(opt, run.Sam, run.SamAdaptive) : null);
        trainer.CheckpointMetadata[ConfigKey] = run.ToJson();
        int start = 0;
        if (resumePath != null)
        {
            start = trainer.Resume(resumePath, trainLoader, valLoader);
            if (start >= run.Epochs)
                throw new ArgumentException(run.Schedule is "none" or "plateau"
                    ? $"--resume: the checkpoint has already trained {start} of {run.Epochs} epochs; pass --epochs above {start} to train more"
                    : $"--resume: the checkpoint's run is complete ({start} of {run.Epochs} epochs; its {run.Schedule} schedule ended there); start a new run to train longer");
        }

        Cli.CreateReportFolder(output);
        Directory.CreateDirectory(Path.GetDirectoryName(checkpoint)!);
        if (!asJson) Console.Write(net.Summary(1, 28, 28));
        if (!asJson) Console.WriteLine(checkpoint == Path.Combine(output, CheckpointFile)
            ? $"Checkpoint after every epoch: {checkpoint}"
            : $"Checkpoint after every epoch: {checkpoint} (the earlier report in {output} stays whole until this run's replaces it; if interrupted, --resume this file)");
        History history = Train(trainer, trainLoader, valLoader, run, start, checkpoint, asJson);
        if (nan.Message != null) throw new InvalidOperationException(nan.Message);
        average?.CopyTo(net); // the run ends with the averaged weights (Keras's use_ema), after the checkpoint kept the live ones
        var result = trainer.Evaluate(testLoader);
        // The saved model's own accuracies (the best epoch's weights when early stopping restored them), in
        // evaluation mode, as the study reports them; history.csv keeps the running figures of each epoch.
        var trainAccuracy = trainer.Evaluate(new DataLoader(fit, 500))["accuracy"];
        double? valAccuracy = valLoader == null ? null : trainer.Evaluate(valLoader)["accuracy"];
        var confusion = new long[Classes, Classes];
        foreach (var (logits, batch) in net.Predict(testLoader.Select(b => b.Inputs)).Zip(testLoader))
            Occam.Training.Metrics.ConfusionMatrix(logits, batch.Targets, confusion);

        var metrics = Metrics(run, history, result, trainAccuracy, valAccuracy, stopper, confusion);
        Cli.WriteDirectoryAtomically(output, dir =>
        {
            if (File.Exists(checkpoint)) File.Copy(checkpoint, Path.Combine(dir, CheckpointFile));
            Checkpoint.Save(Path.Combine(dir, "model.safetensors"), net, metadata: new Dictionary<string, string> { [ConfigKey] = run.ToJson() });
            File.WriteAllText(Path.Combine(dir, "history.csv"), Csv(history));
            File.WriteAllText(Path.Combine(dir, "config.json"), run.ToJson());
            File.WriteAllText(Path.Combine(dir, "metrics.json"), metrics);
            File.WriteAllText(Path.Combine(dir, "confusion.csv"), ConfusionCsv(confusion));
            Curves(history, dir);
        });
        if (SamePath(Path.GetFileName(Path.GetDirectoryName(checkpoint)), RunFolder)) Directory.Delete(Path.GetDirectoryName(checkpoint)!, recursive: true);
        if (asJson) Console.WriteLine(metrics);
        else Summary(history, result, output, confusion);
        return 0;
    }

    /// <summary>--mixup and --cutmix: the one given, or each batch one of the two at random.</summary>
    static IBatchTransform? Mixing(RunConfig run) => (run.Mixup, run.Cutmix) switch
    {
        ( > 0, > 0) => new RandomChoice([new CutMix(run.Cutmix, Classes), new MixUp(run.Mixup, Classes)]),
        ( > 0, _) => new MixUp(run.Mixup, Classes),
        (_, > 0) => new CutMix(run.Cutmix, Classes),
        _ => null,
    };

    /// <summary>--schedule warmup-cosine: a linear warm-up from 1 % of the learning rate over the first tenth of the
    /// batches (at least one), then cosine annealing to 0 over the rest; stepped per batch.</summary>
    internal static SequentialLR WarmupCosine(Optimizer opt, int steps)
    {
        int warmup = Math.Max(1, steps / 10);
        return new SequentialLR(opt, [new LinearLR(opt, startFactor: 0.01, totalIters: warmup), new CosineAnnealingLR(opt, tMax: Math.Max(1, steps - warmup))], [warmup]);
    }

    /// <summary>Fits the remaining epochs, with a Spectre progress bar per epoch on an interactive console and a line
    /// per epoch otherwise (nothing with --json).</summary>
    static History Train(Trainer trainer, DataLoader train, DataLoader? validation, RunConfig run, int start, string checkpoint, bool asJson)
    {
        var console = Cli.Terminal();
        if (asJson || !console.Profile.Capabilities.Interactive)
        {
            if (!asJson) Console.WriteLine($"Training {run.Model} on {run.Data} ({train.Dataset.Count} examples) for {run.Epochs - start} epoch(s) from epoch {start + 1}.");
            trainer.Callbacks.Add(new ProgressCallback(p =>
            {
                if (p.EpochEnded && !asJson) Console.WriteLine(EpochLine(p.Epoch, run.Epochs, p.Logs));
            }));
            return trainer.Fit(train, validation, run.Epochs - start, checkpointPath: checkpoint);
        }
        History? history = null;
        console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                trainer.Callbacks.Add(new ProgressCallback(p =>
                {
                    if (p.EpochEnded)
                    {
                        if (task != null)
                        {
                            task.Value = task.MaxValue;
                            task.Description = Markup.Escape(EpochLine(p.Epoch, run.Epochs, p.Logs));
                        }
                        task = null;
                        return;
                    }
                    task ??= ctx.AddTask($"epoch {p.Epoch + 1}/{run.Epochs}", maxValue: train.Count);
                    task.Value = p.Batch + 1;
                    if (p.Logs.TryGetValue("loss", out var loss)) task.Description = $"epoch {p.Epoch + 1}/{run.Epochs} loss {loss:F4}";
                }));
                history = trainer.Fit(train, validation, run.Epochs - start, checkpointPath: checkpoint);
            });
        return history!;
    }

    // Bound to the current Console.Out (not a process-wide console), so in-process runs each see their own writer.

    static string EpochLine(int epoch, int epochs, IReadOnlyDictionary<string, double> logs)
    {
        var sb = new StringBuilder($"epoch {epoch + 1}/{epochs}");
        foreach (var key in new[] { "loss", "accuracy", "val_loss", "val_accuracy" })
            if (logs.TryGetValue(key, out var v)) sb.Append(CultureInfo.InvariantCulture, $"  {key} {v:F4}");
        if (logs.TryGetValue("seconds", out var s)) sb.Append(CultureInfo.InvariantCulture, $"  {s:F1}s");
        return sb.ToString();
    }

    static string Metrics(RunConfig run, History history, Dictionary<string, double> test, double trainAccuracy, double? valAccuracy, EarlyStopping? stopper,
        long[,] confusion)
    {
        var o = new JsonObject
        {
            ["test_accuracy"] = test.GetValueOrDefault("accuracy", double.NaN),
            ["test_loss"] = test.GetValueOrDefault("data_loss", double.NaN),
            ["train_accuracy"] = trainAccuracy,
            ["val_accuracy"] = valAccuracy ?? double.NaN,
            ["epochs"] = history.Epochs.Count,
            ["seconds_per_epoch"] = history.Epochs.Count == 0 ? double.NaN : history["seconds"].Average(),
        };
        if (stopper is { BestEpoch: var best }) o["best_epoch"] = best + 1;
        var perClass = new JsonObject();
        var accuracy = Occam.Training.Metrics.ClassAccuracy(confusion);
        for (int c = 0; c < Classes; c++) perClass[FashionMnist.ClassNames[c]] = double.IsNaN(accuracy[c]) ? null : accuracy[c];
        o["test_class_accuracy"] = perClass;
        o["config"] = JsonNode.Parse(run.ToJson());
        foreach (var (key, node) in o.ToList())
            if (node is JsonValue v && v.TryGetValue<double>(out var d) && !double.IsFinite(d)) o[key] = null;
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>confusion.csv: one row per true class, one column per predicted class, counts of test examples.</summary>
    static string ConfusionCsv(long[,] confusion)
    {
        var sb = new StringBuilder("true \\ predicted");
        foreach (var name in FashionMnist.ClassNames) sb.Append(',').Append(name);
        sb.Append('\n');
        for (int t = 0; t < Classes; t++)
        {
            sb.Append(FashionMnist.ClassNames[t]);
            for (int p = 0; p < Classes; p++) sb.Append(',').Append(confusion[t, p].ToString(CultureInfo.InvariantCulture));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>history.csv as keras.callbacks.CSVLogger writes it: "epoch" (0-based), then the keys in sorted order.</summary>
    static string Csv(History history)
    {
        var keys = history.Keys.Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder("epoch");
        foreach (var k in keys) sb.Append(',').Append(k);
        sb.Append('\n');
        for (int e = 0; e < history.Epochs.Count; e++)
        {
            sb.Append(e.ToString(CultureInfo.InvariantCulture));
            foreach (var k in keys)
                sb.Append(',').Append(history.Epochs[e].TryGetValue(k, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    static void Curves(History history, string dir)
    {
        double[] x = Enumerable.Range(1, history.Epochs.Count).Select(i => (double)i).ToArray();
        Plots.Lines(Path.Combine(dir, "loss.png"), "Loss", "epoch", "loss", x, [("train", history["loss"]), ("validation", history["val_loss"])]);
        Plots.Lines(Path.Combine(dir, "accuracy.png"), "Accuracy", "epoch", "accuracy", x, [("train", history["accuracy"]), ("validation", history["val_accuracy"])]);
    }

    static void Summary(History history, Dictionary<string, double> test, string output, long[,] confusion)
    {
        var table = new Table().AddColumns("epoch", "loss", "accuracy", "val loss", "val accuracy", "lr", "seconds");
        string F(IReadOnlyDictionary<string, double> logs, string key, string format) =>
            logs.TryGetValue(key, out var v) ? v.ToString(format, CultureInfo.InvariantCulture) : "";
        for (int e = 0; e < history.Epochs.Count; e++)
        {
            var logs = history.Epochs[e];
            table.AddRow((e + 1).ToString(CultureInfo.InvariantCulture), F(logs, "loss", "F4"), F(logs, "accuracy", "P2"),
                F(logs, "val_loss", "F4"), F(logs, "val_accuracy", "P2"), F(logs, "lr", "G3"), F(logs, "seconds", "F1"));
        }
        var console = Cli.Terminal();
        console.Write(table);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"Test accuracy [bold]{test.GetValueOrDefault("accuracy"):P2}[/], test loss {test.GetValueOrDefault("data_loss"):F4}. Report in {Markup.Escape(output)}."));
        // the classes the model gets wrong most often, and what it takes them for (confusion.csv has the whole matrix)
        var accuracy = Occam.Training.Metrics.ClassAccuracy(confusion);
        var hardest = Enumerable.Range(0, Classes).Where(c => !double.IsNaN(accuracy[c])).OrderBy(c => accuracy[c]).Take(3).Select(c =>
        {
            int mistaken = Enumerable.Range(0, Classes).Where(p => p != c).MaxBy(p => confusion[c, p]);
            return string.Create(CultureInfo.InvariantCulture, $"{FashionMnist.ClassNames[c]} {accuracy[c]:P1} (most often taken for {FashionMnist.ClassNames[mistaken]})");
        });
        console.WriteLine($"Hardest classes: {string.Join(", ", hardest)}.");
    }
}
