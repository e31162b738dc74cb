using Occam.Studies;

namespace Occam.Tests.Studies;

[Collection(nameof(ThreadsCollection))]
public class DoubleDescentTests
{
    static Tensor Random(int rows, int cols, ulong seed) => Tensor.RandN([rows, cols], new Generator(seed));

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void LabelNoiseMakesAFractionPOfTheLabelsWrong(double p)
    {
        // Nakkiran et al. 2019: with probability p a label becomes a uniformly random incorrect class. Drawing from all
        // ten classes would leave only 0.9·p wrong (0.18 at p = 0.2, 5 SE below).
        const int n = 40_000;
        var clean = Enumerable.Range(0, n).Select(i => (float)(i % 10)).ToArray();
        var noisy = DoubleDescent.NoisyLabels((float[])clean.Clone(), p, new Generator(7));
        int changed = Enumerable.Range(0, n).Count(i => noisy[i] != clean[i]);
        double se = Math.Sqrt(Math.Max(p * (1 - p), 1e-12) / n);
        Assert.InRange(changed / (double)n, p - 4 * se, p + 4 * se);
        if (p == 0) Assert.Equal(clean, noisy);
        if (p == 1) Assert.Equal(n, changed);
        Assert.All(noisy, y => Assert.True(y >= 0 && y <= 9 && y == MathF.Floor(y), $"label {y}"));
        if (p < 0.5) return;
        // the wrong labels spread evenly over the nine other classes: each (true, noisy) pair about changed / 90 times
        var pairs = Enumerable.Range(0, n).Where(i => noisy[i] != clean[i]).GroupBy(i => (clean[i], noisy[i])).ToList();
        Assert.Equal(90, pairs.Count);
        double expected = changed / 90.0;
        Assert.All(pairs, g => Assert.InRange(g.Count(), expected - 5 * Math.Sqrt(expected), expected + 5 * Math.Sqrt(expected)));
    }

    static double[,] Product(Tensor a, Tensor b)
    {
        int n = a.Dim(0), k = a.Dim(1), m = b.Dim(1);
        var r = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int t = 0; t < k; t++) s += (double)a[i, t] * b[t, j];
                r[i, j] = s;
            }
        return r;
    }

    [Fact]
    public void OverdeterminedSolveMatchesTheNormalEquations()
    {
        // p < n: the least-squares β makes the residual orthogonal to every column of Φ.
        var phi = Random(40, 6, 1);
        var y = Random(40, 3, 2);
        var (beta, _) = DoubleDescent.MinNormLeastSquares(phi, y);
        var fit = Product(phi, beta);
        for (int j = 0; j < 6; j++)
            for (int c = 0; c < 3; c++)
            {
                double dot = 0;
                for (int i = 0; i < 40; i++) dot += phi[i, j] * (y[i, c] - fit[i, c]);
                Assert.True(Math.Abs(dot) < 1e-3, $"Φᵀ(Y − Φβ)[{j},{c}] = {dot}");
            }
    }

    [Fact]
    public void UnderdeterminedSolveInterpolatesWithTheMinimumNorm()
    {
        // p > n: Φβ = Y exactly, and β lies in the row space of Φ (orthogonal to its null space) — the minimum-norm solution.
        var phi = Random(5, 12, 3);
        var y = Random(5, 2, 4);
        var (beta, _) = DoubleDescent.MinNormLeastSquares(phi, y);
        var fit = Product(phi, beta);
        for (int i = 0; i < 5; i++)
            for (int c = 0; c < 2; c++) Assert.Equal(y[i, c], fit[i, c], 3);
        // Any other solution β + z with Φz = 0 has a larger norm: check β ⟂ z for a null-space vector z built by projection.
        var g = new Generator(5);
        var z = Tensor.RandN([12, 1], g);
        var (zRow, _) = DoubleDescent.MinNormLeastSquares(phi, Tensor.FromArray(Product(phi, z).Cast<double>().Select(v => (float)v).ToArray(), 5, 1));
        var nullVector = z.ToArray().Zip(zRow.ToArray(), (a, b) => (double)a - b).ToArray();  // z minus its row-space part
        for (int c = 0; c < 2; c++)
        {
            double dot = 0;
            for (int j = 0; j < 12; j++) dot += beta[j, c] * nullVector[j];
            Assert.True(Math.Abs(dot) < 1e-3, $"βᵀz = {dot}");
        }
    }

    [Fact]
    public void SquareSystemMatchesTheDirectSolution()
    {
        // p = n, well conditioned: the unique solution of Φβ = Y (checked against a 2×2 solved by hand).
        var phi = Tensor.FromArray([2f, 1f, 1f, 3f], 2, 2);
        var y = Tensor.FromArray([3f, 5f], 2, 1);
        var (beta, _) = DoubleDescent.MinNormLeastSquares(phi, y);
        Assert.Equal(0.8, beta[0, 0], 4);   // 2x + y = 3, x + 3y = 5 → x = 0.8, y = 1.4
        Assert.Equal(1.4, beta[1, 0], 4);
    }

    [Fact]
    public void AnIllConditionedSquareSystemIsStillInterpolated()
    {
        // p = n = 80 with column scales from 1 down to 1e-4 (a condition number near 10⁶): the solve must still fit Y,
        // which a float Gram matrix with a 1e-8 ridge did not (it lost the small directions).
        int n = 80;
        var g = new Generator(11);
        var a = Tensor.RandN([n, n], g).ToArray();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i * n + j] *= MathF.Pow(10f, -4f * j / (n - 1));
        var phi = Tensor.FromArray(a, n, n);
        var y = Tensor.RandN([n, 3], g);
        var (beta, lambda) = DoubleDescent.MinNormLeastSquares(phi, y);
        var fit = Product(phi, beta);
        double residual = 0, total = 0;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++) { residual += Math.Pow(y[i, c] - fit[i, c], 2); total += Math.Pow(y[i, c], 2); }
        Assert.True(residual / total < 1e-4, $"relative residual {residual / total:G3} with λ {lambda:G3}");
    }

    [Fact]
    public void FeatureGridRejectsAGridThatCannotCrossTheThreshold()
    {
        Assert.Contains("logPoints must be at least 2, got 1", Assert.Throws<ArgumentException>(() => DoubleDescent.FeatureGrid(1000, logPoints: 1)).Message);
        Assert.Contains("maxFactor must be above 1", Assert.Throws<ArgumentException>(() => DoubleDescent.FeatureGrid(1000, maxFactor: -5)).Message);
    }

    [Fact]
    public void FeatureGridSpansTheThresholdDensely()
    {
        var grid = DoubleDescent.FeatureGrid(1000);
        Assert.Equal(50, grid[0]);
        Assert.Equal(10000, grid[^1]);
        Assert.Contains(1000, grid);
        Assert.True(grid.Count(p => p >= 800 && p <= 1250) >= 7);
        Assert.Equal(grid.Order(), grid);
    }

    [Fact]
    public void RandomFeaturesPeakAtTheThresholdAndInterpolateBeyondIt()
    {
        int n = 100;
        var result = DoubleDescent.RandomFeatures(trainSize: n, testSize: 300, features: [10, 25, 50, 90, 100, 110, 200, 400, 1000], seed: 3);
        var peak = result.Points.MaxBy(p => p.TestError)!;
        Assert.InRange(peak.Features, 90, 110);
        Assert.True(peak.TestError > result.Points[0].TestError + 0.1, $"peak {peak.TestError} vs smallest model {result.Points[0].TestError}");
        Assert.True(peak.TestError > result.Points[^1].TestError + 0.1, $"peak {peak.TestError} vs largest model {result.Points[^1].TestError}");
        foreach (var p in result.Points.Where(p => p.Features >= 2 * n))
        {
            Assert.Equal(0, p.TrainError);
            Assert.True(p.TrainMse < 1e-3, $"train MSE {p.TrainMse} at p = {p.Features}");
        }
        Assert.Equal(n * 10, (int)result.ThresholdParameters); // p = n features of 10 outputs each, as each point's parameters
    }

    [Fact]
    public void RandomFeaturesSideBySideGiveWhatTheyGiveOneAfterAnother()
    {
        int[] features = [10, 40, 90, 100, 120, 300];
        DoubleDescentResult Run(int threads, List<int> reported) => ThreadCount.With(threads, () =>
            DoubleDescent.RandomFeatures(trainSize: 100, testSize: 200, features: features, seed: 5, progress: p => reported.Add(p.Features)));
        List<int> oneByOne = [], sideBySide = [];
        var one = Run(1, oneByOne);
        var two = Run(2, sideBySide);
        Assert.Equal(one.Points, two.Points); // records: every error and MSE bit for bit
        Assert.Equal(features, oneByOne);
        Assert.Equal(features, sideBySide); // progress in the grid's order even when a later size finishes first
    }
}
