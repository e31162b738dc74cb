using Occam.NN;
using Occam.Studies;
using Xunit;

namespace Occam.Tests.NN;

/// <summary>In inference, Sequential runs Linear → BatchNorm (evaluation mode) → ReLU as one product with the rest
/// applied as it is written: the same output as the layers one by one, bit for bit, and only where it is the same
/// computation.</summary>
[Collection(nameof(ThreadsCollection))]
public class FoldedLinearTests
{
    static Tensor Input(int rows, int features, int seed = 1) => Tensor.RandN([rows, features], new Generator((ulong)seed));

    /// <summary>Running statistics and affine parameters away from their initial values, so folding them matters.</summary>
    static void Trained(BatchNormBase norm, int seed)
    {
        var g = new Generator((ulong)seed);
        var random = Tensor.RandU([norm.NumFeatures], g, 0.2f, 3f).Span;
        random.CopyTo(norm.RunningVar!.Span);
        Tensor.RandN([norm.NumFeatures], g).Span.CopyTo(norm.RunningMean!.Span);
        if (norm.Weight != null) Tensor.RandN([norm.NumFeatures], g, 1f, 0.5f).Span.CopyTo(norm.Weight.Span);
        if (norm.Bias != null) Tensor.RandN([norm.NumFeatures], g).Span.CopyTo(norm.Bias.Span);
    }

    /// <summary>The model's output recorded layer by layer (autograd on) and under NoGrad (folded).</summary>
    static (float[] Unfused, float[] Folded) Both(Sequential model, Tensor x)
    {
        var unfused = model.Forward(x).Span.ToArray();
        using (Autograd.NoGrad()) return (unfused, model.Forward(x).Span.ToArray());
    }

    static void Same(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"element {i}: folded {actual[i]:R}, layer by layer {expected[i]:R}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void BenchMlpInEvaluationMatchesTheLayers(int threads)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try
        {
            var model = Architectures.BenchMlp(new Generator(5));
            foreach (var norm in model.NamedModules().Select(p => p.Item2).OfType<BatchNormBase>()) Trained(norm, norm.NumFeatures);
            model.Eval();
            var (unfused, folded) = Both(model, Input(37, 784).Reshape(37, 1, 28, 28));
            Same(unfused, folded);
        }
        finally { Threads.Count = saved; }
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(true, false, true)]
    [InlineData(false, true, false)]
    [InlineData(true, true, false)]
    public void LinearBatchNormReluVariants(bool linearBias, bool affine, bool relu)
    {
        var norm = new BatchNorm1d(19, affine: affine);
        Trained(norm, 3);
        Module[] layers = relu ? [new Linear(23, 19, linearBias, new Generator(1)), norm, new ReLU(), new Linear(19, 4, generator: new Generator(2))]
            : [new Linear(23, 19, linearBias, new Generator(1)), norm, new Linear(19, 4, generator: new Generator(2))];
        var model = new Sequential(layers);
        model.Eval();
        var (unfused, folded) = Both(model, Input(9, 23));
        Same(unfused, folded);
    }

    [Fact]
    public void LinearReluAloneIsBitIdentical()
    {
        var model = new Sequential(new Linear(40, 33, generator: new Generator(1)), new ReLU(), new Linear(33, 3, generator: new Generator(2)));
        var (unfused, folded) = Both(model, Input(17, 40));
        Assert.Equal(unfused, folded);
        Assert.Contains(folded, v => v != 0f);
    }

    [Fact]
    public void BatchNormInTrainingModeIsNotFoldedAndStillUpdatesItsStatistics()
    {
        var norm = new BatchNorm1d(8);
        var model = new Sequential(new Linear(5, 8, generator: new Generator(1)), norm, new ReLU());
        var x = Input(6, 5);
        var before = norm.RunningMean!.Span.ToArray();
        float[] noGrad;
        using (Autograd.NoGrad()) noGrad = model.Forward(x).Span.ToArray();
        Assert.Equal(1f, norm.NumBatchesTracked!.Span[0]);
        Assert.NotEqual(before, norm.RunningMean.Span.ToArray());
        // Batch statistics normalize: every column of the output has some zeros and some positives.
        Assert.Contains(noGrad, v => v == 0f);
        Assert.Contains(noGrad, v => v > 0f);
    }

    [Fact]
    public void BatchNormWithoutRunningStatisticsIsNotFolded()
    {
        var model = new Sequential(new Linear(5, 8, generator: new Generator(1)), new BatchNorm1d(8, trackRunningStats: false));
        model.Eval();
        var (unfused, folded) = Both(model, Input(6, 5));
        Assert.Equal(unfused, folded);
        // Normalized by the batch's own statistics: each column has mean ~0.
        for (int j = 0; j < 8; j++)
        {
            float sum = 0;
            for (int i = 0; i < 6; i++) sum += folded[i * 8 + j];
            Assert.True(Math.Abs(sum) < 1e-4f, $"column {j} sums to {sum}");
        }
    }

    [Fact]
    public void ThreeDimensionalInputIsNotFolded()
    {
        // BatchNorm1d on [N, L, C] normalizes dim 1 (L), not the linear layer's outputs: not the same computation.
        var norm = new BatchNorm1d(4);
        Trained(norm, 9);
        var model = new Sequential(new Linear(6, 5, generator: new Generator(1)), norm, new ReLU());
        model.Eval();
        var (unfused, folded) = Both(model, Tensor.RandN([3, 4, 6], new Generator(2)));
        Assert.Equal(unfused, folded);
    }

    [Fact]
    public void MismatchedBatchNormStillReportsItsError()
    {
        var model = new Sequential(new Linear(6, 5, generator: new Generator(1)), new BatchNorm1d(7));
        model.Eval();
        using (Autograd.NoGrad())
        {
            var error = Assert.Throws<ArgumentException>(() => model.Forward(Input(3, 6)));
            Assert.Contains("BatchNorm1d", error.Message);
            Assert.Contains("7", error.Message);
        }
    }
}
