using Occam.NN;

namespace Occam.Tests;

/// <summary>
/// Ops whose backward writes the first contribution to an intermediate's gradient without zeroing it first
/// (<c>Tensor.GradTarget</c>: conv, linear, max pool, batch norm with and without the fused ReLU and dropout, dropout) give the
/// same input gradient as when they add into a leaf's gradient, alone and with a second contribution to the same
/// intermediate, at odd sizes and at one and two threads.
/// </summary>
[Collection(nameof(ThreadsCollection))]
public class FreshGradientTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var op in new[] { "conv", "conv-pointwise", "linear", "maxpool", "batchnorm", "batchnorm-relu", "batchnorm-relu-dropout", "dropout" })
            foreach (int threads in new[] { 1, 2 })
                data.Add(op, threads);
        return data;
    }

    static (int[] Shape, Func<Tensor, Tensor> Op) Make(string op)
    {
        var random = new Generator(5);
        switch (op)
        {
            case "conv":
            {
                var w = Tensor.RandN([5, 3, 3, 3], random, std: 0.3f);
                var b = Tensor.RandN([5], random);
                return ([9, 3, 11, 13], x => Functional.Conv2d(x, w, b, stride: 1, padding: 1));
            }
            case "conv-pointwise":
            {
                var w = Tensor.RandN([4, 3, 1, 1], random, std: 0.3f);
                return ([7, 3, 5, 9], x => Functional.Conv2d(x, w));
            }
            case "linear":
            {
                var w = Tensor.RandN([17, 33], random, std: 0.2f);
                var b = Tensor.RandN([17], random);
                return ([19, 33], x => Functional.Linear(x, w, b));
            }
            case "maxpool":
                return ([9, 3, 14, 18], x => Functional.MaxPool2d(x, 2));
            case "batchnorm":
                return ([65, 3, 7, 5], x => new BatchNorm2d(3).Forward(x));
            case "batchnorm-relu":
                return ([301, 129], x => new BatchNorm1d(129).Forward(x, relu: true));
            case "batchnorm-relu-dropout":
                return ([301, 129], x => new BatchNorm1d(129).Forward(x, relu: true, new Dropout(0.3f, new Generator(9))));
            case "dropout":
                return ([257, 131], x => Functional.Dropout(x, 0.3f, training: true, new Generator(9)));
            default:
                throw new ArgumentException(op);
        }
    }

    // x.Grad after loss = Σ u·op(h) (+ Σ v·h when twice), with h = x itself (a leaf: the op adds) or h = x + 0
    // (an intermediate: the op's write may be the first and overwrite).
    static float[] Gradient(string op, int threads, bool intermediate, bool twice)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try
        {
            var (shape, f) = Make(op);
            var x = Tensor.RandN(shape, new Generator(3));
            x.RequiresGrad = true;
            var h = intermediate ? x + 0f : x;
            var y = f(h);
            var loss = (y * Tensor.RandN(y.Shape, new Generator(4))).Sum();
            if (twice) loss = loss + (h * Tensor.RandN(shape, new Generator(6))).Sum();
            loss.Backward();
            return x.Grad!.Span.ToArray();
        }
        finally { Threads.Count = saved; }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OverwritingTheFirstContributionMatchesAdding(string op, int threads)
    {
        foreach (bool twice in new[] { false, true })
        {
            var leaf = Gradient(op, threads, intermediate: false, twice);
            var fresh = Gradient(op, threads, intermediate: true, twice);
            Assert.Equal(leaf.Length, fresh.Length);
            Assert.Contains(leaf, v => v != 0);
            for (int i = 0; i < leaf.Length; i++)
                Assert.True(Math.Abs(leaf[i] - fresh[i]) <= 1e-5f * (1 + Math.Abs(leaf[i])), $"{op} (twice: {twice}) element {i}: {leaf[i]} vs {fresh[i]}");
        }
    }
}
