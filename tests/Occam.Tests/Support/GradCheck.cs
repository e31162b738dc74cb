namespace Occam.Tests.Support;

/// <summary>
/// Numerical gradient check: compares autograd's gradient of L = Σ f(inputs)·w (w a fixed random
/// weighting, so every output element matters) with central differences in double precision
/// over float32 forward passes.
/// </summary>
public static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => Check(f, 1e-2f, 2e-2, inputs);

    public static void Check(Func<Tensor[], Tensor> f, float step, double tolerance, params Tensor[] inputs)
    {
        var gen = new Generator(1234);
        foreach (var x in inputs) { x.RequiresGrad = true; x.Grad = null; }
        var y = f(inputs);
        var w = Tensor.RandN(y.Shape, gen);
        var wData = w.ToArray();
        (y * w).Sum().Backward();

        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            var analytic = x.Grad?.ToArray() ?? new float[x.Size];
            var data = x.Data; // the leaf's own storage, perturbed in place
            for (int i = 0; i < x.Size; i++)
            {
                float saved = data[i];
                data[i] = saved + step;
                double plus = Loss(f, inputs, wData);
                data[i] = saved - step;
                double minus = Loss(f, inputs, wData);
                data[i] = saved;
                double numeric = (plus - minus) / (2 * step);
                double err = Math.Abs(numeric - analytic[i]);
                Assert.True(err <= tolerance * Math.Max(1.0, Math.Abs(numeric)),
                    $"input {k} element {i}: autograd {analytic[i]}, numeric {numeric}");
            }
        }
    }

    static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, float[] w)
    {
        using var _ = Autograd.NoGrad();
        var y = f(inputs).ToArray();
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += (double)y[i] * w[i];
        return s;
    }

    /// <summary>Random values kept at least <paramref name="margin"/> away from every kink in <paramref name="kinks"/>.</summary>
    public static Tensor Away(int[] shape, ulong seed, float margin = 0.05f, params float[] kinks)
    {
        var g = new Generator(seed);
        var data = new float[Shape.Size(shape)];
        for (int i = 0; i < data.Length; i++)
        {
            float v;
            do v = g.NextNormal(); while (kinks.Any(k => Math.Abs(v - k) < margin));
            data[i] = v;
        }
        return Tensor.FromArray(data, shape);
    }

    public static Tensor Positive(int[] shape, ulong seed) => Tensor.RandU(shape, new Generator(seed), 0.3f, 2f);

    public static void Close(float[] expected, float[] actual, float atol = 1e-5f, float rtol = 1e-4f, string what = "")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i] == actual[i] || Math.Abs(expected[i] - actual[i]) <= atol + rtol * Math.Abs(expected[i]) || (float.IsNaN(expected[i]) && float.IsNaN(actual[i])),
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}
