using Occam.NN;
using Occam.Training;
using Xunit;

namespace Occam.Tests.NN;

/// <summary>Sequential runs BatchNorm2d → ReLU → MaxPool2d(2) as one fused op; it must give what the three layers give
/// one after the other, bit for bit: the pooled output, the running statistics, and the input, γ and β gradients, in
/// training and evaluation, with and without a graph. Sizes: odd planes (the last row and column are not pooled, yet
/// count in the statistics and get a gradient through them), vector remainders, the smallest plane, and a batch large
/// enough to split over the threads.</summary>
public class FusedBatchNormReluMaxPoolTests
{
    static Tensor Random(int seed, params int[] shape) => Tensor.RandN(shape, new Generator((ulong)seed));

    static BatchNorm2d Make(int channels, bool training, bool affine)
    {
        var norm = new BatchNorm2d(channels, affine: affine);
        using (Autograd.NoGrad())
        {
            if (affine)
            {
                norm.Weight!.CopyFrom(Random(3, channels));
                norm.Bias!.CopyFrom(Random(4, channels));
            }
            norm.RunningMean!.CopyFrom(Random(5, channels));
            norm.RunningVar!.CopyFrom(Random(6, channels).Abs() + 0.5f);
        }
        if (!training) norm.Eval();
        return norm;
    }

    public static TheoryData<int[], bool, bool> Cases() => new()
    {
        { [3, 4, 5, 7], true, true }, { [3, 4, 5, 7], false, true }, { [2, 3, 17, 19], true, true }, { [2, 3, 17, 19], false, false },
        { [4, 2, 2, 2], true, true }, { [5, 3, 2, 3], false, true }, { [16, 8, 24, 24], true, true }, { [16, 8, 24, 24], false, true },
        { [6, 5, 29, 31], false, true },
    };

    [Theory, MemberData(nameof(Cases))]
    public void FusedEqualsTheThreeLayersBitForBit(int[] shape, bool training, bool affine)
    {
        var x = Random(1, shape);
        var unfused = Make(shape[1], training, affine);
        var fused = Make(shape[1], training, affine);
        Tensor expected, actual;
        using (Autograd.NoGrad())
        {
            expected = Functional.MaxPool2d(unfused.Forward(x).Relu(), 2);
            actual = new Sequential(fused, new ReLU(), new MaxPool2d(2)).Forward(x);
        }
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Span.ToArray(), actual.Span.ToArray());
        Assert.Equal(unfused.RunningMean!.Span.ToArray(), fused.RunningMean!.Span.ToArray());
        Assert.Equal(unfused.RunningVar!.Span.ToArray(), fused.RunningVar!.Span.ToArray());
        Assert.Equal(unfused.NumBatchesTracked!.Span.ToArray(), fused.NumBatchesTracked!.Span.ToArray());
        Assert.Contains(actual.Span.ToArray(), v => v == 0);
        Assert.Contains(actual.Span.ToArray(), v => v > 0);
    }

    // intermediate: the layers' input is an op's output, as after a convolution (its gradient is then written, not
    // added to); otherwise a leaf, whose gradient is added to.
    static NormOutcome Run(BatchNorm2d norm, Tensor x, Tensor upstream, bool fused, bool intermediate)
    {
        var input = x.Clone();
        input.RequiresGrad = true;
        var h = intermediate ? input * 1f : input;
        var y = fused ? new Sequential(norm, new ReLU(), new MaxPool2d(2)).Forward(h) : Functional.MaxPool2d(norm.Forward(h).Relu(), 2);
        Assert.Equal(fused ? "BatchNorm+Relu+MaxPool" : "MaxPool2d", y.GradFn!.Op);
        var yArray = y.Span.ToArray();
        (y * upstream).Sum().Backward();
        return NormOutcome.Of(yArray, input, norm);
    }

    public static TheoryData<int[], bool, bool, bool> GradientCases() => new()
    {
        { [3, 4, 5, 7], true, true, false }, { [3, 4, 5, 7], true, true, true }, { [3, 4, 5, 7], false, true, true },
        { [2, 3, 17, 19], true, true, true }, { [2, 3, 17, 19], true, false, false }, { [4, 2, 2, 2], true, true, true },
        { [5, 3, 2, 3], false, true, false }, { [16, 8, 24, 24], true, true, true }, { [16, 8, 24, 24], false, true, false },
        { [6, 5, 29, 31], true, true, true },
        // rows of 4 to 7 windows (backward's 4-lane path, its last group overlapping) and of 8 + 1
        { [3, 4, 12, 13], true, true, true }, { [2, 3, 9, 8], true, true, false }, { [4, 6, 14, 14], true, true, true }, { [2, 2, 6, 18], false, true, true },
    };

    [Theory, MemberData(nameof(GradientCases))]
    public void FusedGradientsEqualTheThreeLayersBitForBit(int[] shape, bool training, bool affine, bool intermediate)
    {
        var x = Random(1, shape);
        var upstream = Random(2, shape[0], shape[1], shape[2] / 2, shape[3] / 2);
        var expected = Run(Make(shape[1], training, affine), x, upstream, fused: false, intermediate);
        var actual = Run(Make(shape[1], training, affine), x, upstream, fused: true, intermediate);
        NormOutcome.AssertSame(expected, actual);
        Assert.Contains(actual.Dx, v => v != 0);
        if (affine) Assert.Contains(actual.Dw, v => v != 0);
    }

    // In evaluation the fused op is a pool of relu(x·scale + shift): distinct inputs 0.05 apart, none within 0.025 of
    // the ReLU's kink, so the check's steps of 0.01 change no window's argmax. (Training mode is covered by equality
    // with the three layers, each gradient-checked and fixture-tested.)
    [Fact]
    public void FusedPathPassesGradientCheckInEvaluation()
    {
        var model = new Sequential(new BatchNorm2d(3), new ReLU(), new MaxPool2d(2));
        model.Eval();
        var perm = new Generator(91).Permutation(2 * 3 * 4 * 5);
        var x = Tensor.FromArray(perm.Select(p => (p - 59.5f) * 0.05f).ToArray(), 2, 3, 4, 5);
        Support.GradCheck.Check(t => model.Forward(t[0]), x);
    }

    [Fact]
    public void SequentialFusesOnlyAPoolOfTwoByTwoAndStrideTwo()
    {
        // A 3×3 pool, a stride-1 or a padded 2×2 pool go through the layers one by one: the result is the same.
        var x = Random(7, 2, 3, 9, 9);
        foreach (var pool in new[] { new MaxPool2d(3), new MaxPool2d(2, stride: 1), new MaxPool2d(2, padding: 1) })
        {
            var norm = Make(3, training: false, affine: true);
            using var _ = Autograd.NoGrad();
            var expected = Functional.MaxPool2d(norm.Forward(x).Relu(), pool.KernelSize, pool.Stride, pool.Padding);
            var actual = new Sequential(norm, new ReLU(), pool).Forward(x);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.Span.ToArray(), actual.Span.ToArray());
        }
    }

    [Fact]
    public void PredictOfTheCnnMatchesItsLayersOneByOne()
    {
        // The study CNN's two conv blocks both end in the fused op; Predict's output equals a layer-by-layer forward
        // (up to rounding: Predict also folds the dense layer's ReLU into its product).
        var model = Occam.Studies.Architectures.Cnn(new Generator(3), batchNorm: true);
        model.Eval();
        var x = Random(8, 5, 1, 28, 28);
        var expected = x;
        using (Autograd.NoGrad())
            for (int i = 0; i < model.Count; i++) expected = model[i].Forward(expected);
        var actual = model.Predict([x])[0].Span.ToArray();
        var want = expected.Span.ToArray();
        Assert.Equal(want.Length, actual.Length);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], actual[i], 1e-5f);
    }

    [Fact]
    public void BadInputIsReportedByTheLayer()
    {
        var model = new Sequential(new BatchNorm2d(3), new ReLU(), new MaxPool2d(2));
        using var _ = Autograd.NoGrad();
        var error = Assert.Throws<ArgumentException>(() => model.Forward(Random(1, 2, 4, 6, 6)));
        Assert.Contains("BatchNorm2d", error.Message);
        Assert.Contains("3 channels", error.Message);
    }
}
