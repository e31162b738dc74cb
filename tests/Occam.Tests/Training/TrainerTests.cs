using Occam.Data;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Regularizers;
using Occam.Training;
using Occam.Training.Callbacks;

namespace Occam.Tests.Training;

public class TrainerTests
{
    // Four Gaussian blobs in 8-D, as fixed batches of 32.
    static List<Batch> Blobs(ulong seed, int batches)
    {
        var g = new Generator(seed);
        var centres = Tensor.RandN([4, 8], new Generator(99), std: 2f);
        var list = new List<Batch>();
        for (int b = 0; b < batches; b++)
        {
            var labels = Enumerable.Range(0, 32).Select(_ => (float)g.NextInt(4)).ToArray();
            var y = Tensor.FromArray(labels, 32);
            var x = Tensor.OneHot(y, 4).MatMul(centres) + Tensor.RandN([32, 8], g);
            list.Add(new Batch(x, y));
        }
        return list;
    }

    static Sequential Model(ulong seed, Regularizer? kernel = null) =>
        new(new Linear(8, 16, generator: new Generator(seed), kernelRegularizer: kernel), new ReLU(), new Linear(16, 4, generator: new Generator(seed + 1)));

    [Theory]
    [InlineData(-100)]
    [InlineData(-1)]
    [InlineData(2)] // an ignored class inside [0, C): those rows are not scored either
    public void AccuracySkipsTheTargetsTheLossIgnores(int ignore)
    {
        // Batch 0 targets 0, 1, ignored, 3; batch 1 ignored twice, 1, 0. The model predicts class 3 for every row but
        // the fourth and the last, which it gets right (3 and 0): 2 of the 5 scored rows are right, whatever the
        // ignored rows' logits say.
        Batch Make(float[] targets, int[] predicted)
        {
            var logits = new float[4 * 4];
            for (int i = 0; i < 4; i++) logits[i * 4 + predicted[i]] = 5f;
            return new Batch(Tensor.FromArray(logits, 4, 4), Tensor.FromArray(targets, 4));
        }
        var batches = new List<Batch>
        {
            Make([0, 1, ignore, 3], [3, 3, 3, 3]),
            Make([ignore, ignore, 1, 0], [3, 3, 3, 0]),
        };
        var trainer = new Trainer(new Sequential(new Identity()), new SGD(new Linear(1, 1).Parameters(), lr: 0.1), new CrossEntropyLoss(ignoreIndex: ignore), topK: 2);
        var logs = trainer.Evaluate(batches);
        Assert.Equal(2 / 5.0, logs["accuracy"], 12);
        // Top 2: class 3 and then, of the tied zeros, the lowest index: rows with target 0 or 3 (3 of the 5).
        Assert.Equal(3 / 5.0, logs["top2_accuracy"], 12);
        Assert.Equal(2, Metrics.Scored(batches[1].Targets, ignore));
        var e = Assert.Throws<ArgumentException>(() => Metrics.CorrectTopK(batches[0].Inputs, Tensor.FromArray([0f, 1, 7, 3], 4)));
        Assert.Contains("target 7 of row 2", e.Message);
        // [N, 1] targets are not class indices read as soft targets (their argmax was always 0)
        var logits = Tensor.FromArray([0f, 1, 0, 1, 0, 1], 3, 2);
        Assert.Equal("Metrics: soft targets must be [N, C] = [3, 2] like the logits, got [3, 1]; class indices are [N]",
            Assert.Throws<ArgumentException>(() => Metrics.CorrectTopK(logits, Tensor.Ones(3, 1))).Message);
        Assert.Equal(3, Metrics.CorrectTopK(logits, Tensor.Ones(3)));
        // NaN logits (a diverged model) are never right, wherever the NaN is
        var nan = Tensor.FromArray([float.NaN, float.NaN, 0, 1, 0, float.NaN, 1, 0, 0], 3, 3);
        Assert.Equal(1, Metrics.CorrectTopK(nan, Tensor.FromArray([0f, 1, 0], 3))); // only the last row, which has no NaN
        Assert.Equal(1, Metrics.CorrectTopK(nan, Tensor.FromArray([0f, 1, 0], 3), k: 3));
    }

    [Fact]
    public void FitLearnsAndLogsEverythingPerEpoch()
    {
        var model = Model(1);
        var trainer = new Trainer(model, new AdamW(model.Parameters(), lr: 1e-2), new CrossEntropyLoss(), topK: 2);
        var history = trainer.Fit(Blobs(1, 8), Blobs(2, 4), epochs: 5);
        Assert.Equal(5, history.Epochs.Count);
        foreach (var key in new[] { "loss", "data_loss", "accuracy", "top2_accuracy", "val_loss", "val_accuracy", "lr", "weight_l1", "weight_l2", "zero_weight_fraction", "seconds" })
            Assert.Contains(key, history.Keys);
        Assert.True(history["loss"][^1] < history["loss"][0]);
        Assert.True(history["val_accuracy"][^1] > 0.9, $"val accuracy {history["val_accuracy"][^1]}");
        Assert.All(history["top2_accuracy"].Zip(history["accuracy"]), p => Assert.True(p.First >= p.Second));
        var eval = trainer.Evaluate(Blobs(3, 2));
        Assert.InRange(eval["accuracy"], 0.85, 1.0);
        Assert.True(model.IsTraining);
    }

    [Fact]
    public void AttachedPenaltiesAreAddedToTheLoss()
    {
        var model = Model(2, kernel: new L2(0.01));
        var history = new Trainer(model, new SGD(model.Parameters(), lr: 0.05), new CrossEntropyLoss()).Fit(Blobs(4, 4), Blobs(5, 2), epochs: 2);
        Assert.All(history["loss"].Zip(history["data_loss"]), p => Assert.True(p.First > p.Second));
        Assert.All(history["val_loss"].Zip(history["val_data_loss"]), p => Assert.True(p.First > p.Second));
    }

    [Fact]
    public void ProximalL1InTheOptimizerProducesExactZeros()
    {
        var model = Model(3);
        var history = new Trainer(model, new SGD(model.Parameters(), lr: 0.05, l1Proximal: 0.05), new CrossEntropyLoss()).Fit(Blobs(6, 8), epochs: 4);
        Assert.True(history["zero_weight_fraction"][^1] > 0.2, $"zero fraction {history["zero_weight_fraction"][^1]}");
    }

    [Fact]
    public void EarlyStoppingStopsTheLoopAndRestoresTheBestWeights()
    {
        var model = Model(4);
        var es = new EarlyStopping(monitor: "val_loss", patience: 1, restoreBestWeights: true);
        // Random training labels: the model memorizes noise and the validation loss soon worsens.
        var g = new Generator(70);
        var noisy = Blobs(7, 2).Select(b => new Batch(b.Inputs, Tensor.FromArray(Enumerable.Range(0, 32).Select(_ => (float)g.NextInt(4)).ToArray(), 32))).ToList();
        var trainer = new Trainer(model, new AdamW(model.Parameters(), lr: 3e-2), new CrossEntropyLoss(), [es]);
        var history = trainer.Fit(noisy, Blobs(8, 2), epochs: 30);
        Assert.True(history.Epochs.Count < 30);
        var restored = trainer.Evaluate(Blobs(8, 2))["loss"];
        Assert.Equal(history["val_loss"].Min(), restored, 4);
    }

    [Fact]
    public void TerminateOnNaNStopsAndCheckpointsSkipNonFiniteModels()
    {
        var model = Model(5);
        var dir = Directory.CreateTempSubdirectory("occam-ckpt").FullName;
        try
        {
            var nan = new TerminateOnNaN();
            var ckpt = new ModelCheckpoint(Path.Combine(dir, "model-{epoch}.safetensors"));
            var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 1e9), new CrossEntropyLoss(), [nan, ckpt]);
            var history = trainer.Fit(Blobs(9, 4), Blobs(10, 1), epochs: 5);
            Assert.NotNull(nan.Message);
            Assert.True(history.Epochs.Count < 5);
            var losses = history["loss"];
            for (int e = 0; e < losses.Length; e++)
                Assert.Equal(double.IsFinite(losses[e]), File.Exists(Path.Combine(dir, $"model-{e + 1}.safetensors")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ModelCheckpointSavesTheBestEpochOnly()
    {
        var dir = Directory.CreateTempSubdirectory("occam-best").FullName;
        try
        {
            var model = Model(6);
            var ckpt = new ModelCheckpoint(Path.Combine(dir, "best.safetensors"), saveBestOnly: true);
            var trainer = new Trainer(model, new AdamW(model.Parameters(), lr: 1e-2), new CrossEntropyLoss(), [ckpt]);
            trainer.Fit(Blobs(11, 4), Blobs(12, 2), epochs: 3);
            Assert.True(File.Exists(ckpt.LastSaved));
            var copy = Model(60);
            var (metadata, _, _) = Occam.IO.Checkpoint.Load(ckpt.LastSaved!, copy);
            Assert.True(metadata.ContainsKey("epoch"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ModelCheckpointKeepsItsBestFromOneFitToTheNextAndNeverSavesAnInfiniteValue()
    {
        var dir = Directory.CreateTempSubdirectory("occam-best").FullName;
        try
        {
            var model = Model(6);
            var ckpt = new ModelCheckpoint(Path.Combine(dir, "best.safetensors"), saveBestOnly: true);
            Assert.Equal(double.PositiveInfinity, ckpt.Best);
            var opt = new AdamW(model.Parameters(), lr: 1e-2);
            var trainer = new Trainer(model, opt, new CrossEntropyLoss(), [ckpt]);
            var first = trainer.Fit(Blobs(11, 4), Blobs(12, 2), epochs: 3);
            Assert.Equal(first["val_loss"].Min(), ckpt.Best);
            var saved = File.ReadAllBytes(ckpt.LastSaved!);
            opt.Groups[0].Lr = 50; // a second Fit that makes the model worse: its first epoch is no "best"
            var second = trainer.Fit(Blobs(11, 4), Blobs(12, 2), epochs: 1);
            Assert.True(second["val_loss"][0] > ckpt.Best);
            Assert.Equal(saved, File.ReadAllBytes(ckpt.LastSaved!));

            var never = new ModelCheckpoint(Path.Combine(dir, "never.safetensors"), saveBestOnly: true, initialValueThreshold: 1e-9);
            new Trainer(Model(7), new AdamW(Model(7).Parameters()), new CrossEntropyLoss(), [never]).Fit(Blobs(11, 4), Blobs(12, 2), epochs: 1);
            Assert.Null(never.LastSaved);
            Assert.Contains("initialValueThreshold", Assert.Throws<ArgumentException>(() =>
                new ModelCheckpoint("x.safetensors", initialValueThreshold: double.NaN)).Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void FitRefusesBadArgumentsBeforeTraining()
    {
        var model = Model(8);
        var before = model.Parameters().SelectMany(p => p.ToArray()).ToArray();
        var trainer = new Trainer(model, new AdamW(model.Parameters()), new CrossEntropyLoss(), ema: new Ema(model, 0.9));
        Assert.Contains("Trainer.Fit: initialEpoch must be non-negative, got -3",
            Assert.Throws<ArgumentException>(() => trainer.Fit(Blobs(11, 2), initialEpoch: -3)).Message);
        Assert.Contains("Trainer.Fit: epochs must be positive, got 0", Assert.Throws<ArgumentException>(() => trainer.Fit(Blobs(11, 2), epochs: 0)).Message);
        Assert.Equal(before, model.Parameters().SelectMany(p => p.ToArray()).ToArray());
        Assert.Contains("Trainer: a callback is null", Assert.Throws<ArgumentException>(() =>
            new Trainer(model, new AdamW(model.Parameters()), new CrossEntropyLoss(), [null!])).Message);
    }

    [Fact]
    public void DataWithNoBatchesIsAnErrorNotANaNEpoch()
    {
        // Keras's fit and evaluate raise on an empty dataset; an epoch of no batches used to log loss NaN and go on
        // (an empty dataset, or dropLast with fewer examples than batchSize).
        var model = Model(8);
        var before = model.Parameters().SelectMany(p => p.ToArray()).ToArray();
        var trainer = new Trainer(model, new AdamW(model.Parameters()), new CrossEntropyLoss());
        var blobs = Blobs(11, 1)[0];
        var dropped = new DataLoader(new TensorDataset(blobs.Inputs, blobs.Targets), 64, dropLast: true);
        Assert.Equal(0, dropped.Count);
        Assert.Equal("Trainer.Fit: the training data gave no batches in epoch 1 (an empty dataset, or dropLast with fewer examples than the batch size)",
            Assert.Throws<InvalidOperationException>(() => trainer.Fit(dropped, epochs: 2)).Message);
        Assert.Equal("Trainer.Fit: the validation data gave no batches in epoch 1 (an empty dataset, or dropLast with fewer examples than the batch size)",
            Assert.Throws<InvalidOperationException>(() => trainer.Fit(Blobs(11, 2), new List<Batch>(), epochs: 2)).Message);
        Assert.Equal("Trainer.Evaluate: the data gave no batches (an empty dataset, or dropLast with fewer examples than the batch size)",
            Assert.Throws<InvalidOperationException>(() => trainer.Evaluate(dropped)).Message);
        Assert.Empty(trainer.History.Epochs);
    }

    [Fact]
    public void SameSeedsGiveBitIdenticalWeights()
    {
        float[] Run()
        {
            var g = new Generator(77);
            var model = new Sequential(new Linear(8, 16, generator: g), new ReLU(), new Dropout(0.3f, g), new Linear(16, 4, generator: g));
            new Trainer(model, new AdamW(model.Parameters(), lr: 1e-2), new CrossEntropyLoss(labelSmoothing: 0.1f)).Fit(Blobs(13, 4), epochs: 2);
            return model.Parameters().SelectMany(p => p.ToArray()).ToArray();
        }
        Assert.Equal(Run(), Run());
    }
}
