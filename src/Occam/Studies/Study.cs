using System.Diagnostics;
using System.Globalization;
using Occam.Data;
using Occam.Data.Readers;
using Occam.NN;
using Occam.Optim;
using Occam.Optim.Schedulers;
using Occam.Training;
using Occam.Training.Callbacks;

namespace Occam.Studies;

/// <summary>Where a study's data comes from.</summary>
public enum StudySource
{
    /// <summary>The balanced Fashion-MNIST subset embedded in the assembly (6,000 training, 2,000 test images).</summary>
    Embedded,

    /// <summary>The full Fashion-MNIST files (<see cref="FashionMnist.Load"/>).</summary>
    FashionMnist,

    /// <summary>A numeric CSV table with a class-index label column.</summary>
    Csv,
}

/// <summary>What a study compares.</summary>
public enum StudyScenario
{
    /// <summary>One architecture trained from scratch under each regularization technique (<see cref="StudyConfiguration.All"/>).</summary>
    Regularization,

    /// <summary>A CNN pretrained on Fashion-MNIST classes 0–4, then fine-tuned on a few examples of classes 5–9 under
    /// each technique, against training from scratch (<see cref="StudyConfiguration.FineTuning"/>).</summary>
    FineTune,
}

/// <summary>What a study trains and on what. <see cref="TrainSize"/> null means the default: 2,000 examples for the
/// embedded subset (few enough that the unregularized model visibly overfits), every remaining example otherwise; in the
/// fine-tuning scenario, 1,000 examples of classes 5–9 from either source.</summary>
public sealed record StudyOptions
{
    public const int DefaultEpochs = 30, DefaultEmbeddedTrainSize = 2000, DefaultBatchSize = 64;

    /// <summary>The fine-tuning scenario's defaults: epochs of fine-tuning per configuration, epochs of pretraining,
    /// fine-tuning examples.</summary>
    public const int DefaultFineTuneEpochs = 20, DefaultPretrainEpochs = 10, DefaultFineTuneTrainSize = 1000;

    readonly int? _epochs;

    public StudyScenario Scenario { get; init; } = StudyScenario.Regularization;

    public StudySource Source { get; init; } = StudySource.Embedded;

    /// <summary>Directory of the Fashion-MNIST files (null: OCCAM_DATA, then the default location).</summary>
    public string? DataRoot { get; init; }

    public string? CsvPath { get; init; }

    /// <summary>The CSV's label column: a header name, or a column number for a file without a header.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>The architecture of the regularization scenario; the fine-tuning scenario always trains the CNN.</summary>
    public StudyModel Model { get; init; } = StudyModel.Mlp;

    /// <summary>Epochs per configuration: <see cref="DefaultEpochs"/> unless set, <see cref="DefaultFineTuneEpochs"/> in the
    /// fine-tuning scenario.</summary>
    public int Epochs
    {
        get => _epochs ?? (Scenario == StudyScenario.FineTune ? DefaultFineTuneEpochs : DefaultEpochs);
        init => _epochs = value;
    }

    public int? TrainSize { get; init; }

    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>Fine-tuning only: epochs of pretraining on classes 0–4.</summary>
    public int PretrainEpochs { get; init; } = DefaultPretrainEpochs;

    /// <summary>Fine-tuning only: pretraining examples of classes 0–4 (null: all but the validation split).</summary>
    public int? PretrainSize { get; init; }

    /// <summary>Names of the configurations to run (null: all of the scenario's, <see cref="StudyConfiguration.For"/>), in study order.</summary>
    public IReadOnlyList<string>? Only { get; init; }

    public ulong Seed { get; init; } = 1;

    /// <summary>The configurations to run, in the study's order; unknown names and bad settings throw.</summary>
    public IReadOnlyList<StudyConfiguration> Configurations()
    {
        if (Epochs < 1) throw new ArgumentException($"Study: epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1) throw new ArgumentException($"Study: batch size must be at least 1, got {BatchSize}");
        if (TrainSize is int n && n < 1) throw new ArgumentException($"Study: train size must be at least 1, got {n}");
        if (Source == StudySource.Csv && (string.IsNullOrEmpty(CsvPath) || string.IsNullOrEmpty(LabelColumn)))
            throw new ArgumentException("Study: a CSV study needs both the file and its label column");
        if (Source == StudySource.Csv && Model == StudyModel.Cnn)
            throw new ArgumentException("Study: the cnn model needs 28×28 images; use the mlp model with a CSV table");
        if (Scenario == StudyScenario.FineTune)
        {
            if (Source == StudySource.Csv) throw new ArgumentException("Study: the fine-tuning scenario needs Fashion-MNIST images, not a CSV table");
            if (PretrainEpochs < 1) throw new ArgumentException($"Study: pretraining epochs must be at least 1, got {PretrainEpochs}");
            if (PretrainSize is int p && p < 1) throw new ArgumentException($"Study: pretraining size must be at least 1, got {p}");
        }
        var all = StudyConfiguration.For(Scenario);
        if (Only is { Count: 0 }) throw new ArgumentException("Study: the list of configurations to run is empty");
        var chosen = Only?.Select(name => StudyConfiguration.Get(name, Scenario)).ToHashSet();
        return all.Where(c => chosen == null || chosen.Contains(c)).Select(c => Source == StudySource.Csv ? c.ForFeatures() : c).ToList();
    }
}

/// <summary>
/// The regularization study: one architecture trained under each <see cref="StudyConfiguration"/> on the same data
/// split, from the same initial weights and in the same batch order, so only the regularization differs. Returns
/// histories, final metrics and weights; prints nothing.
/// </summary>
public static class Study
{
    /// <summary>Runs the configurations of <paramref name="options"/> (side by side, <see cref="SideBySide"/>), reporting
    /// progress after every batch and epoch; the fine-tuning scenario runs <see cref="FineTuneStudy.Run"/>.</summary>
    public static StudyResult Run(StudyOptions options, IProgress<StudyProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Scenario == StudyScenario.FineTune) return FineTuneStudy.Run(options, progress);
        var configurations = options.Configurations();
        var data = Load(options);
        var runs = SideBySide(configurations.Count, progress, (i, report) => RunOne(configurations[i], options, data, i, configurations.Count, report));
        return new StudyResult(options, data.Description, data.Train.Count, data.Validation.Count, data.Test.Count, runs);
    }

    /// <summary>
    /// run(0 .. count−1), the configurations' training runs, side by side on the engine's threads: each thread trains one
    /// configuration with every kernel on that thread, and takes the next configuration when it is done. The runs share
    /// nothing they write (each builds its own model, optimizer, loader and generators from the study's seed), so each
    /// gives what it gives alone. A study's models are small and its batches 64: splitting each of their kernels across
    /// the cores gained ~1.25× from the second core, two configurations at once ~1.5× on the default study's training
    /// (bench/RESULTS.md). Progress reports come one at a time, from the thread of the run they are about.
    /// </summary>
    internal static List<StudyRun> SideBySide(int count, IProgress<StudyProgress>? progress, Func<int, IProgress<StudyProgress>?, StudyRun> run)
    {
        var runs = new StudyRun[count];
        var report = progress == null ? null : new SerializedProgress(progress);
        Threads.For(count, i => runs[i] = run(i, report));
        return [.. runs];
    }

    /// <summary>Passes reports on under a lock, so that the receiver sees them one at a time.</summary>
    sealed class SerializedProgress(IProgress<StudyProgress> inner) : IProgress<StudyProgress>
    {
        readonly Lock _gate = new();

        public void Report(StudyProgress value)
        {
            lock (_gate) inner.Report(value);
        }
    }

    /// <summary>Trains one configuration on the study's data.</summary>
    static StudyRun RunOne(StudyConfiguration config, StudyOptions options, StudyData data, int index, int count, IProgress<StudyProgress>? progress)
    {
        // The same seeds for every configuration: identical initial weights (for equal shapes) and batch order.
        var model = config.BuildModel(options.Model, data.Inputs, data.Classes, new Generator(options.Seed));
        return Train(config, model, config.BuildOptimizer(model), options, data, options.Epochs, index, count, progress);
    }

    /// <summary>Trains <paramref name="model"/> with <paramref name="optimizer"/> and the configuration's loss, callbacks and
    /// augmentations for <paramref name="epochs"/> epochs, then measures it: run <paramref name="index"/> of
    /// <paramref name="count"/> for progress. The batch order depends on the seed only.</summary>
    internal static StudyRun Train(StudyConfiguration config, Module model, Optimizer optimizer, StudyOptions options, StudyData data,
        int epochs, int index, int count, IProgress<StudyProgress>? progress)
    {
        var clock = Stopwatch.StartNew();
        var callbacks = config.BuildCallbacks().ToList();
        if (progress != null)
            callbacks.Add(new ProgressCallback(p => progress.Report(new StudyProgress(index, count, config.Name, p.Epoch, epochs, p.EpochEnded, false, p.Logs))));
        // Cosine annealing to zero over the epochs, for every configuration: the final weights settle instead of
        // carrying the last steps' noise, so configurations compare on where they converged.
        callbacks.Insert(0, new LrSchedulerCallback(new CosineAnnealingLR(optimizer, epochs)));
        var ema = config.BuildEma(model);
        var trainer = new Trainer(model, optimizer, config.BuildLoss(), callbacks, ema, sam: config.BuildSam(optimizer));
        var loader = new DataLoader(data.Train, options.BatchSize, shuffle: true, generator: new Generator(options.Seed + 1),
            transform: config.BuildAugmentation(data.Images), batchTransform: config.BuildBatchTransform(data.Classes));
        var history = trainer.Fit(loader, Plain(data.Validation), epochs);
        ema?.CopyTo(model); // measured with the averaged weights

        var train = trainer.Evaluate(Plain(data.Train));
        var validation = trainer.Evaluate(Plain(data.Validation));
        var test = trainer.Evaluate(Plain(data.Test));
        var stats = Trainer.WeightStatistics(model);
        var valLoss = history["val_loss"];
        int best = Array.IndexOf(valLoss, valLoss.Min()) + 1;
        var weights = model.Parameters().Where(p => p.Rank >= 2).SelectMany(p => p.ToArray()).ToArray();
        var run = new StudyRun(config, history,
            train["accuracy"], train["data_loss"], validation["accuracy"], validation["data_loss"], test["accuracy"], test["data_loss"],
            best, history.Epochs.Count, stats["weight_l1"], stats["weight_l2"], stats["zero_weight_fraction"],
            clock.Elapsed.TotalSeconds, weights);
        progress?.Report(new StudyProgress(index, count, config.Name, history.Epochs.Count - 1, epochs, true, true, history.Epochs[^1]));
        return run;
    }

    internal static DataLoader Plain(IDataset data) => new(data, 500);

    internal sealed record StudyData(IDataset Train, IDataset Validation, IDataset Test, int Inputs, int Classes, bool Images, string Description);

    /// <summary>The split: for images, 1/6 of the training file for validation (chosen at random with the seed) and the
    /// training subset from the rest; the test file as test set. For a CSV table, 1/6 of the rows for test and 1/6 for
    /// validation, features standardized with the training rows' mean and standard deviation.</summary>
    static StudyData Load(StudyOptions options)
    {
        var g = new Generator(options.Seed + 2);
        if (options.Source == StudySource.Csv) return LoadCsv(options, g);
        var (pool, test) = options.Source == StudySource.Embedded ? FashionMnist.LoadEmbedded() : FashionMnist.Load(options.DataRoot);
        var order = g.Permutation(pool.Count);
        int validation = pool.Count / 6;
        int trainSize = TrainSize(options, pool.Count - validation, options.Source == StudySource.Embedded ? StudyOptions.DefaultEmbeddedTrainSize : null);
        string name = options.Source == StudySource.Embedded ? "the embedded Fashion-MNIST subset" : "Fashion-MNIST";
        return new StudyData(new Subset(pool, order[validation..(validation + trainSize)]), new Subset(pool, order[..validation]), test,
            784, FashionMnist.ClassNames.Count, true, name);
    }

    static StudyData LoadCsv(StudyOptions options, Generator g)
    {
        var (table, classes) = ReadClassTable(options.CsvPath!, options.LabelColumn!);
        int n = table.Count;
        if (n < 6) throw new InvalidDataException($"{options.CsvPath}: a study needs at least 6 rows (train, validation and test), got {n}");
        var order = g.Permutation(n);
        int held = n / 6;
        int trainSize = TrainSize(options, n - 2 * held, null);
        var trainRows = order[(2 * held)..(2 * held + trainSize)];
        var standardized = new TensorDataset(Standardize(table.Inputs, trainRows), table.Targets);
        return new StudyData(new Subset(standardized, trainRows), new Subset(standardized, order[held..(2 * held)]),
            new Subset(standardized, order[..held]), table.Inputs.Dim(1), classes, false, Path.GetFileName(options.CsvPath!));
    }

    /// <summary>A CSV table (<see cref="Csv.Read"/>) whose label column holds class indices 0, 1, 2, … of at least two
    /// classes, and the class count (the largest index + 1).</summary>
    internal static (TensorDataset Table, int Classes) ReadClassTable(string path, string labelColumn)
    {
        var table = Csv.Read(path, labelColumn);
        var labels = table.Targets.ToArray();
        if (labels.Length == 0) throw new InvalidDataException($"{path}: the file has no data rows");
        foreach (float label in labels)
            if (!(label >= 0 && label == MathF.Floor(label) && label < 1000))
                throw new InvalidDataException($"{path}: label column '{labelColumn}' must hold class indices 0, 1, 2, …; found {label.ToString(CultureInfo.InvariantCulture)}");
        if (labels.Distinct().Count() < 2)
            throw new InvalidDataException($"{path}: label column '{labelColumn}' holds a single class ({labels[0].ToString(CultureInfo.InvariantCulture)}); at least two are needed");
        return (table, (int)labels.Max() + 1);
    }

    static int TrainSize(StudyOptions options, int available, int? defaultSize)
    {
        int size = options.TrainSize ?? Math.Min(defaultSize ?? available, available);
        if (size > available)
            throw new ArgumentException($"Study: train size {size} exceeds the {available} examples available for training");
        return size;
    }

    /// <summary>(x − mean) / std per column, with the statistics of <paramref name="rows"/> (a constant column → 0).</summary>
    static Tensor Standardize(Tensor inputs, int[] rows)
    {
        int features = inputs.Dim(1);
        var x = inputs.ToArray();
        var mean = new double[features];
        var sq = new double[features];
        foreach (int r in rows)
            for (int f = 0; f < features; f++)
            {
                double v = x[r * features + f];
                mean[f] += v;
                sq[f] += v * v;
            }
        for (int f = 0; f < features; f++)
        {
            mean[f] /= rows.Length;
            double std = Math.Sqrt(Math.Max(sq[f] / rows.Length - mean[f] * mean[f], 0));
            sq[f] = std > 1e-12 ? 1 / std : 0;
        }
        for (int i = 0; i < x.Length; i++)
        {
            int f = i % features;
            x[i] = (float)((x[i] - mean[f]) * sq[f]);
        }
        return new Tensor(x, inputs.Shape);
    }

    /// <summary>A short written reading of the results: the baseline's gap, which configurations closed it most and
    /// which gave the best test accuracy (against the standard error of a test accuracy), and what L1 and L2 did to the
    /// weights (the fine-tuning scenario: <see cref="FineTuneStudy.Reading"/>). One paragraph per string.</summary>
    public static IReadOnlyList<string> Reading(StudyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Options.Scenario == StudyScenario.FineTune) return FineTuneStudy.Reading(result);
        var paragraphs = new List<string>();
        var none = result.Find("none");
        var others = result.Runs.Where(r => r.Name != "none").ToList();
        if (none != null)
            paragraphs.Add(F($"Without regularization the model fits its {result.TrainCount:N0} training examples to {Pct(none.TrainAccuracy)} accuracy but reaches {Pct(none.TestAccuracy)} on the test set: a generalization gap of {Points(none.Gap)}.") +
                LossCurve(none));
        if (others.Count > 0)
        {
            // Test accuracies differing by less than one standard error of either are not told apart.
            double p = (none ?? others.MaxBy(r => r.TestAccuracy)!).TestAccuracy, error = FineTuneStudy.AccuracyError(p, result.TestCount);
            // Only what narrowed the gap by more than a point counts as closing it; within a point it "barely moved".
            var byGap = others.Where(r => none == null || r.Gap < none.Gap - 0.01).OrderBy(r => r.Gap).ToList();
            var closers = byGap.Take(3).Select(r => none == null ? F($"{r.Name} ({Points(r.Gap)})") : F($"{r.Name} ({Points(r.Gap)}, {Points(none.Gap - r.Gap)} less)"));
            string sentence = byGap.Count > 0 ? F($"The gap closed most under {Join(closers)}.")
                : none == null ? "No technique narrowed the gap." : "No technique narrowed the gap by more than a point.";
            var bestTest = others.MaxBy(r => r.TestAccuracy)!;
            sentence += none == null
                ? F($" The highest test accuracy was {bestTest.Name}'s, {Pct(bestTest.TestAccuracy)}.")
                : bestTest.TestAccuracy > none.TestAccuracy + error
                    ? F($" The best test accuracy was {bestTest.Name}'s, {Pct(bestTest.TestAccuracy)} against {Pct(none.TestAccuracy)} without regularization ({Signed(bestTest.TestAccuracy - none.TestAccuracy, " points")}).")
                    : bestTest.TestAccuracy > none.TestAccuracy
                        ? F($" No technique beat the test accuracy without regularization ({Pct(none.TestAccuracy)}) by more than the noise; the highest was {bestTest.Name}'s, {Pct(bestTest.TestAccuracy)} ({Signed(bestTest.TestAccuracy - none.TestAccuracy, " points")}, within noise).")
                        : F($" No technique beat the test accuracy without regularization ({Pct(none.TestAccuracy)}); the best of them was {bestTest.Name}'s, {Pct(bestTest.TestAccuracy)} ({Signed(bestTest.TestAccuracy - none.TestAccuracy, " points")}).");
            if (double.IsFinite(error))
                sentence += F($" With {result.TestCount:N0} test examples one standard error of an accuracy near {Pct(p, 0)} is {error * 100:0.0} points, so test differences within about {error * 100:0.0} points are within noise.");
            if (none != null)
            {
                bool Below(StudyRun r) => r.TestAccuracy < none.TestAccuracy - error;
                var worse = others.Where(Below).OrderBy(r => r.TestAccuracy).Select(r => F($"{r.Name} ({Pct(r.TestAccuracy)})")).ToList();
                var narrowBut = others.Where(r => r.Gap < none.Gap - 0.02 && Below(r)).Select(r => r.Name).ToList();
                // A wider gap with a better test accuracy fit the training set faster and still generalized better.
                var wider = others.Where(r => r.Gap > none.Gap + 0.01).ToList();
                var widenedOnly = wider.Where(r => r.TestAccuracy <= none.TestAccuracy + error).Select(r => F($"{r.Name} ({Points(r.Gap)})")).ToList();
                var widenedBetter = wider.Where(r => r.TestAccuracy > none.TestAccuracy + error).Select(r => F($"{r.Name} ({Points(r.Gap)}, test {Signed(r.TestAccuracy - none.TestAccuracy, " points")})")).ToList();
                var unchanged = others.Where(r => Math.Abs(r.Gap - none.Gap) <= 0.01).Select(r => r.Name).ToList();
                if (widenedOnly.Count > 0) sentence += F($" The gap widened under {Join(widenedOnly)} without a better test accuracy: these help the model fit faster, not generalize.");
                if (widenedBetter.Count > 0) sentence += F($" The gap widened under {Join(widenedBetter)} while test accuracy rose beyond the noise: they fit the training set even better than they generalize, but they do generalize better.");
                if (unchanged.Count > 0) sentence += F($" The gap barely moved (within 1 point) under {Join(unchanged)}.");
                if (worse.Count > 0) sentence += F($" Test accuracy fell below the baseline by more than one standard error under {Join(worse)}.");
                if (narrowBut.Count > 0) sentence += F($" A smaller gap is not by itself better: {Join(narrowBut)} narrowed it partly by fitting the training set less.");
            }
            paragraphs.Add(sentence);
        }
        var l1 = result.Find("l1");
        var l2 = result.Find("l2");
        var reference = none ?? result.Runs[0];
        if (l1 != null && l1 != reference)
            paragraphs.Add(L1Weights(result, l1, reference));
        if (l2 != null && l2 != reference)
            paragraphs.Add(L2Weights(l2, reference));
        return paragraphs;
    }

    /// <summary>Above this fraction of exact zeros among the weights a model is called sparse.</summary>
    internal const double SparseFraction = 0.5;

    /// <summary>The baseline's validation loss: still falling, flat within <see cref="FineTuneStudy.MeaningfulRise"/> of its
    /// lowest, or risen from it (and whether the training loss kept falling meanwhile).</summary>
    static string LossCurve(StudyRun run)
    {
        if (run.BestEpoch >= run.EpochsRun) return " Its validation loss was still falling at the last epoch.";
        double rise = FineTuneStudy.Rise(run);
        if (!(rise > FineTuneStudy.MeaningfulRise))
            return F($" Its validation loss was lowest at epoch {run.BestEpoch} of {run.EpochsRun} and ended {Pct(rise)} above that, within the {Pct(FineTuneStudy.MeaningfulRise, 0)} that counts as a rise: no clear sign of overfitting in the loss.");
        var trainLoss = run.History["data_loss"];
        bool kept = trainLoss.Length == run.EpochsRun && trainLoss[^1] < trainLoss[run.BestEpoch - 1];
        return F($" Its validation loss was lowest at epoch {run.BestEpoch} of {run.EpochsRun} and ended {Pct(rise, 0)} higher") +
            (kept ? F($" while its training loss kept falling ({trainLoss[run.BestEpoch - 1]:0.000} to {trainLoss[^1]:0.000}): it overfit.") : ".");
    }

    /// <summary>What proximal L1 did to the weights against <paramref name="reference"/>. Only the MLP on 28×28 images has
    /// a first layer with one weight per pixel; for it the reading gives the zeros on the image border against those
    /// elsewhere, where the border holds more.</summary>
    static string L1Weights(StudyResult result, StudyRun l1, StudyRun reference)
    {
        string norm = l1.L1Norm < reference.L1Norm
            ? F($"cut their L1 norm from {reference.L1Norm:N0} to {l1.L1Norm:N0}")
            : F($"yet their L1 norm went from {reference.L1Norm:N0} to {l1.L1Norm:N0}");
        string s = F($"Proximal L1 set {Pct(l1.ZeroWeightFraction)} of the weights exactly to zero ({reference.Name}: {Pct(reference.ZeroWeightFraction)}) and {norm}: soft-thresholding drives the weights that carry little signal onto zero and keeps them there");
        if (result.Options.Source != StudySource.Csv && result.Options.Model == StudyModel.Mlp && BorderZeros(l1) is var (border, inner) && border > inner)
            s += F($" (in the first layer {Pct(border)} of the weights on the 2-pixel image border against {Pct(inner)} elsewhere)");
        return s + (l1.ZeroWeightFraction > SparseFraction
            ? F($", which leaves a sparse model (over {Pct(SparseFraction, 0)} of its weights zero).")
            : F($"; at this strength the model is not sparse (this reading calls it so above {Pct(SparseFraction, 0)} zeros)."));
    }

    /// <summary>The exact-zero fractions of the MLP's first-layer weights on the 2-pixel border of a 28×28 image and
    /// inside it; null when the weights are too few to hold that layer.</summary>
    static (double Border, double Inner)? BorderZeros(StudyRun run)
    {
        const int side = 28, margin = 2, pixels = side * side;
        int rows = StudyConfiguration.MlpHidden[0];
        if (run.Weights.Length < rows * pixels) return null;
        long borderZeros = 0, innerZeros = 0, borderCount = 0;
        for (int i = 0; i < rows * pixels; i++)
        {
            int pixel = i % pixels, y = pixel / side, x = pixel % side;
            bool border = y < margin || x < margin || y >= side - margin || x >= side - margin;
            bool zero = run.Weights[i] == 0;
            if (border) { borderCount++; if (zero) borderZeros++; }
            else if (zero) innerZeros++;
        }
        return (borderZeros / (double)borderCount, innerZeros / (double)(rows * pixels - borderCount));
    }

    /// <summary>What the L2 penalty did to the weights' norm against <paramref name="reference"/>, as measured.</summary>
    static string L2Weights(StudyRun l2, StudyRun reference)
    {
        string change = F($"their L2 norm went from {reference.L2Norm:N1} to {l2.L2Norm:N1} ({Signed((l2.L2Norm - reference.L2Norm) / reference.L2Norm)})");
        return l2.L2Norm < reference.L2Norm
            ? F($"The L2 penalty shrank the weights instead of zeroing them: {change}, yet only {Pct(l2.ZeroWeightFraction, 2)} are exactly zero — the pull toward zero weakens as a weight approaches it, so weights become small, not absent.")
            : F($"The L2 penalty did not shrink the weights here: {change}, with {Pct(l2.ZeroWeightFraction, 2)} exactly zero.");
    }

    internal static string Points(double fraction) => GapText(fraction) + " points";

    /// <summary>A gap in points as every table and reading of a study writes it, so they round alike.</summary>
    internal static string GapText(double fraction) => F($"{fraction * 100:F1}");

    internal static string Signed(double fraction, string unit = "%") => F($"{(fraction >= 0 ? "+" : "−")}{Math.Abs(fraction) * 100:F1}{unit}");

    internal static string Join(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count <= 1 ? string.Concat(list) : string.Join(", ", list.Take(list.Count - 1)) + " and " + list[^1];
    }

    internal static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    internal static string Pct(double fraction, int decimals = 1) => (fraction * 100).ToString("F" + decimals, CultureInfo.InvariantCulture) + "%";
}
