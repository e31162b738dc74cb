using Occam.Tests.Support;

namespace Occam.Tests.NN.Normalization;

/// <summary>Numerical gradient checks of every functional normalization op w.r.t. input, weight and bias.</summary>
public class NormalizationGradTests
{
    static Tensor X(int[] shape, ulong seed) => Tensor.RandN(shape, new Generator(seed), mean: 0.3f, std: 1.5f);
    static Tensor W(int n, ulong seed) => Tensor.RandN([n], new Generator(seed), mean: 1f, std: 0.5f);

    // Normalization over few elements is steep: a smaller step keeps central differences accurate.
    static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => GradCheck.Check(f, 2e-3f, 2e-2, inputs);

    [Theory]
    [InlineData(new[] { 6, 3 })]
    [InlineData(new[] { 3, 2, 5 })]
    [InlineData(new[] { 2, 3, 3, 4 })]
    public void BatchNormTraining(int[] shape)
    {
        int c = shape[1];
        Check(t => Functional.BatchNorm(t[0], null, null, t[1], t[2], training: true), X(shape, 1), W(c, 2), W(c, 3));
        Check(t => Functional.BatchNorm(t[0], null, null, null, null, training: true), X(shape, 4));
    }

    [Fact]
    public void BatchNormEval()
    {
        var mean = Tensor.FromArray([0.2f, -0.5f, 1f], 3);
        var variance = Tensor.FromArray([0.5f, 2f, 1.3f], 3);
        Check(t => Functional.BatchNorm(t[0], mean, variance, t[1], t[2], training: false), X([4, 3, 2, 2], 5), W(3, 6), W(3, 7));
        Check(t => Functional.BatchNorm(t[0], mean, variance, training: false), X([4, 3], 8));
    }

    [Fact]
    public void LayerNorm()
    {
        Check(t => Functional.LayerNorm(t[0], [4, 3], t[1], t[2]), X([2, 3, 4, 3], 9),
              Tensor.RandN([4, 3], new Generator(10), 1f, 0.5f), Tensor.RandN([4, 3], new Generator(11)));
        Check(t => Functional.LayerNorm(t[0], [7]), X([3, 7], 12));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void GroupNorm(int groups)
    {
        Check(t => Functional.GroupNorm(t[0], groups, t[1], t[2]), X([2, 4, 3, 2], 13), W(4, 14), W(4, 15));
        Check(t => Functional.GroupNorm(t[0], groups), X([3, 4, 5], 16));
    }

    [Fact]
    public void InstanceNorm()
    {
        Check(t => Functional.InstanceNorm(t[0], weight: t[1], bias: t[2]), X([2, 3, 3, 3], 17), W(3, 18), W(3, 19));
        var mean = Tensor.FromArray([0.2f, -0.5f, 1f], 3);
        var variance = Tensor.FromArray([0.5f, 2f, 1.3f], 3);
        Check(t => Functional.InstanceNorm(t[0], mean, variance, t[1], t[2], useInputStats: false), X([2, 3, 3, 3], 20), W(3, 21), W(3, 22));
    }

    [Fact]
    public void RmsNorm()
    {
        Check(t => Functional.RmsNorm(t[0], [5], t[1]), X([4, 5], 23), W(5, 24));
        Check(t => Functional.RmsNorm(t[0], [3, 2], null, 1e-5f), X([2, 3, 2], 25));
    }

    [Fact]
    public void OneGraphNodePerOp()
    {
        var x = X([4, 3, 2, 2], 26);
        x.RequiresGrad = true;
        Assert.Contains("grad_fn=BatchNorm", Functional.BatchNorm(x, null, null, training: true).ToString());
        Assert.Contains("grad_fn=GroupNorm", Functional.GroupNorm(x, 3).ToString());
        Assert.Contains("grad_fn=LayerNorm", Functional.LayerNorm(x, [2, 2]).ToString());
        Assert.Contains("grad_fn=RmsNorm", Functional.RmsNorm(x, [2]).ToString());
    }

    [Fact]
    public void LargeInputsSplitAcrossThreadsMatchPerSampleResults()
    {
        // [16, 4, 32, 32] is large enough to run in parallel chunks; each sample alone runs serially.
        var x = X([16, 4, 32, 32], 27);
        var g = X([16, 4, 32, 32], 28);
        var w = W(4, 29);
        x.RequiresGrad = true;
        var y = Functional.GroupNorm(x, 2, w, null);
        var yAll = y.ToArray();
        y.Backward(g);
        var dxAll = x.Grad!.ToArray();
        var xs = x.ToArray();
        var gs = g.ToArray();
        for (int s = 0; s < 16; s += 5)
        {
            var xi = Tensor.FromArray(xs.AsSpan(s * 4096, 4096).ToArray(), 1, 4, 32, 32);
            xi.RequiresGrad = true;
            var yi = Functional.GroupNorm(xi, 2, w, null);
            GradCheck.Close(yi.ToArray(), yAll.AsSpan(s * 4096, 4096).ToArray(), 1e-6f, 1e-5f, $"y sample {s}");
            yi.Backward(Tensor.FromArray(gs.AsSpan(s * 4096, 4096).ToArray(), 1, 4, 32, 32));
            GradCheck.Close(xi.Grad!.ToArray(), dxAll.AsSpan(s * 4096, 4096).ToArray(), 1e-6f, 1e-5f, $"dx sample {s}");
        }

        // Batch norm's input gradient is orthogonal to 1 and to x within each channel.
        var xb = X([16, 4, 32, 32], 30);
        xb.RequiresGrad = true;
        Functional.BatchNorm(xb, null, null, training: true).Backward(g);
        var dx = xb.Grad!.ToArray();
        var xv = xb.ToArray();
        for (int c = 0; c < 4; c++)
        {
            double sum = 0, dot = 0, scale = 0;
            for (int s = 0; s < 16; s++)
                for (int i = 0; i < 1024; i++)
                {
                    int k = (s * 4 + c) * 1024 + i;
                    sum += dx[k];
                    dot += dx[k] * (double)xv[k];
                    scale += Math.Abs(dx[k]);
                }
            Assert.True(Math.Abs(sum) < 1e-4 * scale && Math.Abs(dot) < 1e-3 * scale, $"channel {c}: Σdx = {sum}, Σdx·x = {dot}");
        }
    }
}
