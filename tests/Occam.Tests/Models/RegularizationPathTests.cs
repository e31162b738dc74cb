using Occam.Models;

namespace Occam.Tests.Models;

public class RegularizationPathTests
{
    // Three classes centred apart on features 0 and 1; features 2…5 are noise; deliberately unscaled (standardization).
    static (Tensor X, Tensor Y) Classes(int n, ulong seed, float spread = 1.5f)
    {
        var g = new Generator(seed);
        var labels = Enumerable.Range(0, n).Select(i => (float)(i % 3)).ToArray();
        var y = Tensor.FromArray(labels, n);
        var centres = Tensor.FromArray([spread, 0, 0, 0, 0, 0, 0, spread, 0, 0, 0, 0, -spread, -spread, 0, 0, 0, 0], 3, 6);
        var scale = Tensor.FromArray([1f, 10f, 0.1f, 1f, 5f, 1f], 1, 6);
        return ((Tensor.OneHot(y, 3).MatMul(centres) + Tensor.RandN([n, 6], g)) * scale, y);
    }

    // y = 3·x0 − 2·x1 + 0.5·x2 + 4 + noise, features 3 and 4 are noise.
    static (Tensor X, Tensor Y) Regression(int n, ulong seed)
    {
        var g = new Generator(seed);
        var x = Tensor.RandN([n, 5], g);
        var y = x.MatMul(Tensor.FromArray([3f, -2f, 0.5f, 0f, 0f], 5)) + 4f + Tensor.RandN([n], g, std: 0.5f);
        return (x, y);
    }

    [Fact]
    public void TheFirstLambdaZeroesEveryCoefficientAndTheNextDoesNot()
    {
        var (x, y) = Classes(300, 1);
        var (xv, yv) = Classes(150, 2);
        var result = new RegularizationPath(lambdas: 8).Fit(x, y, xv, yv);
        Assert.Equal(8, result.Points.Count);
        Assert.Equal(result.LambdaMax, result.Points[0].Lambda);
        Assert.Equal(0, result.Points[0].Nonzero);
        Assert.All(result.Points[0].Coefficients, w => Assert.Equal(0f, w));
        Assert.True(result.Points[1].Nonzero > 0);
        Assert.Equal((3, 6), (result.Outputs, result.Features));
        // The intercepts at λ_max are the log class frequencies (equal classes: equal intercepts).
        var b = result.Points[0].Intercept;
        Assert.True(b.Max() - b.Min() < 1e-3, string.Join(", ", b));
        Assert.True(result.Points[^1].ValidationMetric > 0.7, $"{result.Points[^1].ValidationMetric}");
    }

    [Theory]
    [InlineData(PathTask.Classification)]
    [InlineData(PathTask.Regression)]
    public void LambdaMaxIsTight(PathTask task)
    {
        var (x, y) = task == PathTask.Classification ? Classes(300, 3) : Regression(200, 3);
        var path = new RegularizationPath(task, tolerance: 1e-6);
        double lambdaMax = path.LambdaMax(x, y);
        var above = new RegularizationPath(task, grid: [lambdaMax], tolerance: 1e-6).Fit(x, y, x, y);
        var below = new RegularizationPath(task, grid: [lambdaMax * 0.97], tolerance: 1e-6).Fit(x, y, x, y);
        Assert.Equal(lambdaMax, above.LambdaMax, 12);
        Assert.Equal(0, above.Points[0].Nonzero);
        Assert.InRange(below.Points[0].Nonzero, 1, 2);  // the steepest coefficient (two tie in the three-class data)
    }

    [Fact]
    public void WarmStartsGiveTheColdFitAtTheSameLambda()
    {
        var (x, y) = Classes(300, 4);
        var path = new RegularizationPath(lambdas: 6, minRatio: 0.01, tolerance: 1e-6).Fit(x, y, x, y);
        var last = path.Points[^1];
        var cold = new RegularizationPath(grid: [last.Lambda], tolerance: 1e-6).Fit(x, y, x, y).Points[0];
        Assert.Equal(last.Nonzero, cold.Nonzero);
        for (int i = 0; i < last.Coefficients.Length; i++) Assert.Equal(cold.Coefficients[i], last.Coefficients[i], 2e-3f);
        for (int i = 0; i < last.Intercept.Length; i++) Assert.Equal(cold.Intercept[i], last.Intercept[i], 2e-3f);
        // both stop where no step lowers the float32 loss any more, a few 1e-6 apart (0.302322 and 0.302330 here)
        Assert.Equal(cold.TrainLoss, last.TrainLoss, 1e-5);
    }

    [Fact]
    public void LassoNonzerosGrowAsLambdaFallsAndRidgeHasNoExactZeros()
    {
        var (x, y) = Regression(300, 5);
        var (xv, yv) = Regression(100, 6);
        var lasso = new RegularizationPath(PathTask.Regression, lambdas: 10).Fit(x, y, xv, yv);
        for (int i = 1; i < lasso.Points.Count; i++) Assert.True(lasso.Points[i].Nonzero >= lasso.Points[i - 1].Nonzero);
        Assert.Equal(0, lasso.Points[0].Nonzero);
        Assert.Equal(5, lasso.Points[^1].Nonzero);
        Assert.True(lasso.Points[^1].ValidationR2 > 0.95, $"R² {lasso.Points[^1].ValidationR2}");

        var ridge = new RegularizationPath(PathTask.Regression, PathPenalty.L2, lambdas: 10).Fit(x, y, xv, yv);
        Assert.Equal(0.0, ridge.L1Ratio);
        Assert.Equal(1e-6, ridge.Points[^1].Lambda / ridge.Points[0].Lambda, 9);
        Assert.All(ridge.Points, p => Assert.Equal(5, p.Nonzero));
        Assert.True(ridge.Points[^1].ValidationR2 > 0.95);
        var classes = new RegularizationPath(penalty: PathPenalty.L2, lambdas: 5).Fit(Classes(200, 7).X, Classes(200, 7).Y, Classes(90, 8).X, Classes(90, 8).Y);
        Assert.All(classes.Points, p => Assert.Equal(18, p.Nonzero));
    }

    [Fact]
    public void RegressionSolutionsMeetGlmnetsOptimalityConditions()
    {
        // glmnet's objective RSS/(2n) + λ(α|w|₁ + (1 − α)/2|w|²) on the standardized features: where w ≠ 0,
        // (1/n)·xᵀ(y − ŷ) = λ(α·sign(w) + (1 − α)·w); where w = 0, |(1/n)·xᵀ(y − ŷ)| ≤ λα.
        var (x, y) = Regression(200, 9);
        var path = new RegularizationPath(PathTask.Regression, PathPenalty.ElasticNet, l1Ratio: 0.5, lambdas: 5, minRatio: 0.05, tolerance: 1e-7);
        var result = path.Fit(x, y, x, y);
        var xs = path.Features(x, x);
        var columnMeans = xs.Mean(0).ToArray();
        Assert.All(columnMeans, m => Assert.Equal(0f, m, 4));
        foreach (var p in result.Points)
        {
            var w = Tensor.FromArray(p.Coefficients, 5);
            var residual = (y - (xs.MatMul(w) + p.Intercept[0])).ToArray();
            var xa = xs.ToArray();
            for (int j = 0; j < 5; j++)
            {
                double g = 0;
                for (int i = 0; i < 200; i++) g += xa[i * 5 + j] * residual[i];
                g /= 200;
                double wj = p.Coefficients[j];
                if (wj != 0) Assert.Equal(p.Lambda * (0.5 * Math.Sign(wj) + 0.5 * wj), g, 3);
                else Assert.True(Math.Abs(g) <= p.Lambda * 0.5 + 1e-4, $"λ {p.Lambda}: |∇| {Math.Abs(g)} at a zero coefficient");
            }
            Assert.Equal(0, residual.Average(), 3);  // the intercept is fitted, unpenalized
        }
    }

    [Fact]
    public void PenaltiesMapOntoLinearModel()
    {
        var classification = new RegularizationPath(penalty: PathPenalty.ElasticNet, l1Ratio: 0.25);
        var (l1, l2) = classification.Penalties(0.4);
        Assert.Equal(0.1, l1, 12);    // λα
        Assert.Equal(0.15, l2, 12);   // λ(1 − α)/2
        var regression = new RegularizationPath(PathTask.Regression, PathPenalty.ElasticNet, l1Ratio: 0.25);
        (l1, l2) = regression.Penalties(0.4);  // doubled against the mean squared error
        Assert.Equal(0.2, l1, 12);
        Assert.Equal(0.3, l2, 12);
        Assert.Equal(1.0, new RegularizationPath(penalty: PathPenalty.L1).L1Ratio);
        Assert.Equal(0.5, new RegularizationPath(penalty: PathPenalty.ElasticNet).L1Ratio);
        // an l1Ratio the penalty would ignore is an error, not silently dropped
        Assert.Contains("l1Ratio applies to the elastic-net penalty only, got l1Ratio 0.3 with L1",
            Assert.Throws<ArgumentException>(() => new RegularizationPath(penalty: PathPenalty.L1, l1Ratio: 0.3)).Message);
    }

    [Fact]
    public void TheOneStandardErrorLambdaIsAtLeastTheBest()
    {
        var (x, y) = Classes(240, 10, spread: 0.8f);
        var (xv, yv) = Classes(120, 11, spread: 0.8f);
        var result = new RegularizationPath(lambdas: 12, minRatio: 1e-3).Fit(x, y, xv, yv);
        var best = result.Points[result.Best];
        var oneSe = result.Points[result.OneStandardError];
        Assert.True(oneSe.Lambda >= best.Lambda);
        Assert.True(oneSe.ValidationMetric >= best.ValidationMetric - best.ValidationStandardError);
        Assert.Equal(result.Points.Max(p => p.ValidationMetric), best.ValidationMetric);
        Assert.All(result.Points.Where(p => p.Lambda > oneSe.Lambda), p => Assert.True(p.ValidationMetric < best.ValidationMetric - best.ValidationStandardError));
        // The SE of an accuracy over m examples: √(acc(1 − acc)/(m − 1)).
        Assert.Equal(Math.Sqrt(best.ValidationMetric * (1 - best.ValidationMetric) / 119), best.ValidationStandardError, 9);
    }

    [Fact]
    public void BinaryLabelsFitOneOutput()
    {
        var (x, y) = Classes(300, 12);
        var binary = Tensor.FromArray(y.ToArray().Select(v => v == 2 ? 1f : 0f).ToArray(), 300);
        var result = new RegularizationPath(lambdas: 5, minRatio: 0.01).Fit(x, binary, x, binary);
        Assert.Equal(1, result.Outputs);
        Assert.Equal(6, result.Points[0].Coefficients.Length);
        Assert.True(result.Points[^1].TrainMetric > 0.8, $"{result.Points[^1].TrainMetric}");
    }

    [Fact]
    public void BadInputFailsWithOneClearMessage()
    {
        var (x, y) = Classes(60, 13);
        foreach (double bad in new[] { 0, -0.1, double.NaN, double.PositiveInfinity })
        {
            var e = Assert.Throws<ArgumentException>(() => new RegularizationPath(grid: [0.1, bad]));
            Assert.Contains("RegularizationPath", e.Message);
            Assert.Contains(bad.ToString(System.Globalization.CultureInfo.CurrentCulture), e.Message);
        }
        Assert.Contains("at least 2", Assert.Throws<ArgumentException>(() => new RegularizationPath(lambdas: 1)).Message);
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentException>(() => new RegularizationPath(penalty: PathPenalty.ElasticNet, l1Ratio: 0)).Message);
        Assert.Throws<ArgumentException>(() => new RegularizationPath(penalty: PathPenalty.ElasticNet, l1Ratio: 1.5));
        Assert.Throws<ArgumentException>(() => new RegularizationPath(minRatio: 1));
        Assert.Throws<ArgumentException>(() => new RegularizationPath(grid: []));
        var single = Assert.Throws<ArgumentException>(() => new RegularizationPath().Fit(x, Tensor.Full([60], 2f), x, y));
        Assert.Contains("single class", single.Message);
        Assert.Contains("class indices", Assert.Throws<ArgumentException>(() => new RegularizationPath().Fit(x, y + 0.5f, x, y)).Message);
        Assert.Throws<ArgumentException>(() => new RegularizationPath().Fit(x, y, Tensor.Ones(4, 5), Tensor.Zeros(4)));
        Assert.Contains("constant", Assert.Throws<ArgumentException>(() =>
            new RegularizationPath(PathTask.Regression).Fit(x, Tensor.Ones(60), x, Tensor.Ones(60))).Message);
        var nan = x.Clone();
        nan.Span[7] = float.NaN;
        Assert.Equal("RegularizationPath: training X holds NaN at row 1, column 1; fit on finite values",
            Assert.Throws<ArgumentException>(() => new RegularizationPath().Fit(nan, y, x, y)).Message);
        Assert.StartsWith("RegularizationPath: validation X holds NaN", Assert.Throws<ArgumentException>(() => new RegularizationPath().Fit(x, y, nan, y)).Message);
    }

    [Fact]
    public void ElasticNetLambdaMaxDividesByASmallL1RatioToo()
    {
        // λ_max = max|∇(0)|/α for any α > 0 (it used to floor α at 10⁻³, leaving coefficients nonzero at λ_max)
        var (x, y) = Regression(200, 3);
        var lasso = new RegularizationPath(PathTask.Regression).LambdaMax(x, y);
        var tiny = new RegularizationPath(PathTask.Regression, PathPenalty.ElasticNet, l1Ratio: 1e-4);
        Assert.Equal(lasso / 1e-4, tiny.LambdaMax(x, y), lasso * 1e-2);
        var path = new RegularizationPath(PathTask.Regression, PathPenalty.ElasticNet, l1Ratio: 1e-4, lambdas: 2, tolerance: 1e-6).Fit(x, y, x, y);
        Assert.Equal(0, path.Points[0].Nonzero);
    }

    [Fact]
    public void AConstantColumnStaysAtZeroWithoutStandardizing()
    {
        var (x, y) = Regression(120, 8);
        var withConstant = Tensor.Cat([x, Tensor.Full([120, 1], 3f)], 1);
        var ridge = new RegularizationPath(PathTask.Regression, PathPenalty.L2, standardize: false, lambdas: 3).Fit(withConstant, y, withConstant, y);
        Assert.All(ridge.Points, p => Assert.True(Math.Abs(p.Coefficients[^1]) < 1e-3, $"λ {p.Lambda}: constant column's coefficient {p.Coefficients[^1]}"));
    }
}
