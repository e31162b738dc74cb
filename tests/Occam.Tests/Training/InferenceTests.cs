using Occam.Data;
using Occam.Kernels;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Studies;
using Occam.Training;
using Xunit;

namespace Occam.Tests.Training;

/// <summary>Predict (Keras model.predict): the outputs of eval-mode forwards without gradients, equal to the forward of
/// each batch whether the batches run one at a time or side by side; modes restored; a model with a module of
/// another assembly run on the calling thread only.</summary>
[Collection(nameof(ThreadsCollection))]
public class InferenceTests
{
    static List<Tensor> Batches(int count, int rows, ulong seed)
    {
        var g = new Generator(seed);
        // the last batch is short, as a dataset's last batch
        return [.. Enumerable.Range(0, count).Select(b => Tensor.RandU([b == count - 1 ? rows / 2 + 1 : rows, 1, 28, 28], g))];
    }

    /// <summary>Each batch's eval-mode forward, one at a time, with every kernel on one thread.</summary>
    static float[][] Reference(Module model, IEnumerable<Tensor> batches) => ThreadCount.With(1, () =>
    {
        bool training = model.IsTraining;
        model.Eval();
        using var scope = Autograd.NoGrad();
        var outputs = batches.Select(x => model.Forward(x).ToArray()).ToArray();
        model.Train(training);
        return outputs;
    });

    static Sequential TrainedMlp()
    {
        var model = Architectures.BenchMlp(new Generator(3));
        // a few training forwards so the batch norms' running statistics are not their initial values
        foreach (var x in Batches(3, 64, 9)) model.Forward(x);
        return model;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MlpPredictionsEqualEachBatchsForward(int threads)
    {
        var model = TrainedMlp();
        var batches = Batches(7, 96, 4);
        var expected = Reference(model, batches);
        var outputs = ThreadCount.With(threads, () => model.Predict(batches));
        Assert.Equal(batches.Count, outputs.Length);
        for (int b = 0; b < batches.Count; b++)
        {
            Assert.Equal([batches[b].Dim(0), 10], outputs[b].Shape);
            Assert.Equal(expected[b], outputs[b].ToArray());
            Assert.False(outputs[b].RequiresGrad);
        }
        Assert.True(model.IsTraining);
    }

    [Fact]
    public void ManyBatchesComeBackInOrderAcrossGroups()
    {
        // more batches than one group takes (16 a thread), so that several groups and a short last one run, each
        // thread taking the next batch of its group as it finishes one
        var model = TrainedMlp();
        var batches = Batches(75, 3, 21);
        var expected = Reference(model, batches);
        var outputs = ThreadCount.With(2, () => model.Predict(batches));
        Assert.Equal(batches.Count, outputs.Length);
        for (int b = 0; b < batches.Count; b++) Assert.Equal(expected[b], outputs[b].ToArray());
        var tensorOutput = ThreadCount.With(3, () => model.Predict(Tensor.Cat([.. batches]), batchSize: 3)).ToArray();
        Assert.Equal(expected.SelectMany(o => o), tensorOutput);
    }

    [Fact]
    public void CnnPredictionsEqualEachBatchsForward()
    {
        var model = Architectures.BenchCnn(new Generator(5));
        foreach (var x in Batches(2, 32, 1)) model.Forward(x);
        var batches = Batches(3, 24, 6);
        var expected = Reference(model, batches);
        var outputs = ThreadCount.With(2, () => model.Predict(batches));
        for (int b = 0; b < batches.Count; b++) Assert.Equal(expected[b], outputs[b].ToArray());
    }

    [Fact]
    public void EvaluateGivesTheSameLogsWithBatchesSideBySide()
    {
        var model = TrainedMlp();
        var g = new Generator(12);
        var data = Batches(5, 40, 11).Select(x => new Batch(x, Tensor.FromArray([.. Enumerable.Range(0, x.Dim(0)).Select(_ => (float)g.NextInt(10))], x.Dim(0)))).ToList();
        var trainer = new Trainer(model, new AdamW(model.Parameters()), new CrossEntropyLoss(labelSmoothing: 0.1f), topK: 3);
        var alone = ThreadCount.With(1, () => trainer.Evaluate(data));
        var sideBySide = ThreadCount.With(2, () => trainer.Evaluate(data));
        Assert.Equal(alone, sideBySide);
        Assert.InRange(alone["accuracy"], 0, 1);
        Assert.True(model.IsTraining);
    }

    [Fact]
    public void PredictOnATensorBatchesAndConcatenates()
    {
        var model = TrainedMlp();
        var inputs = Tensor.RandU([130, 1, 28, 28], new Generator(8));
        var expected = Reference(model, [inputs]).Single();
        foreach (int batchSize in new[] { 1, 7, 64, 128, 500 })
        {
            var output = ThreadCount.With(2, () => model.Predict(inputs, batchSize));
            Assert.Equal([130, 10], output.Shape);
            // batch rows are independent in eval mode: the same values (up to rounding: other batch sizes, other products)
            var actual = output.ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-4f);
        }
    }

    [Fact]
    public void RestoresEachModulesOwnMode()
    {
        var model = TrainedMlp();
        var norm = (Module)model[2];
        norm.Eval(); // a frozen batch norm inside a model that trains
        ThreadCount.With(2, () => model.Predict(Batches(3, 16, 2)));
        Assert.True(model.IsTraining);
        Assert.True(model[1].IsTraining);
        Assert.False(norm.IsTraining);
        Assert.True(model[4].IsTraining); // the dropout
    }

    // A module of another assembly: Predict cannot know its forward is safe to run concurrently.
    sealed class ThreadRecorder : Module
    {
        readonly Module _inner;
        public readonly HashSet<int> Threads = [];

        public ThreadRecorder(Module inner) => _inner = RegisterModule("inner", inner);

        public override Tensor Forward(Tensor input)
        {
            lock (Threads) Threads.Add(Environment.CurrentManagedThreadId);
            return _inner.Forward(input);
        }
    }

    [Fact]
    public void AModelWithAForeignModuleRunsOnTheCallingThread()
    {
        var mlp = TrainedMlp();
        var recorder = new ThreadRecorder(mlp);
        var batches = Batches(5, 32, 7);
        var expected = Reference(mlp, batches);
        var outputs = ThreadCount.With(2, () => recorder.Predict(batches));
        Assert.Equal([Environment.CurrentManagedThreadId], recorder.Threads);
        for (int b = 0; b < batches.Count; b++) Assert.Equal(expected[b], outputs[b].ToArray());
    }

    [Fact]
    public void AnErrorInOneBatchReachesTheCallerAndModesAreRestored()
    {
        var model = TrainedMlp();
        var batches = Batches(2, 16, 3);
        batches.Add(Tensor.RandU([16, 1, 27, 28], new Generator(1)));
        var e = ThreadCount.With(2, () => Assert.ThrowsAny<ArgumentException>(() => model.Predict(batches)));
        Assert.Contains("Linear", e.Message);
        Assert.Contains("756", e.Message);
        Assert.True(model.IsTraining);
        Assert.True(Autograd.IsEnabled);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var model = TrainedMlp();
        Assert.Contains("batchSize must be at least 1, got 0", Assert.Throws<ArgumentException>(() => model.Predict(Tensor.RandU([4, 784], new Generator(1)), 0)).Message);
        Assert.Contains("Predict: inputs need a first (sample) dimension", Assert.Throws<ArgumentException>(() => model.Predict(Tensor.Scalar(1f))).Message);
        Assert.Throws<ArgumentNullException>(() => model.Predict((IEnumerable<Tensor>)null!));
        var withNull = Batches(3, 8, 1);
        withNull.Insert(2, null!);
        Assert.Contains("Predict: batch 2 is null", Assert.Throws<ArgumentException>(() => model.Predict(withNull)).Message);
        Assert.True(model.IsTraining);
        Assert.Throws<ArgumentNullException>(() => ((Module)null!).Predict(Tensor.RandU([4, 784], new Generator(1))));
    }

    [Fact]
    public void NoBatchesNoOutputs() => Assert.Empty(TrainedMlp().Predict([]));

    [Fact]
    public void PackedWeightsAreParametersPackedOncePerRun()
    {
        var weight = new Parameter(Tensor.RandU([64, 40], new Generator(2)));
        Assert.Null(PackedWeights.ForLinear(weight, 64));
        var run = new PackedWeights();
        using (PackedWeights.Enter(run))
        {
            var packed = PackedWeights.ForLinear(weight, 64);
            Assert.NotNull(packed);
            Assert.Same(packed, PackedWeights.ForLinear(weight, 64));
            Assert.Equal((64, 40), (packed.N, packed.K));
            Assert.Null(PackedWeights.ForLinear(Tensor.RandU([64, 40], new Generator(2)), 64)); // not a parameter
            using (PackedWeights.Enter(null)) Assert.Null(PackedWeights.ForLinear(weight, 64));
            Assert.Same(packed, PackedWeights.ForLinear(weight, 64));
            // a product that would not read a packing gets none: with the 8×32 kernel one row, or ten outputs, run as dot
            // products of rows (which products do depends on the CPU's kernel, 8×32 or 6×16)
            var ten = new Parameter(Tensor.RandU([10, 256], new Generator(3)));
            foreach (var (w, rows) in new[] { (weight, 1), (ten, 128), (weight, 64) })
                Assert.Equal(Gemm.ReadsPackedB(transA: false, transB: true, rows, w.Dim(0), w.Dim(1)), PackedWeights.ForLinear(w, rows) != null);
        }
        Assert.Null(PackedWeights.ForLinear(weight, 64));
    }

    [Fact]
    public unsafe void PackedWeightsGiveTheirMemoryBackAtTheEndOfTheRun()
    {
        var weight = new Parameter(Tensor.RandU([96, 53], new Generator(4)));
        var x = Tensor.RandU([16, 53], new Generator(5));
        var expected = Functional.Linear(x, weight).ToArray(); // outside a run: packs per product
        var run = new PackedWeights();
        Gemm.PackedB packed;
        using (PackedWeights.Enter(run)) packed = PackedWeights.ForLinear(weight, 16)!;
        nint memory = (nint)packed.Data;
        run.Dispose();
        Assert.True(packed.Data == null);
        // a product handed a released packing packs B itself
        var y = new float[16 * 96];
        Gemm.Sgemm(false, true, 16, 96, 53, x.Span, 53, weight.Span, 53, y, 96, false, default, packed);
        Assert.Equal(expected, y);
        // the next run of the same shapes packs into the same (already mapped) memory
        using var next = new PackedWeights();
        using (PackedWeights.Enter(next)) Assert.Equal(memory, (nint)PackedWeights.ForLinear(weight, 16)!.Data);
    }

    [Fact]
    public void PredictOnATensorLeavesItsInputAloneAndReturnsFreshOutputs()
    {
        // Flatten's output is a view of its input: each batch's copy then lives on in the output until it is concatenated
        var inputs = Tensor.RandU([20, 1, 4, 4], new Generator(6));
        var before = inputs.ToArray();
        foreach (var model in new Module[] { new Sequential(new Flatten()), new Sequential(new Flatten(), new ReLU()) })
            for (int run = 0; run < 2; run++)
            {
                var first = model.Predict(inputs, batchSize: 6);
                var second = model.Predict(inputs, batchSize: 6);
                Assert.Equal([20, 16], first.Shape);
                Assert.Equal(before, first.ToArray());
                Assert.Equal(before, second.ToArray());
                Assert.Equal(before, inputs.ToArray());
            }
        var single = new Sequential(new Flatten()).Predict(inputs, batchSize: 32); // one batch: its output is returned as is
        Assert.Equal(before, single.ToArray());
    }
}
