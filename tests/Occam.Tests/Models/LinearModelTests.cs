using Occam.Models;

namespace Occam.Tests.Models;

public class LinearModelTests
{
    static (Tensor X, Tensor Y) Regression(int n, float[] coefficients, float intercept, ulong seed, float noise = 0.1f)
    {
        var g = new Generator(seed);
        var x = Tensor.RandN([n, coefficients.Length], g);
        var y = x.MatMul(Tensor.FromArray(coefficients, coefficients.Length)) + intercept + Tensor.RandN([n], g, std: noise);
        return (x, y);
    }

    [Fact]
    public void RidgeMatchesTheClosedForm()
    {
        var (x, y) = Regression(200, [1.5f, -2f, 0.5f], 0f, 1);
        var model = new LinearRegression(l2: 0.1, fitIntercept: false).Fit(x, y);
        // (XᵀX/n + λI)·w = Xᵀy/n, solved in double.
        int n = 200, d = 3;
        var xa = x.ToArray(); var ya = y.ToArray();
        var a = new double[d, d + 1];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++) { double s = 0; for (int r = 0; r < n; r++) s += xa[r * d + i] * xa[r * d + j]; a[i, j] = s / n + (i == j ? 0.1 : 0); }
            double t = 0; for (int r = 0; r < n; r++) t += xa[r * d + i] * ya[r]; a[i, d] = t / n;
        }
        for (int c = 0; c < d; c++)
            for (int r = 0; r < d; r++)
                if (r != c) { double f = a[r, c] / a[c, c]; for (int k = c; k <= d; k++) a[r, k] -= f * a[c, k]; }
        var w = model.Coefficients.ToArray();
        for (int i = 0; i < d; i++) Assert.Equal(a[i, d] / a[i, i], w[i], 3);
        Assert.Equal([0f], model.Intercept.ToArray());
        Assert.True(model.Converged);
        Assert.False(new LinearRegression(l2: 0.1, maxIterations: 1).Fit(x, y).Converged);
    }

    [Fact]
    public void LassoGivesExactZerosAndSatisfiesTheOptimalityConditions()
    {
        var (x, y) = Regression(300, [1.5f, -2f, 0f, 2.5f, 0f], 0.7f, 2);
        var model = new LinearRegression(l1: 0.05).Fit(x, y);
        var w = model.Coefficients.ToArray();
        Assert.Equal(0f, w[2]);
        Assert.Equal(0f, w[4]);
        Assert.True(Math.Abs(w[0] - 1.5f) < 0.15 && Math.Abs(w[3] - 2.5f) < 0.15);
        Assert.Equal(0.7f, model.Intercept.Item(), 1);
        // KKT: at a zero coefficient the smooth gradient lies within [−λ, λ].
        var residual = model.Predict(x) - y;
        var grad = (x.Transpose(0, 1).MatMul(residual) * (2f / 300)).ToArray();
        Assert.True(Math.Abs(grad[2]) <= 0.05 + 1e-3 && Math.Abs(grad[4]) <= 0.05 + 1e-3);
    }

    [Fact]
    public void BinaryLogisticRegressionSeparatesAndShrinksWithL2()
    {
        var g = new Generator(3);
        var x = Tensor.RandN([400, 4], g);
        var labels = x.MatMul(Tensor.FromArray([2f, -1f, 0f, 0.5f], 4)).ToArray().Select(v => v > 0 ? 1f : 0f).ToArray();
        var y = Tensor.FromArray(labels, 400);
        var weak = new LogisticRegression(l2: 1e-4).Fit(x, y);
        var strong = new LogisticRegression(l2: 0.1).Fit(x, y);
        Assert.Equal([1, 4], weak.Coefficients.Shape);
        Assert.Equal(2, weak.Classes);
        double accuracy = weak.Predict(x).ToArray().Zip(labels).Count(p => p.First == p.Second) / 400.0;
        Assert.True(accuracy > 0.95, $"accuracy {accuracy}");
        Assert.True(strong.Coefficients.Abs().Sum().Item() < weak.Coefficients.Abs().Sum().Item());
        var proba = weak.PredictProba(x).ToArray();
        for (int i = 0; i < 400; i++) Assert.Equal(1f, proba[2 * i] + proba[2 * i + 1], 5);
    }

    [Fact]
    public void MultinomialLogisticRegressionAndL1Sparsity()
    {
        var g = new Generator(4);
        var centres = Tensor.FromArray([3f, 0f, 0f, 0f, 0f, 3f, 0f, 0f, -3f, -3f, 0f, 0f], 3, 4); // features 2, 3 are noise
        var labels = Enumerable.Range(0, 300).Select(i => (float)(i % 3)).ToArray();
        var y = Tensor.FromArray(labels, 300);
        var x = Tensor.OneHot(y, 3).MatMul(centres) + Tensor.RandN([300, 4], g);
        var model = new LogisticRegression(l1: 0.05).Fit(x, y);
        Assert.Equal([3, 4], model.Coefficients.Shape);
        double accuracy = model.Predict(x).ToArray().Zip(labels).Count(p => p.First == p.Second) / 300.0;
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");
        var w = model.Coefficients.ToArray();
        int zerosOnNoise = Enumerable.Range(0, 3).Count(c => w[c * 4 + 2] == 0 && w[c * 4 + 3] == 0);
        Assert.True(zerosOnNoise >= 2, "L1 zeroes the noise features");
    }

    [Fact]
    public void FeaturesFarFromZeroFitAsWellAsCentredOnes()
    {
        // x = 1000 + U(−1, 1): in float32 an uncentred solver stopped at w = [2.54, −2.53] (scikit-learn: [2, −3])
        var g = new Generator(3);
        var x = Tensor.RandU([200, 2], g, -1f, 1f) + 1000f;
        var (xs, ys) = (x.ToArray(), new float[200]);
        for (int i = 0; i < 200; i++) ys[i] = 2 * (xs[2 * i] - 1000) - 3 * (xs[2 * i + 1] - 1000) + 5 + 0.01f * g.NextNormal();
        var model = new LinearRegression().Fit(x, Tensor.FromArray(ys));
        var w = model.Coefficients.ToArray();
        // least squares in double on centred columns: [Sxx]·w = Sxy, b = ȳ − w·x̄
        double m0 = 0, m1 = 0, my = 0;
        for (int i = 0; i < 200; i++) { m0 += xs[2 * i] / 200.0; m1 += xs[2 * i + 1] / 200.0; my += ys[i] / 200.0; }
        double s00 = 0, s01 = 0, s11 = 0, s0y = 0, s1y = 0;
        for (int i = 0; i < 200; i++)
        {
            double a = xs[2 * i] - m0, c = xs[2 * i + 1] - m1, t = ys[i] - my;
            s00 += a * a; s01 += a * c; s11 += c * c; s0y += a * t; s1y += c * t;
        }
        double det = s00 * s11 - s01 * s01, w0 = (s11 * s0y - s01 * s1y) / det, w1 = (s00 * s1y - s01 * s0y) / det;
        Assert.Equal(w0, w[0], 2e-3);
        Assert.Equal(w1, w[1], 2e-3);
        Assert.Equal(my - w0 * m0 - w1 * m1, model.Intercept.ToArray()[0], 3.0);
        var fitted = model.Predict(x).ToArray();
        double mse = fitted.Zip(ys, (f, t) => (double)(f - t) * (f - t)).Average();
        Assert.True(mse < 1e-3, $"training MSE {mse}");
    }

    [Fact]
    public void EachOutputOfAMultiOutputFitSolvesItsOwnProblem()
    {
        // as scikit-learn's Lasso with a 2-D y: the penalty is not spread over the outputs
        var (x, y1) = Regression(150, [1.5f, -1f, 0f, 0.5f], 0.3f, 4);
        var y2 = x.MatMul(Tensor.FromArray([0f, 2f, -1f, 0f], 4));
        var both = new LinearRegression(l1: 0.2).Fit(x, Tensor.Stack([y1, y2], 1)).Coefficients.ToArray();
        var first = new LinearRegression(l1: 0.2).Fit(x, y1).Coefficients.ToArray();
        var second = new LinearRegression(l1: 0.2).Fit(x, y2).Coefficients.ToArray();
        for (int j = 0; j < 4; j++)
        {
            Assert.Equal(first[j], both[j], 3e-3f);
            Assert.Equal(second[j], both[4 + j], 3e-3f);
        }
    }

    [Fact]
    public void NonFiniteDataAndSettingsAreRefused()
    {
        var x = Tensor.RandN([5, 2], new Generator(1));
        var bad = x.Clone();
        bad.Span[3] = float.NaN;
        Assert.Equal("LinearRegression: X holds NaN at row 1, column 1; fit on finite values",
            Assert.Throws<ArgumentException>(() => new LinearRegression().Fit(bad, Tensor.Ones(5))).Message);
        Assert.Contains("y holds ∞ at row 2", Assert.Throws<ArgumentException>(() =>
            new LinearRegression().Fit(x, Tensor.FromArray([1f, 2, float.PositiveInfinity, 4, 5]))).Message.Replace("Infinity", "∞"));
        Assert.StartsWith("LogisticRegression: X holds NaN", Assert.Throws<ArgumentException>(() => new LogisticRegression().Fit(bad, Tensor.FromArray([0f, 1, 0, 1, 0]))).Message);
        Assert.Contains("at least one sample", Assert.Throws<ArgumentException>(() => new LinearRegression().Fit(Tensor.Zeros(0, 3), Tensor.Zeros(0))).Message);
        Assert.Contains("at least one sample", Assert.Throws<ArgumentException>(() => new LogisticRegression().Fit(Tensor.Zeros(0, 3), Tensor.Zeros(0))).Message);
        Assert.Contains("y holds ∞ at row 4", Assert.Throws<ArgumentException>(() =>
            new LogisticRegression().Fit(x, Tensor.FromArray([0f, 1, 0, 1, float.PositiveInfinity]))).Message.Replace("Infinity", "∞"));
        Assert.Contains("class index 1E+09 is beyond", Assert.Throws<ArgumentException>(() =>
            new LogisticRegression().Fit(x, Tensor.FromArray([0f, 1, 0, 1, 1e9f]))).Message);
        var model = new LinearRegression();
        Assert.Equal("LinearRegression: l1 must be finite and non-negative, got -1", Assert.Throws<ArgumentException>(() => model.L1 = -1).Message);
        Assert.Contains("l2 must be finite", Assert.Throws<ArgumentException>(() => model.L2 = double.NaN).Message);
        Assert.Equal(0, model.L1);
    }

    [Fact]
    public void BadInput()
    {
        Assert.Contains("single class", Assert.Throws<ArgumentException>(() => new LogisticRegression().Fit(Tensor.Ones(3, 2), Tensor.Zeros(3))).Message);
        Assert.Throws<ArgumentException>(() => new LinearRegression(l2: -1));
        Assert.Throws<InvalidOperationException>(() => new LinearRegression().Coefficients);
        Assert.Throws<ArgumentException>(() => new LinearRegression().Fit(Tensor.Ones(3, 2), Tensor.Ones(4)));
    }
}
