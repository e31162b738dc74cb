using System.Globalization;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Studies;
using Occam.Training.Callbacks;

namespace Occam.Tests.Studies;

/// <summary>The study's configurations and runs, on tiny settings (a few hundred examples, one to three epochs).</summary>
[Collection(nameof(ThreadsCollection))]
public class StudyTests
{
    static readonly StudyOptions Tiny = new() { Epochs = 1, TrainSize = 200 };

    static readonly string[] Expected =
        ["none", "l2", "l1", "elastic-net", "weight-decay", "dropout", "max-norm", "batch-norm", "layer-norm", "label-smoothing", "augmentation", "mixup", "early-stopping", "ema", "sam", "combined"];

    [Fact]
    public void TheStudyHasTheDocumentedConfigurationsInOrder() =>
        Assert.Equal(Expected, StudyConfiguration.All.Select(c => c.Name));

    [Fact]
    public void EveryConfigurationBuildsAndTrainsOneEpoch()
    {
        var reports = new List<StudyProgress>();
        var result = Study.Run(Tiny, new Collect(reports));
        Assert.Equal(Expected, result.Runs.Select(r => r.Name));
        Assert.Equal((200, 1000, 2000), (result.TrainCount, result.ValidationCount, result.TestCount));
        int weights = 784 * 256 + 256 * 128 + 128 * 10;
        foreach (var run in result.Runs)
        {
            Assert.Single(run.History.Epochs);
            Assert.Equal(1, run.EpochsRun);
            Assert.Equal(1, run.BestEpoch);
            foreach (double v in new[] { run.TrainAccuracy, run.ValAccuracy, run.TestAccuracy, run.TrainLoss, run.ValLoss, run.TestLoss, run.L1Norm, run.L2Norm, run.Seconds })
                Assert.True(double.IsFinite(v) && v >= 0, $"{run.Name}: {v}");
            Assert.InRange(run.TestAccuracy, 0.2, 1.0); // one epoch on 200 examples already beats chance (10%) twice over
            Assert.Equal(run.TrainAccuracy - run.TestAccuracy, run.Gap, 12);
            Assert.Equal(weights, run.Weights.Length);
            Assert.Equal(run.L1Norm, run.Weights.Sum(w => (double)Math.Abs(w)), 3);
        }
        // Progress: an epoch end and a finish per run, batches in between.
        Assert.Equal(Expected.Length, reports.Count(p => p.Finished));
        Assert.Contains(reports, p => !p.EpochEnded);
        Assert.All(reports, p => Assert.Equal(Expected.Length, p.Runs));
    }

    [Fact]
    public void ProximalL1YieldsExactZerosAndL2ShrinksWithout()
    {
        var result = Study.Run(new StudyOptions { Epochs = 3, TrainSize = 500, Only = ["none", "l1", "l2"] });
        var (none, l1, l2) = (result.Find("none")!, result.Find("l1")!, result.Find("l2")!);
        Assert.Equal(0, none.ZeroWeightFraction);
        Assert.True(l1.ZeroWeightFraction > 0.005, $"l1 zeros: {l1.ZeroWeightFraction:P2}");
        Assert.Equal(l1.ZeroWeightFraction, l1.Weights.Count(w => w == 0) / (double)l1.Weights.Length, 9);
        Assert.True(l1.L1Norm < none.L1Norm);
        Assert.True(l2.L2Norm < none.L2Norm);
        Assert.Equal(0, l2.ZeroWeightFraction);
        var reading = string.Join("\n", Study.Reading(result));
        Assert.Contains("generalization gap", reading);
        Assert.Contains(F($"{l1.ZeroWeightFraction * 100:F1}%"), reading);

        // When no technique beats the baseline on the test set, the reading says so instead of calling one "the best"
        var baselineBest = result with { Runs = result.Runs.Select(r => r with { TestAccuracy = r.Name == "none" ? 0.429 : r.Name == "l2" ? 0.412 : 0.40 }).ToList() };
        reading = string.Join("\n", Study.Reading(baselineBest));
        Assert.Contains("No technique beat the test accuracy without regularization (42.9%); the best of them was l2's, 41.2% (−1.7 points)", reading);
        Assert.DoesNotContain("The best test accuracy was", reading);

        // A technique whose gap is wider than the baseline's did not close it
        var wider = result with { Runs = result.Runs.Select(r => r.Name == "none" ? r with { TrainAccuracy = 0.99, TestAccuracy = 0.84 } : r with { TrainAccuracy = 1.0, TestAccuracy = 0.83 }).ToList() };
        reading = string.Join("\n", Study.Reading(wider));
        Assert.Contains("No technique narrowed the gap by more than a point.", reading);
        Assert.DoesNotContain("closed most", reading);

        // A gap narrowed by less than a point barely moved: it is not among those that closed it most
        var within = result with { Runs = result.Runs.Select(r => r.Name == "none" ? r with { TrainAccuracy = 0.90, TestAccuracy = 0.85 }
            : r.Name == "l1" ? r with { TrainAccuracy = 0.896, TestAccuracy = 0.85 } : r with { TrainAccuracy = 0.95, TestAccuracy = 0.80 }).ToList() };
        reading = string.Join("\n", Study.Reading(within));
        Assert.Contains("The gap barely moved (within 1 point) under l1.", reading);
        Assert.DoesNotContain("closed most", reading);
    }

    [Fact]
    public void EarlyStoppingConfigurationsStopOnValidationLossAndRestoreTheBest()
    {
        foreach (var name in new[] { "early-stopping", "combined" })
        {
            var stopping = Assert.IsType<EarlyStopping>(Assert.Single(StudyConfiguration.Get(name).BuildCallbacks()));
            Assert.Equal("val_loss", stopping.Monitor);
            Assert.True(stopping.RestoreBestWeights);
        }
        foreach (var config in StudyConfiguration.All.Where(c => c.Name is not ("early-stopping" or "combined")))
            Assert.Empty(config.BuildCallbacks());
    }

    [Fact]
    public void ConfigurationsBuildWhatTheyDescribe()
    {
        static IEnumerable<Module> Layers(string name, StudyModel model = StudyModel.Mlp) =>
            StudyConfiguration.Get(name).BuildModel(model, 784, 10, new Generator(1)).NamedModules().Select(m => m.Module);

        Assert.DoesNotContain(Layers("none"), m => m is Dropout or BatchNorm1d or LayerNorm);
        Assert.Equal(2, Layers("dropout").Count(m => m is Dropout d && d.P == 0.3f));
        Assert.Equal(2, Layers("batch-norm").Count(m => m is BatchNorm1d));
        Assert.Equal(2, Layers("layer-norm").Count(m => m is LayerNorm));
        Assert.DoesNotContain(Layers("none", StudyModel.Cnn), m => m is BatchNorm2d or GroupNorm);
        Assert.Equal(2, Layers("batch-norm", StudyModel.Cnn).Count(m => m is BatchNorm2d));
        Assert.Equal(2, Layers("layer-norm", StudyModel.Cnn).Count(m => m is GroupNorm { NumGroups: 1 }));

        var model = StudyConfiguration.Get("none").BuildModel(StudyModel.Mlp, 784, 10, new Generator(1));
        Assert.IsNotType<AdamW>(StudyConfiguration.Get("none").BuildOptimizer(model));
        var adamW = Assert.IsType<AdamW>(StudyConfiguration.Get("weight-decay").BuildOptimizer(model));
        Assert.Equal(0.1, adamW.Groups.Single(g => g.Name == "decay").WeightDecay);
        Assert.Equal(0, adamW.Groups.Single(g => g.Name == "no_decay").WeightDecay);
        Assert.Equal(0.1, StudyConfiguration.Get("l1").BuildOptimizer(model).L1Proximal);
        // proximal L1 soft-thresholds the weight matrices only, as l2's kernel penalty: biases (and norm parameters) are exempt
        foreach (var name in new[] { "l1", "combined" })
        {
            var norms = StudyConfiguration.Get(name).BuildModel(StudyModel.Mlp, 784, 10, new Generator(1));
            var groups = StudyConfiguration.Get(name).BuildOptimizer(norms).Groups;
            Assert.All(groups.Single(g => g.Name == "decay").Parameters, p => Assert.Equal(2, p.Rank));
            Assert.NotEmpty(groups.Single(g => g.Name == "no_decay").Parameters);
            Assert.All(groups.Single(g => g.Name == "no_decay").Parameters, p => Assert.Equal(1, p.Rank));
            Assert.Equal(0, groups.Single(g => g.Name == "no_decay").L1Proximal);
            Assert.Contains("on the weights", StudyConfiguration.Get(name).Description);
        }
        Assert.Equal(0.1f, Assert.IsType<CrossEntropyLoss>(StudyConfiguration.Get("label-smoothing").BuildLoss()).LabelSmoothing);
        Assert.Equal(0f, Assert.IsType<CrossEntropyLoss>(StudyConfiguration.Get("none").BuildLoss()).LabelSmoothing);
        Assert.NotNull(StudyConfiguration.Get("augmentation").BuildAugmentation(images: true));
        Assert.NotNull(StudyConfiguration.Get("augmentation").BuildAugmentation(images: false));
        Assert.Null(StudyConfiguration.Get("none").BuildAugmentation(images: true));
        Assert.All(Layers("l2").OfType<Linear>(), l => Assert.IsType<Occam.Regularizers.L2>(l.KernelRegularizer));
        Assert.All(Layers("elastic-net").OfType<Linear>(), l => Assert.IsType<Occam.Regularizers.ElasticNet>(l.KernelRegularizer));
        var optimizer = StudyConfiguration.Get("sam").BuildOptimizer(model);
        Assert.Equal(0.1, StudyConfiguration.Get("sam").BuildSam(optimizer)!.Rho);
        Assert.Same(optimizer, StudyConfiguration.Get("sam").BuildSam(optimizer)!.Optimizer);
        Assert.Null(StudyConfiguration.Get("none").BuildSam(optimizer));
    }

    [Fact]
    public void OnlyRunsTheNamedConfigurationsInStudyOrderAndRejectsUnknownNames()
    {
        var chosen = new StudyOptions { Only = ["L1", "none"] }.Configurations();
        Assert.Equal(["none", "l1"], chosen.Select(c => c.Name));
        var e = Assert.Throws<ArgumentException>(() => new StudyOptions { Only = ["nope"] }.Configurations());
        Assert.Contains("'nope'", e.Message);
        Assert.Throws<ArgumentException>(() => new StudyOptions { Epochs = 0 }.Configurations());
        Assert.Throws<ArgumentException>(() => new StudyOptions { Source = StudySource.Csv, CsvPath = "x.csv", LabelColumn = "y", Model = StudyModel.Cnn }.Configurations());
        Assert.Throws<ArgumentException>(() => Study.Run(Tiny with { TrainSize = 5001, Only = ["none"] }));
    }

    [Fact]
    public void RunsAreDeterministicForASeed()
    {
        var options = Tiny with { TrainSize = 100, Only = ["dropout"] };
        var a = Study.Run(options).Runs[0];
        var b = Study.Run(options).Runs[0];
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.TestAccuracy, b.TestAccuracy);
    }

    [Fact]
    public void ConfigurationsSideBySideGiveWhatTheyGiveOneAfterAnother()
    {
        // At 2 threads the configurations train two at a time, each with its kernels on its own thread; at 1 thread one
        // after the other. The MLP's kernels give the same sums whichever way they are split, so the runs agree bit for bit.
        var options = Tiny with { Epochs = 2, TrainSize = 150, Only = ["none", "l1", "dropout", "batch-norm", "early-stopping"] };
        var overlapping = 0;
        int inside = 0;
        var reports = new List<StudyProgress>();
        var watcher = new Watch(p =>
        {
            if (Interlocked.Increment(ref inside) > 1) Interlocked.Increment(ref overlapping);
            reports.Add(p);
            Thread.SpinWait(200);
            Interlocked.Decrement(ref inside);
        });
        var sideBySide = ThreadCount.With(2, () => Study.Run(options, watcher));
        var oneByOne = ThreadCount.With(1, () => Study.Run(options));
        Assert.Equal(options.Only, sideBySide.Runs.Select(r => r.Name));
        foreach (var (a, b) in sideBySide.Runs.Zip(oneByOne.Runs))
        {
            Assert.Equal(b.Weights, a.Weights);
            Assert.Equal(b.History["val_loss"], a.History["val_loss"]);
            Assert.Equal((b.TrainAccuracy, b.ValAccuracy, b.TestAccuracy), (a.TrainAccuracy, a.ValAccuracy, a.TestAccuracy));
        }
        // Reports came one at a time, each run's epochs in order, one finish per run.
        Assert.Equal(0, overlapping);
        Assert.Equal(options.Only.Count, reports.Count(p => p.Finished));
        foreach (var run in reports.GroupBy(p => p.Run))
        {
            var epochs = run.Where(p => p.EpochEnded && !p.Finished).Select(p => p.Epoch).ToList();
            Assert.Equal(Enumerable.Range(0, epochs.Count), epochs);
        }
    }

    sealed class Watch(Action<StudyProgress> report) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value) => report(value);
    }

    [Fact]
    public void StudiesACsvTableWithStandardizedFeatures()
    {
        // Three classes separated along the first of two features, on a scale of thousands (standardization matters).
        var g = new Generator(3);
        var lines = new List<string> { "size,noise,kind" };
        for (int i = 0; i < 240; i++)
        {
            int kind = i % 3;
            lines.Add(F($"{1000 * kind + 200 * g.NextNormal():0.###},{g.NextNormal():0.###},{kind}"));
        }
        var path = Path.Combine(Directory.CreateTempSubdirectory("occam-study").FullName, "table.csv");
        File.WriteAllLines(path, lines);
        var result = Study.Run(new StudyOptions { Source = StudySource.Csv, CsvPath = path, LabelColumn = "kind", Epochs = 10, Only = ["none", "augmentation"] });
        Assert.Equal((160, 40, 40), (result.TrainCount, result.ValidationCount, result.TestCount));
        Assert.Equal(2 * 256 + 256 * 128 + 128 * 3, result.Runs[0].Weights.Length);
        Assert.All(result.Runs, r => Assert.True(r.TestAccuracy > 0.8, $"{r.Name}: {r.TestAccuracy}"));
        // a table is augmented with feature noise (BuildAugmentation), and the description says so
        var augmentation = result.Runs.Single(r => r.Name == "augmentation").Configuration;
        Assert.Equal("Gaussian noise σ = 0.1 added to the standardized features", augmentation.Description);
        Assert.IsType<Occam.Data.Augment.GaussianNoise>(augmentation.BuildAugmentation(images: false));
        Assert.Contains("flips", StudyConfiguration.Get("augmentation").Description);
        File.WriteAllLines(path, ["a,kind", "1,0", "2,1.5", "3,0", "4,1", "5,0", "6,1"]);
        Assert.Throws<InvalidDataException>(() => Study.Run(new StudyOptions { Source = StudySource.Csv, CsvPath = path, LabelColumn = "kind", Only = ["none"] }));
    }

    [Fact]
    public void AGapIsRoundedOneWayInTablesAndReadings()
    {
        // a gap of 0.0375 as train − test gives 3.749999999999998 points: the table's custom format "0.0" (15 digits
        // first) showed 3.8, the reading's "F1" 3.7; both now write GapText
        double gap = 0.9125 - 0.875;
        Assert.Equal("3.8", (gap * 100).ToString("0.0", CultureInfo.InvariantCulture));
        Assert.Equal("3.7", Study.GapText(gap));
        Assert.Equal("3.7 points", Study.Points(gap));
    }

    // A run built by hand (no training), for readings of constructed results: one epoch per validation loss.
    static StudyRun Made(string name, double train, double test, double[]? valLoss = null, double[]? trainLoss = null,
        double l1 = 1000, double l2 = 10, double zeros = 0, float[]? weights = null)
    {
        valLoss ??= [1.0, 0.8, 0.7];
        trainLoss ??= valLoss;
        var history = new Occam.Training.History();
        for (int e = 0; e < valLoss.Length; e++)
            history.Add(new Dictionary<string, double> { ["data_loss"] = trainLoss[e], ["val_loss"] = valLoss[e], ["val_data_loss"] = valLoss[e] });
        return new StudyRun(StudyConfiguration.Get(name), history, train, 0.1, test, 0.5, test, 0.5,
            Array.IndexOf(valLoss, valLoss.Min()) + 1, valLoss.Length, l1, l2, zeros, 1, weights ?? []);
    }

    static string Read(StudyOptions options, params StudyRun[] runs) =>
        string.Join("\n", Study.Reading(new StudyResult(options, "constructed", 2000, 1000, 2000, runs)));

    [Fact]
    public void AWiderGapIsCalledFittingFasterOnlyWithoutABetterTestAccuracy()
    {
        // none: gap 10 points; sam: gap 15 but test +5 points (far beyond one SE, 0.9 points); batch-norm: gap 20, test equal
        var reading = Read(new StudyOptions(), Made("none", 0.90, 0.80), Made("sam", 1.0, 0.85), Made("batch-norm", 1.0, 0.80));
        Assert.Contains("The gap widened under batch-norm (20.0 points) without a better test accuracy: these help the model fit faster, not generalize.", reading);
        Assert.Contains("The gap widened under sam (15.0 points, test +5.0 points) while test accuracy rose beyond the noise", reading);
        Assert.Contains("The best test accuracy was sam's, 85.0%", reading);
        Assert.DoesNotContain("sam (15.0 points) without", reading);
    }

    [Fact]
    public void AValidationLossRiseIsNamedOnlyWhenItIsMeaningful()
    {
        // lowest at epoch 2, then 2 % higher: within the 5 % that FineTuneStudy counts as a rise
        var flat = Read(new StudyOptions(), Made("none", 0.9, 0.8, [1.0, 0.50, 0.51], [1.0, 0.5, 0.3]), Made("l2", 0.9, 0.8));
        Assert.Contains("Its validation loss was lowest at epoch 2 of 3 and ended 2.0% above that, within the 5% that counts as a rise: no clear sign of overfitting in the loss.", flat);
        Assert.DoesNotContain("rose", flat);
        var rose = Read(new StudyOptions(), Made("none", 0.9, 0.8, [1.0, 0.50, 0.80], [1.0, 0.5, 0.2]), Made("l2", 0.9, 0.8));
        Assert.Contains("Its validation loss was lowest at epoch 2 of 3 and ended 60% higher while its training loss kept falling (0.500 to 0.200): it overfit.", rose);
        var falling = Read(new StudyOptions(), Made("none", 0.9, 0.8, [1.0, 0.8, 0.6]), Made("l2", 0.9, 0.8));
        Assert.Contains("Its validation loss was still falling at the last epoch.", falling);
    }

    [Fact]
    public void TheL2ReadingSaysWhatHappenedToTheNorm()
    {
        var grew = Read(new StudyOptions(), Made("none", 0.9, 0.8, l2: 10), Made("l2", 0.9, 0.8, l2: 12));
        Assert.Contains("The L2 penalty did not shrink the weights here: their L2 norm went from 10.0 to 12.0 (+20.0%)", grew);
        Assert.DoesNotContain("shrank", grew);
        var shrank = Read(new StudyOptions(), Made("none", 0.9, 0.8, l2: 10), Made("l2", 0.9, 0.8, l2: 8));
        Assert.Contains("The L2 penalty shrank the weights instead of zeroing them: their L2 norm went from 10.0 to 8.0 (−20.0%)", shrank);
    }

    [Fact]
    public void TheL1ReadingNamesBorderPixelsOnlyForTheMlpAndSparsityOnlyAboveHalf()
    {
        // The MLP's first layer [256, 784]: zeros on every border pixel's column, none inside.
        int rows = StudyConfiguration.MlpHidden[0];
        var weights = new float[rows * 784 + 10];
        for (int i = 0; i < weights.Length; i++)
        {
            int pixel = i % 784, y = pixel / 28, x = pixel % 28;
            weights[i] = i < rows * 784 && (y < 2 || x < 2 || y >= 26 || x >= 26) ? 0 : 0.1f;
        }
        var none = Made("none", 0.9, 0.8);
        var mlp = Read(new StudyOptions(), none, Made("l1", 0.9, 0.8, l1: 500, zeros: 0.6, weights: weights));
        Assert.Contains("in the first layer 100.0% of the weights on the 2-pixel image border against 0.0% elsewhere", mlp);
        Assert.Contains("which leaves a sparse model (over 50% of its weights zero)", mlp);
        var cnn = Read(new StudyOptions { Model = StudyModel.Cnn }, none, Made("l1", 0.9, 0.8, l1: 500, zeros: 0.6, weights: weights));
        Assert.DoesNotContain("border", cnn);
        Assert.Contains("sparse model", cnn);
        var few = Read(new StudyOptions { Model = StudyModel.Cnn }, none, Made("l1", 0.9, 0.8, l1: 500, zeros: 0.004));
        Assert.Contains("Proximal L1 set 0.4% of the weights exactly to zero", few);
        Assert.Contains("at this strength the model is not sparse (this reading calls it so above 50% zeros)", few);
        Assert.DoesNotContain("a sparse model", few);
        var grew = Read(new StudyOptions(), none, Made("l1", 0.9, 0.8, l1: 1200, zeros: 0.004));
        Assert.Contains("yet their L1 norm went from 1,000 to 1,200", grew);
    }

    [Fact]
    public void TestDifferencesWithinOneStandardErrorAreWithinNoise()
    {
        // 2,000 test examples near 85 %: one SE is √(0.85·0.15/2000) = 0.8 points
        var reading = Read(new StudyOptions(), Made("none", 0.90, 0.85), Made("l2", 0.905, 0.855), Made("l1", 0.895, 0.845), Made("dropout", 0.88, 0.83));
        Assert.Contains("With 2,000 test examples one standard error of an accuracy near 85% is 0.8 points, so test differences within about 0.8 points are within noise.", reading);
        Assert.Contains("No technique beat the test accuracy without regularization (85.0%) by more than the noise; the highest was l2's, 85.5% (+0.5 points, within noise).", reading);
        Assert.DoesNotContain("The best test accuracy was", reading);
        Assert.Contains("Test accuracy fell below the baseline by more than one standard error under dropout (83.0%).", reading);
        Assert.DoesNotContain("l1 (84.5%)", reading);
    }

    static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    sealed class Collect(List<StudyProgress> into) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value) => into.Add(value);
    }
}
