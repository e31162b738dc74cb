using Occam.NN;
using Xunit;

namespace Occam.Tests.NN.Normalization;

/// <summary>Batch norm of [N, C] runs split by columns across threads (each thread the columns the product before it
/// wrote): against a double-precision reference in training and evaluation, forward, backward and running
/// statistics, at sizes whose columns do not split evenly into 32-wide panels; and bit-identical at 1, 2 and 3 threads.</summary>
[Collection(nameof(ThreadsCollection))]
public class BatchNormColumnsTests
{
    sealed record Result(float[] Y, float[] Dx, float[] Dw, float[] Db, float[] Mean, float[] Var);

    static Result Run(int n, int c, bool training, int threads)
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
            return new Result(output, x.Grad!.Span.ToArray(), norm.Weight!.Grad!.Span.ToArray(), norm.Bias!.Grad!.Span.ToArray(),
                norm.RunningMean!.Span.ToArray(), norm.RunningVar!.Span.ToArray());
        }
        finally { Threads.Count = saved; }
    }

    static void Near(double expected, float actual, string what)
    {
        if (Math.Abs(expected - actual) > 2e-4 * (1 + Math.Abs(expected)))
            Assert.Fail($"{what}: {actual}, expected {expected}");
    }

    [Theory]
    [InlineData(130, 257, true)]
    [InlineData(128, 512, true)]
    [InlineData(130, 257, false)]
    public void MatchesTheDoubleReference(int n, int c, bool training)
    {
        var result = Run(n, c, training, threads: 2);
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
            var other = Run(131, 300, training, threads);
            Assert.Equal(one.Y, other.Y);
            Assert.Equal(one.Dx, other.Dx);
            Assert.Equal(one.Dw, other.Dw);
            Assert.Equal(one.Db, other.Db);
            Assert.Equal(one.Mean, other.Mean);
            Assert.Equal(one.Var, other.Var);
        }
    }
}
