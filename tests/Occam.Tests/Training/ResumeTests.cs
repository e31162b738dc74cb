using Occam.Data;
using Occam.Data.Augment;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Optim.Schedulers;
using Occam.Studies;
using Occam.Training;
using Occam.Training.Callbacks;

namespace Occam.Tests.Training;

/// <summary>Issue "Trainer can resume from a checkpoint and continue exactly as if never stopped".</summary>
public class ResumeTests
{
    // Everything a run needs, built from the seed alone, as a restarted process would build it.
    sealed record Run(Trainer Trainer, DataLoader Train, DataLoader Validation, EarlyStopping Stopper, ModelCheckpoint Best, CsvLogger Log);

    static Run Build(string schedule, string dir, double? emaDecay = null)
    {
        var g = new Generator(7);
        var (all, _) = FashionMnist.LoadEmbedded();
        var (fit, validation) = Splits.TrainValidation(new Subset(all, Enumerable.Range(0, 6000).Where(i => i % 12 == 0).ToArray()), 0.2, g);
        var model = Architectures.Mlp(g, hidden: [32], dropout: 0.3f);
        var optimizer = new AdamW(model.ParameterGroups(), lr: 3e-3);
        var augment = new Compose(new RandomHorizontalFlip(), new RandomCrop(28, padding: 2));
        var train = new DataLoader(fit, 32, shuffle: true, generator: g, transform: augment);
        var val = new DataLoader(validation, 64);
        LRScheduler scheduler = schedule switch
        {
            "cosine" => new CosineAnnealingLR(optimizer, tMax: 4),
            "onecycle" => new OneCycleLR(optimizer, maxLr: 5e-3, totalSteps: 4 * train.Count),
            // saved at epoch 2, before the milestone: the exponential part has not started (its last_epoch is −1)
            "warmup" => new SequentialLR(optimizer, [new LinearLR(optimizer, 0.25, totalIters: 3), new ExponentialLR(optimizer, 0.9)], [3]),
            _ => new ReduceLROnPlateau(optimizer, patience: 0, factor: 0.5),
        };
        var stopper = new EarlyStopping("val_loss", patience: 10, restoreBestWeights: true);
        var best = new ModelCheckpoint(Path.Combine(dir, "best.safetensors"), saveBestOnly: true);
        var log = new CsvLogger(Path.Combine(dir, "history.csv"));
        var trainer = new Trainer(model, optimizer, new CrossEntropyLoss(labelSmoothing: 0.1f),
            [new LrSchedulerCallback(scheduler, perBatch: schedule == "onecycle"), stopper, best, log],
            ema: emaDecay is double d ? new Ema(model, d, warmup: true) : null);
        return new Run(trainer, train, val, stopper, best, log);
    }

    [Theory]
    [InlineData("cosine")]
    [InlineData("onecycle")]
    [InlineData("plateau")]
    [InlineData("warmup")]
    public void ResumeEqualsUninterrupted(string schedule)
    {
        string dir = Directory.CreateTempSubdirectory("occam-resume").FullName;
        try
        {
            string wholeDir = Directory.CreateDirectory(Path.Combine(dir, "whole")).FullName;
            var whole = Build(schedule, wholeDir);
            var expected = whole.Trainer.Fit(whole.Train, whole.Validation, epochs: 4);

            string path = Path.Combine(dir, "run.safetensors");
            var first = Build(schedule, dir);
            first.Trainer.Fit(first.Train, first.Validation, epochs: 2, checkpointPath: path);

            var second = Build(schedule, dir);
            int epoch = second.Trainer.Resume(path, second.Train, second.Validation);
            Assert.Equal(2, epoch);
            var resumed = second.Trainer.Fit(second.Train, second.Validation, epochs: 4 - epoch);

            Assert.Equal(4, resumed.Epochs.Count);
            foreach (var key in expected.Keys.Where(k => k != "seconds"))
                Assert.Equal(expected[key], resumed[key]);
            var a = whole.Trainer.Model.StateDict();
            var b = second.Trainer.Model.StateDict();
            foreach (var (name, tensor) in a) Assert.Equal(tensor.ToArray(), b[name].ToArray());
            Assert.Equal(whole.Stopper.BestEpoch, second.Stopper.BestEpoch);
            Assert.Equal(whole.Stopper.Best, second.Stopper.Best);
            // the best-only checkpoint kept its best across the resume, and the CSV has every epoch
            Assert.Equal(whole.Best.Best, second.Best.Best);
            string ValLosses(string file) => string.Join("|", File.ReadAllLines(file).Select(line => line.Split(',')[0] + ":" +
                line.Split(',')[Array.IndexOf(File.ReadAllLines(file)[0].Split(','), "val_loss")]));
            Assert.Equal(ValLosses(whole.Log.Path), ValLosses(second.Log.Path));
            Assert.Equal(5, File.ReadAllLines(second.Log.Path).Length);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ResumeWithAWeightAverageEqualsUninterrupted()
    {
        string dir = Directory.CreateTempSubdirectory("occam-resume-ema").FullName;
        try
        {
            var whole = Build("cosine", Directory.CreateDirectory(Path.Combine(dir, "whole")).FullName, emaDecay: 0.99);
            whole.Trainer.Fit(whole.Train, whole.Validation, epochs: 4);

            string path = Path.Combine(dir, "run.safetensors");
            var first = Build("cosine", dir, emaDecay: 0.99);
            first.Trainer.Fit(first.Train, first.Validation, epochs: 2, checkpointPath: path);
            var second = Build("cosine", dir, emaDecay: 0.99);
            second.Trainer.Fit(second.Train, second.Validation, epochs: 4 - second.Trainer.Resume(path, second.Train, second.Validation));

            Assert.Equal(whole.Trainer.Ema!.Updates, second.Trainer.Ema!.Updates);
            var a = whole.Trainer.Ema.StateDict();
            var b = second.Trainer.Ema.StateDict();
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            foreach (var (name, tensor) in a) Assert.Equal(tensor.ToArray(), b[name].ToArray());
            // the average differs from the live weights it follows (it is not a copy)
            Assert.NotEqual(a["1.weight"].ToArray(), whole.Trainer.Model.StateDict()["1.weight"].ToArray());

            // another decay, or no average in the file, is refused before anything is loaded
            var otherDecay = Build("cosine", dir, emaDecay: 0.9);
            var before = otherDecay.Trainer.Model.StateDict()["1.weight"].ToArray();
            Assert.Contains("holds a weight average of decay 0.99 with warm-up, the trainer's has decay 0.9 with warm-up",
                Assert.Throws<ArgumentException>(() => otherDecay.Trainer.Resume(path, otherDecay.Train, otherDecay.Validation)).Message);
            Assert.Equal(before, otherDecay.Trainer.Model.StateDict()["1.weight"].ToArray());
            string plain = Path.Combine(dir, "plain.safetensors");
            var noEma = Build("cosine", dir);
            noEma.Trainer.Fit(noEma.Train, noEma.Validation, epochs: 1, checkpointPath: plain);
            var wantsEma = Build("cosine", dir, emaDecay: 0.99);
            Assert.Contains("holds no weight average", Assert.Throws<ArgumentException>(() => wantsEma.Trainer.Resume(plain, wantsEma.Train, wantsEma.Validation)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ResumeRejectsAPlainCheckpointAndAMismatchedModel()
    {
        string dir = Directory.CreateTempSubdirectory("occam-resume").FullName;
        try
        {
            var run = Build("cosine", dir);
            string plain = Path.Combine(dir, "plain.safetensors");
            Occam.IO.Checkpoint.Save(plain, run.Trainer.Model, run.Trainer.Optimizer);
            var before = Snapshot(run.Trainer);
            // A plain checkpoint of other weights: rejected before anything is loaded.
            var stranger = Build("cosine", dir);
            stranger.Trainer.Fit(stranger.Train, stranger.Validation, epochs: 1);
            Occam.IO.Checkpoint.Save(plain, stranger.Trainer.Model, stranger.Trainer.Optimizer);
            var e = Assert.Throws<ArgumentException>(() => run.Trainer.Resume(plain));
            Assert.Contains("not a resumable checkpoint", e.Message);
            Assert.Equal(before, Snapshot(run.Trainer));

            string path = Path.Combine(dir, "run.safetensors");
            run.Trainer.SaveCheckpoint(path, 0, run.Train, run.Validation);
            var g = new Generator(1);
            var other = Architectures.Mlp(g, hidden: [32]); // no dropout layer: the names do not line up
            var trainer = new Trainer(other, new AdamW(other.ParameterGroups(), lr: 1e-3), new CrossEntropyLoss());
            Assert.Throws<ArgumentException>(() => trainer.Resume(path));

            // A resumable checkpoint of other weights whose training state does not fit (no scheduler here): the
            // weights and optimizer stay as they were.
            stranger.Trainer.SaveCheckpoint(path, 1, stranger.Train, stranger.Validation);
            var model = Architectures.Mlp(new Generator(7), hidden: [32], dropout: 0.3f);
            var noScheduler = new Trainer(model, new AdamW(model.ParameterGroups(), lr: 3e-3), new CrossEntropyLoss(),
                [new EarlyStopping("val_loss", patience: 10, restoreBestWeights: true)]);
            before = Snapshot(noScheduler);
            e = Assert.Throws<ArgumentException>(() => noScheduler.Resume(path, run.Train, run.Validation));
            Assert.Contains("scheduler", e.Message);
            Assert.Equal(before, Snapshot(noScheduler));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // The weights, the optimizer's state and the stochastic modules' generators, as one comparable string.
    static string Snapshot(Trainer trainer)
    {
        var parts = trainer.Model.StateDict().Select(kv => $"{kv.Key}:{string.Join(",", kv.Value.ToArray())}").ToList();
        foreach (var (index, entry) in trainer.Optimizer.StateDict().State)
            foreach (var (key, tensor) in entry) parts.Add($"opt{index}.{key}:{string.Join(",", tensor.ToArray())}");
        foreach (var (name, module) in trainer.Model.NamedModules())
            if (module is IStochasticRegularizer s) parts.Add($"{name}:{Convert.ToBase64String(s.Generator.GetState())}");
        return string.Join("|", parts);
    }
}
