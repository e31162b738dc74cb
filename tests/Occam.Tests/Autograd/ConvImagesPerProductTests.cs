namespace Occam.Tests;

/// <summary>Conv2d puts several images' columns side by side in one product when an output plane is not a whole number
/// of 32-wide panels (<c>ConvGeometry.ImagesPerProduct</c>). Each output element and input-gradient element is the
/// same sum either way, so a batch must give, bit for bit, what each of its images gives alone; the weight and bias
/// gradients must be the sums of the images' own.</summary>
[Collection(nameof(ThreadsCollection))]
public class ConvImagesPerProductTests
{
    static Tensor Leaf(int[] shape, int seed)
    {
        var t = Tensor.RandN(shape, new Generator((ulong)seed));
        t.RequiresGrad = true;
        return t;
    }

    // y, dx, dw, db of one Conv2d with upstream gradient u
    static (float[] Y, float[] Dx, float[] Dw, float[] Db) Run(Tensor x, Tensor w, Tensor? b, Tensor u, int stride, int padding, int dilation, int groups)
    {
        var xs = Tensor.FromArray(x.Span.ToArray(), x.Shape);
        xs.RequiresGrad = true;
        var ws = Tensor.FromArray(w.Span.ToArray(), w.Shape);
        ws.RequiresGrad = true;
        Tensor? bs = null;
        if (b != null) { bs = Tensor.FromArray(b.Span.ToArray(), b.Shape); bs.RequiresGrad = true; }
        var y = Functional.Conv2d(xs, ws, bs, stride, padding, dilation, groups);
        var output = y.Span.ToArray();
        (y * u).Sum().Backward();
        return (output, xs.Grad!.Span.ToArray(), ws.Grad!.Span.ToArray(), bs?.Grad!.Span.ToArray() ?? []);
    }

    [Theory]
    [InlineData(7, 4, 10, 10, 6, 3, 1, 1, 1, 1, true, 1)]  // 10 × 10 = 100 columns: up to 8 images per product
    [InlineData(7, 4, 10, 10, 6, 3, 1, 1, 1, 1, true, 2)]  // two chunks of samples
    [InlineData(9, 4, 11, 9, 6, 3, 2, 1, 1, 2, false, 1)]  // stride 2, groups, no bias: 6 × 5 = 30 columns
    [InlineData(5, 3, 12, 12, 4, 3, 1, 2, 2, 1, true, 3)]  // dilation 2: 12 × 12 = 144 columns
    public void BatchEqualsEachImageAlone(int n, int c, int h, int wd, int o, int k, int stride, int padding, int dilation, int groups, bool bias, int threads)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try
        {
            var x = Leaf([n, c, h, wd], 1);
            var w = Leaf([o, c / groups, k, k], 2);
            var b = bias ? Leaf([o], 3) : null;
            var probe = Functional.Conv2d(x, w, b, stride, padding, dilation, groups);
            var u = Tensor.RandN(probe.Shape, new Generator(4));
            var batch = Run(x, w, b, u, stride, padding, dilation, groups);
            int inBlock = c * h * wd, outBlock = probe.Size / n;
            var dwSum = new double[w.Size];
            var dbSum = new double[o];
            for (int s = 0; s < n; s++)
            {
                var xi = Tensor.FromArray(x.Span.Slice(s * inBlock, inBlock).ToArray(), 1, c, h, wd);
                var ui = Tensor.FromArray(u.Span.Slice(s * outBlock, outBlock).ToArray(), [1, .. probe.Shape[1..]]);
                var one = Run(xi, w, b, ui, stride, padding, dilation, groups);
                Assert.Equal(one.Y, batch.Y.AsSpan(s * outBlock, outBlock).ToArray());
                Assert.Equal(one.Dx, batch.Dx.AsSpan(s * inBlock, inBlock).ToArray());
                for (int i = 0; i < dwSum.Length; i++) dwSum[i] += one.Dw[i];
                for (int i = 0; i < one.Db.Length; i++) dbSum[i] += one.Db[i];
            }
            for (int i = 0; i < dwSum.Length; i++)
                Assert.True(Math.Abs(dwSum[i] - batch.Dw[i]) <= 1e-4 * (1 + Math.Abs(dwSum[i])), $"dw[{i}]: {batch.Dw[i]}, images alone sum to {dwSum[i]}");
            for (int i = 0; i < batch.Db.Length; i++)
                Assert.True(Math.Abs(dbSum[i] - batch.Db[i]) <= 1e-4 * (1 + Math.Abs(dbSum[i])), $"db[{i}]: {batch.Db[i]}, images alone sum to {dbSum[i]}");
        }
        finally { Threads.Count = saved; }
    }
}
