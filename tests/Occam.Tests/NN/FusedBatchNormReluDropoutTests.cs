using Occam.NN;
using Xunit;

namespace Occam.Tests.NN;

/// <summary>In training Sequential runs BatchNorm → ReLU → Dropout as one fused op, the mask drawn in the same pass
/// and read back from the output in backward. It must give exactly what the three layers give one after the other
/// with the same generator: the same output (the same mask), input gradient, γ/β gradients and running statistics,
/// for [N, C], [N, C, L] and [N, C, H, W] inputs of odd sizes, at 1 and 2 threads, and the generator must be left
/// where the separate dropout leaves it.</summary>
[Collection(nameof(ThreadsCollection))]
public class FusedBatchNormReluDropoutTests
{
    static Tensor Random(int seed, params int[] shape) => Tensor.RandN(shape, new Generator((ulong)seed));

    sealed record Result(NormOutcome Norm, ulong NextDraw);

    static Result Run(int[] shape, float p, bool fused, bool normEval = false)
    {
        BatchNormBase norm = shape.Length == 4 ? new BatchNorm2d(shape[1]) : new BatchNorm1d(shape[1]);
        using (Autograd.NoGrad())
        {
            norm.Weight!.CopyFrom(Random(3, shape[1]));
            norm.Bias!.CopyFrom(Random(4, shape[1]));
            if (normEval)
            {
                norm.RunningMean!.CopyFrom(Random(5, shape[1]));
                norm.RunningVar!.CopyFrom(Random(6, shape[1]).Abs() + 0.5f);
                norm.Eval(); // a frozen batch norm (fine-tuning, MC dropout) before a dropout that still samples
            }
        }
        var generator = new Generator(9);
        var dropout = new Dropout(p, generator);
        var input = Random(1, shape);
        input.RequiresGrad = true;
        var y = fused ? new Sequential(norm, new ReLU(), dropout).Forward(input) : dropout.Forward(norm.Forward(input).Relu());
        var output = y.Span.ToArray();
        (y * Random(2, shape)).Sum().Backward();
        return new Result(NormOutcome.Of(output, input, norm), generator.NextUInt64());
    }

    public static TheoryData<int[], float, int> Cases() => new()
    {
        { [7, 5], 0.3f, 1 }, { [37, 19], 0.5f, 2 }, { [128, 512], 0.3f, 2 }, { [128, 512], 0.3f, 1 }, { [150, 120], 0.4f, 2 }, { [150, 120], 0.4f, 3 }, { [6, 4, 9], 0.25f, 2 },
        { [3, 4, 5, 7], 0.1f, 1 }, { [16, 8, 17, 19], 0.6f, 2 },
    };

    [Theory, MemberData(nameof(Cases))]
    public void FusedEqualsTheThreeLayers(int[] shape, float p, int threads)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try
        {
            var expected = Run(shape, p, fused: false);
            var actual = Run(shape, p, fused: true);
            NormOutcome.AssertSame(expected.Norm, actual.Norm);
            Assert.Equal(expected.NextDraw, actual.NextDraw);
            // Some outputs dropped or cut by the ReLU, some kept and scaled.
            Assert.Contains(actual.Norm.Y, v => v == 0);
            Assert.Contains(actual.Norm.Y, v => v > 0);
        }
        finally { Threads.Count = saved; }
    }

    [Theory, MemberData(nameof(Cases))]
    public void FusedEqualsTheThreeLayersWithTheNormInEvaluation(int[] shape, float p, int threads)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try
        {
            var expected = Run(shape, p, fused: false, normEval: true);
            var actual = Run(shape, p, fused: true, normEval: true);
            NormOutcome.AssertSame(expected.Norm, actual.Norm);
            Assert.Equal(expected.NextDraw, actual.NextDraw);
            Assert.Contains(actual.Norm.Y, v => v == 0);
            Assert.Contains(actual.Norm.Y, v => v > 0);
        }
        finally { Threads.Count = saved; }
    }

    [Fact]
    public void KeepsAboutOneMinusPOfThePositiveOutputs()
    {
        // Fixed seed: of the elements the ReLU passes (about half), dropout keeps 1 − p; binomial, 4.5 standard deviations.
        var norm = new BatchNorm1d(256);
        var x = Random(5, 256, 256);
        var plain = norm.Forward(x).Relu().Span.ToArray();
        var fused = new Sequential(new BatchNorm1d(256), new ReLU(), new Dropout(0.3f, new Generator(4))).Forward(x).Span.ToArray();
        int passed = 0, kept = 0;
        for (int i = 0; i < plain.Length; i++)
        {
            if (plain[i] <= 0) { Assert.Equal(0f, fused[i]); continue; }
            passed++;
            if (fused[i] != 0) { kept++; Assert.Equal(plain[i] / 0.7f, fused[i], 1e-5f * (1 + fused[i])); }
        }
        double expected = 0.7 * passed, sd = Math.Sqrt(passed * 0.7 * 0.3);
        Assert.True(Math.Abs(kept - expected) < 4.5 * sd, $"kept {kept} of {passed}, expected {expected:0} ± {sd:0}");
    }

    [Fact]
    public void InEvaluationDropoutIsTheIdentity()
    {
        var norm = new BatchNorm1d(6);
        var model = new Sequential(norm, new ReLU(), new Dropout(0.5f, new Generator(1)));
        model.Eval();
        var x = Random(3, 5, 6);
        Assert.Equal(norm.Forward(x).Relu().Span.ToArray(), model.Forward(x).Span.ToArray());
    }
}
