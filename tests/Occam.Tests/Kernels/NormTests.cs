using Occam.Kernels;

namespace Occam.Tests.Kernels;

/// <summary>Norm kernels against a naive double-precision reference over odd sizes (vector bodies and remainders).</summary>
public class NormTests
{
    static float[] Random(int n, ulong seed, float mean = 0.5f, float std = 2f) => Tensor.RandN([n], new Generator(seed), mean, std).ToArray();

    static void Near(double expected, double actual, double tol, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    public static TheoryData<int, int, int> Layouts() => new()
    {
        { 1, 1, 2 }, { 3, 1, 1 }, { 2, 3, 1 }, { 7, 5, 1 }, { 130, 3, 1 }, { 5, 17, 1 }, { 2, 3, 7 }, { 3, 2, 33 }, { 1, 4, 1031 }, { 4, 3, 15 },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void ChannelMomentsMatchTheReference(int outer, int channels, int inner)
    {
        var x = Random(outer * channels * inner, 1);
        var mean = new float[channels];
        var variance = new float[channels];
        Norm.ChannelMoments(x, outer, channels, inner, mean, variance);
        for (int c = 0; c < channels; c++)
        {
            var v = Enumerable.Range(0, outer).SelectMany(o => Enumerable.Range(0, inner).Select(i => (double)x[(o * channels + c) * inner + i])).ToArray();
            double m = v.Average();
            Near(m, mean[c], 1e-6, $"mean[{c}]");
            Near(v.Average(e => (e - m) * (e - m)), variance[c], 1e-5, $"variance[{c}]");
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void ChannelScaleShiftAndBackwardMatchTheReference(int outer, int channels, int inner)
    {
        int size = outer * channels * inner;
        var x = Random(size, 2);
        var g = Random(size, 3);
        foreach (bool perOuter in new[] { false, true })
        {
            int k = perOuter ? outer * channels : channels;
            var a = Random(k, 4); var b = Random(k, 5); var c = Random(k, 6);
            int Coef(int i) => perOuter ? i / inner : i / inner % channels;

            var y = new float[size];
            Norm.ChannelScaleShift(x, y, outer, channels, inner, a, b);
            for (int i = 0; i < size; i++) Near((double)x[i] * a[Coef(i)] + b[Coef(i)], y[i], 1e-5, $"y[{i}]");

            var dx = Random(size, 7);
            var before = (float[])dx.Clone();
            Norm.ChannelAccumulateLinear(g, x, dx, outer, channels, inner, a, b, c);
            for (int i = 0; i < size; i++)
                Near(before[i] + (double)a[Coef(i)] * g[i] + (double)b[Coef(i)] * x[i] + c[Coef(i)], dx[i], 1e-5, $"dx[{i}]");

            var sumG = new double[k];
            var sumGX = new double[k];
            Norm.ChannelGradSums(g, x, outer, channels, inner, sumG, sumGX);
            var refG = new double[k];
            var refGX = new double[k];
            for (int i = 0; i < size; i++) { refG[Coef(i)] += g[i]; refGX[Coef(i)] += (double)g[i] * x[i]; }
            for (int j = 0; j < k; j++)
            {
                Near(refG[j], sumG[j], 1e-5, $"sumG[{j}]");
                Near(refGX[j], sumGX[j], 1e-5, $"sumGX[{j}]");
            }
        }
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(3, 7)]
    [InlineData(2, 17)]
    [InlineData(5, 33)]
    [InlineData(131, 9)]
    [InlineData(2, 1025)]
    public void RowKernelsMatchTheReference(int rows, int length)
    {
        var x = Random(rows * length, 8);
        var g = Random(rows * length, 9);
        var gamma = Random(length, 10, 1f, 0.5f);
        var beta = Random(length, 11);
        var mean = new float[rows];
        var variance = new float[rows];
        var meanSquare = new float[rows];
        Norm.RowMoments(x, rows, length, mean, variance);
        Norm.RowMeanSquares(x, rows, length, meanSquare);
        foreach (bool centered in new[] { true, false })
        {
            var rstd = new float[rows];
            for (int r = 0; r < rows; r++) rstd[r] = 1f / MathF.Sqrt((centered ? variance[r] : meanSquare[r]) + 1e-5f);
            var mu = centered ? mean : [];
            var y = new float[x.Length];
            Norm.RowNormalize(x, y, rows, length, mu, rstd, gamma, centered ? beta : []);
            var dx = new float[x.Length];
            var dGamma = new double[length];
            var dBeta = new double[length];
            Norm.RowNormalizeBackward(g, x, rows, length, mu, rstd, gamma, dx, dGamma, dBeta);

            var refGamma = new double[length];
            var refBeta = new double[length];
            for (int r = 0; r < rows; r++)
            {
                var xr = x.Skip(r * length).Take(length).Select(v => (double)v).ToArray();
                var gr = g.Skip(r * length).Take(length).Select(v => (double)v).ToArray();
                double m = centered ? xr.Average() : 0;
                double s = 1 / Math.Sqrt(xr.Average(v => (v - m) * (v - m)) + 1e-5);
                if (centered) Near(m, mean[r], 1e-6, $"mean[{r}]");
                Near(1 / s, 1 / rstd[r], 1e-5, $"1/rstd[{r}]");
                var xh = xr.Select(v => (v - m) * s).ToArray();
                var gh = gr.Select((v, j) => v * gamma[j]).ToArray();
                double mg = centered ? gh.Average() : 0, mgx = gh.Select((v, j) => v * xh[j]).Average();
                for (int j = 0; j < length; j++)
                {
                    int i = r * length + j;
                    Near(xh[j] * gamma[j] + (centered ? beta[j] : 0), y[i], 1e-4, $"y[{i}]");
                    Near(s * (gh[j] - mg - xh[j] * mgx), dx[i], 1e-4, $"dx[{i}]");
                    refGamma[j] += gr[j] * xh[j];
                    refBeta[j] += gr[j];
                }
            }
            for (int j = 0; j < length; j++)
            {
                Near(refGamma[j], dGamma[j], 1e-4, $"dGamma[{j}]");
                Near(refBeta[j], dBeta[j], 1e-5, $"dBeta[{j}]");
            }
        }
    }

    [Fact]
    public void SumsAreAccurateOverMillionsOfElements()
    {
        var x = new float[3_000_001];
        Array.Fill(x, 0.1f);
        Near(3_000_001 * (double)0.1f, Norm.Sum(x), 1e-9, "sum");
        Near(3_000_001 * (double)(0.1f * 0.1f), Norm.Dot(x, x), 1e-9, "dot"); // each product rounds to float
        Near(0, Norm.SumSquaredDeviation(x, 0.1f), 1e-9, "deviation");
    }

    [Fact]
    public void MismatchedLayoutsThrow()
    {
        Assert.Throws<ArgumentException>(() => Norm.ChannelMoments(new float[10], 2, 3, 2, new float[3], new float[3]));
        Assert.Throws<ArgumentException>(() => Norm.ChannelScaleShift(new float[12], new float[12], 2, 3, 2, new float[4], new float[4]));
        Assert.Throws<ArgumentException>(() => Norm.RowNormalize(new float[12], new float[12], 3, 4, [], new float[3], new float[3], []));
    }
}
