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
    public void BadInput()
    {
        Assert.Contains("single class", Assert.Throws<ArgumentException>(() => new LogisticRegression().Fit(Tensor.Ones(3, 2), Tensor.Zeros(3))).Message);
        Assert.Throws<ArgumentException>(() => new LinearRegression(l2: -1));
        Assert.Throws<InvalidOperationException>(() => new LinearRegression().Coefficients);
        Assert.Throws<ArgumentException>(() => new LinearRegression().Fit(Tensor.Ones(3, 2), Tensor.Ones(4)));
    }
}
