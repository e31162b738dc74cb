using Occam.NN;
using Xunit;

namespace Occam.Tests.NN.Normalization;

/// <summary>Batch norm of [N, C] runs split by rows across threads, in blocks of 64 rows whose sums are combined in
/// order: against a double-precision reference in training and evaluation, forward, backward and running statistics,
/// at sizes whose rows do not split evenly into blocks (130 rows: 64, 64 and 2), at 1 thread and 2; and bit-identical
/// at 1, 2 and 3 threads.</summary>
[Collection(nameof(ThreadsCollection))]
public class BatchNormRowsTests
{
    static NormOutcome Run(int n, int c, bool training, int threads)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try
        {
            var norm = new BatchNorm1d(c);
            using (Autograd.NoGrad())
            {
                norm.Weight!.CopyFrom(Tensor.RandN([c], new Generator(3), 1f, 0.3f));
                norm.Bias!.CopyFrom(Tensor.RandN([c], new Generator(4)));
                norm.RunningMean!.CopyFrom(Tensor.RandN([c], new Generator(5)));
                norm.RunningVar!.CopyFrom(Tensor.RandU([c], new Generator(6), 0.5f, 2f));
            }
            if (!training) norm.Eval();
            var x = Tensor.RandN([n, c], new Generator(1), 0.5f, 2f);
            x.RequiresGrad = true;
            var y = norm.Forward(x);
            var output = y.Span.ToArray();
            (y * Tensor.RandN([n, c], new Generator(2))).Sum().Backward();
            return NormOutcome.Of(output, x, norm);
        }
        finally { Threads.Count = saved; }
    }

    static void Near(double expected, float actual, string what)
    {
        if (Math.Abs(expected - actual) > 2e-4 * (1 + Math.Abs(expected)))
            Assert.Fail($"{what}: {actual}, expected {expected}");
    }

    [Theory]
    [InlineData(130, 257, true, 2)]
    [InlineData(128, 512, true, 2)]
    [InlineData(130, 257, false, 2)]
    [InlineData(130, 257, true, 1)]
    [InlineData(40, 1100, true, 1)] // rows wider than the sums' 1024-column buffer
    [InlineData(150, 1100, true, 2)]
    public void MatchesTheDoubleReference(int n, int c, bool training, int threads)
    {
        var result = Run(n, c, training, threads);
        var x = Tensor.RandN([n, c], new Generator(1), 0.5f, 2f).Span.ToArray();
        var u = Tensor.RandN([n, c], new Generator(2)).Span.ToArray();
        var gamma = Tensor.RandN([c], new Generator(3), 1f, 0.3f).Span.ToArray();
        var beta = Tensor.RandN([c], new Generator(4)).Span.ToArray();
        var runningMean = Tensor.RandN([c], new Generator(5)).Span.ToArray();
        var runningVar = Tensor.RandU([c], new Generator(6), 0.5f, 2f).Span.ToArray();
        for (int j = 0; j < c; j++)
        {
            double mean = 0, variance = 0;
            for (int i = 0; i < n; i++) mean += x[i * c + j];
            mean /= n;
            for (int i = 0; i < n; i++) variance += (x[i * c + j] - mean) * (x[i * c + j] - mean);
            variance /= n;
            if (!training) (mean, variance) = (runningMean[j], runningVar[j]);
            double r = 1 / Math.Sqrt(variance + 1e-5), sumU = 0, sumUXhat = 0;
            for (int i = 0; i < n; i++)
            {
                double xhat = (x[i * c + j] - mean) * r;
                Near(xhat * gamma[j] + beta[j], result.Y[i * c + j], $"y[{i},{j}]");
                sumU += u[i * c + j];
                sumUXhat += u[i * c + j] * xhat;
            }
            Near(sumUXhat, result.Dw[j], $"dγ[{j}]");
            Near(sumU, result.Db[j], $"dβ[{j}]");
            for (int i = 0; i < n; i++)
            {
                double xhat = (x[i * c + j] - mean) * r;
                double dx = training ? gamma[j] * r * (u[i * c + j] - sumU / n - xhat * sumUXhat / n) : gamma[j] * r * u[i * c + j];
                Near(dx, result.Dx[i * c + j], $"dx[{i},{j}]");
            }
            if (training)
            {
                Near(0.9 * runningMean[j] + 0.1 * mean, result.Mean[j], $"running_mean[{j}]");
                Near(0.9 * runningVar[j] + 0.1 * variance * n / (n - 1), result.Var[j], $"running_var[{j}]");
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BitIdenticalAtOneTwoAndThreeThreads(bool training)
    {
        var one = Run(131, 300, training, 1);
        foreach (int threads in new[] { 2, 3 })
        {
            NormOutcome.AssertSame(one, Run(131, 300, training, threads));
        }
    }

    /// <summary>γ, β and a linear layer's bias gradient add up over two backward passes without
    /// ZeroGrad, and start again from zero after it; at 2 threads, at a size that splits.</summary>
    [Fact]
    public void ParameterGradientsAccumulateAndRestartAfterZeroGrad()
    {
        int saved = Threads.Count;
        Threads.Count = 2;
        try
        {
            var model = new Sequential(new Linear(40, 257, generator: new Generator(1)), new BatchNorm1d(257), new ReLU());
            var x = Tensor.RandN([130, 40], new Generator(2));
            var u = Tensor.RandN([130, 257], new Generator(3));
            var linear = (Linear)model[0];
            var norm = (BatchNorm1d)model[1];
            float[][] Gradients() => [linear.Bias!.Grad!.Span.ToArray(), norm.Weight!.Grad!.Span.ToArray(), norm.Bias!.Grad!.Span.ToArray()];
            (model.Forward(x) * u).Sum().Backward();
            var once = Gradients();
            (model.Forward(x) * u).Sum().Backward();
            var twice = Gradients();
            new Occam.Optim.SGD(model.Parameters(), lr: 0.1).ZeroGrad();
            (model.Forward(x) * u).Sum().Backward();
            var again = Gradients();
            for (int p = 0; p < once.Length; p++)
            {
                Assert.Contains(once[p], v => v != 0);
                for (int i = 0; i < once[p].Length; i++)
                {
                    Assert.Equal(once[p][i], again[p][i], 1e-5f * (1 + Math.Abs(once[p][i])));
                    Assert.Equal(2 * once[p][i], twice[p][i], 1e-4f * (1 + Math.Abs(once[p][i])));
                }
            }
        }
        finally { Threads.Count = saved; }
    }

    [Fact]
    public void LinearBiasGradientIsTheColumnSumAtAnyThreadCount()
    {
        float[] Run(int threads)
        {
            int saved = Threads.Count;
            Threads.Count = threads;
            try
            {
                var w = Tensor.RandN([257, 33], new Generator(1));
                var b = Tensor.RandN([257], new Generator(2));
                b.RequiresGrad = true;
                (Functional.Linear(Tensor.RandN([131, 33], new Generator(3)), w, b) * Tensor.RandN([131, 257], new Generator(4))).Sum().Backward();
                return b.Grad!.Span.ToArray();
            }
            finally { Threads.Count = saved; }
        }
        var one = Run(1);
        var u = Tensor.RandN([131, 257], new Generator(4)).Span.ToArray();
        for (int j = 0; j < 257; j++)
        {
            double sum = 0;
            for (int i = 0; i < 131; i++) sum += u[i * 257 + j];
            Assert.Equal(sum, one[j], 1e-4);
        }
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }
}
