using Occam.NN;

namespace Occam.Tests.NN.Regularization;

public class DropoutTests
{
    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.3f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void TrainingDropsAFractionPAndKeepsTheMean(float p)
    {
        var x = Tensor.Ones(100_000);
        var y = new Dropout(p, new Generator(7)).Forward(x).ToArray();
        double zeros = y.Count(v => v == 0) / (double)y.Length;
        double sd = Math.Sqrt(p * (1 - p) / y.Length);
        Assert.InRange(zeros, p - 5 * sd, p + 5 * sd);
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / (1 - p)) < 1e-5));
        Assert.InRange(y.Average(), 1 - 5 * sd / (1 - p), 1 + 5 * sd / (1 - p)); // E[y] = x
    }

    [Fact]
    public void EvalIsTheIdentity()
    {
        var x = Tensor.RandN([4, 5], new Generator(1));
        var d = new Dropout(0.5f, new Generator(2));
        d.Eval();
        Assert.Same(x, d.Forward(x));
    }

    [Fact]
    public void PZeroIsTheIdentityAndPOneGivesZeros()
    {
        var x = Tensor.RandN([4, 5], new Generator(1));
        Assert.Equal(x.ToArray(), new Dropout(0f).Forward(x).ToArray());
        Assert.All(new Dropout(1f).Forward(x).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void GradientFlowsOnlyThroughKeptUnitsWithTheSameScale()
    {
        var x = Tensor.RandN([50], new Generator(3));
        x.RequiresGrad = true;
        var y = new Dropout(0.4f, new Generator(4)).Forward(x);
        var yv = y.ToArray();
        var xv = x.ToArray();
        y.Sum().Backward();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < 50; i++) Assert.Equal(yv[i] == 0 ? 0f : 1f / 0.6f, g[i], 5);
        for (int i = 0; i < 50; i++) if (yv[i] != 0) Assert.Equal(xv[i] / 0.6f, yv[i], 5);
    }

    [Fact]
    public void SameSeedSameMask()
    {
        var x = Tensor.Ones(64);
        Assert.Equal(new Dropout(0.5f, new Generator(11)).Forward(x).ToArray(), new Dropout(0.5f, new Generator(11)).Forward(x).ToArray());
        Assert.NotEqual(new Dropout(0.5f, new Generator(11)).Forward(x).ToArray(), new Dropout(0.5f, new Generator(12)).Forward(x).ToArray());
    }
}

/// <summary>The counter-based mask: the same whatever the thread count, fresh for every call, and without
/// structure across lanes, vectors or parallel blocks (statistical checks with fixed seeds).</summary>
[Collection(nameof(ThreadsCollection))]
public class DropoutMaskTests
{
    static float[] Mask(int threads, int size, float p, Generator generator)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try { return Functional.Dropout(Tensor.Ones(size), p, training: true, generator).ToArray(); }
        finally { Threads.Count = saved; }
    }

    [Fact]
    public void VectorAndScalarStepsDrawTheDocumentedCounterStream()
    {
        // 16,384 + 37 elements: one full parallel block of vector steps, then vector steps and a scalar tail
        const int size = 16384 + 37;
        const float p = 0.4f;
        ulong key = new Generator(31).NextUInt64();
        var (mask, x, y) = (new float[size], Enumerable.Repeat(2f, size).ToArray(), new float[size]);
        Occam.Kernels.RandomKernels.DropoutMask(mask, x, y, p, new Generator(31));
        for (int i = 0; i < size; i++)
        {
            float expected = Occam.Kernels.RandomKernels.CounterUniform(key, i) >= p ? 1f / (1f - p) : 0f;
            Assert.Equal(expected, mask[i]);
            Assert.Equal(2f * expected, y[i]);
        }
    }

    [Fact]
    public void TheMaskDoesNotDependOnTheThreadCount()
    {
        const int size = 100_003; // seven parallel blocks and a scalar tail
        Assert.Equal(Mask(1, size, 0.3f, new Generator(21)), Mask(2, size, 0.3f, new Generator(21)));
    }

    [Fact]
    public void SuccessiveCallsDrawNewMasks()
    {
        var generator = new Generator(22);
        var first = Mask(2, 4096, 0.5f, generator);
        var second = Mask(2, 4096, 0.5f, generator);
        double same = first.Zip(second).Count(t => (t.First == 0) == (t.Second == 0)) / 4096.0;
        Assert.InRange(same, 0.5 - 5 * Math.Sqrt(0.25 / 4096), 0.5 + 5 * Math.Sqrt(0.25 / 4096));
    }

    [Theory]
    [InlineData(0.2f)]
    [InlineData(0.5f)]
    public void KeptUnitsAreIndependentAcrossLanesVectorsAndBlocks(float p)
    {
        const int size = 1 << 20;
        var y = Mask(2, size, p, new Generator(23));
        double q = 1 - p;
        // every 16,384-element block (one parallel task) keeps a fraction 1 − p
        for (int b = 0; b < size / 16384; b++)
        {
            double kept = y.AsSpan(b * 16384, 16384).ToArray().Count(v => v != 0) / 16384.0;
            double sd = Math.Sqrt(p * q / 16384);
            Assert.InRange(kept, q - 5 * sd, q + 5 * sd);
        }
        // pairs at lags 1 (neighbouring lanes), 8 (the two halves of a vector), 16 (next vector) and 16,384 (next block)
        foreach (int lag in new[] { 1, 8, 16, 16384 })
        {
            int pairs = size - lag, both = 0;
            for (int i = 0; i < pairs; i++) if (y[i] != 0 && y[i + lag] != 0) both++;
            double sd = Math.Sqrt(q * q * (1 - q * q) / pairs) * 2; // neighbouring pairs overlap: a generous bound
            Assert.InRange(both / (double)pairs, q * q - 5 * sd, q * q + 5 * sd);
        }
    }
}
