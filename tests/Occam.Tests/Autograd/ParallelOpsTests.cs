namespace Occam.Tests;

/// <summary>The ops that split large tensors over the engine's threads (batch norm statistics and gradient sums,
/// max pooling, element-wise activations) give the one-thread results on odd, large sizes.</summary>
[Collection(nameof(ThreadsCollection))]
public class ParallelOpsTests
{
    static (float[] Y, float[] Dx, float[] Dw, float[] Db) Run(int threads, Func<Tensor, Tensor, Tensor, Tensor> op, int[] shape, int channels)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try
        {
            var random = new Random(7);
            int size = Shape.Size(shape);
            var data = new float[size];
            for (int i = 0; i < size; i++) data[i] = (float)(random.NextDouble() * 4 - 1.5);
            var x = Leaf(data, shape);
            var w = Leaf(Enumerable.Range(0, channels).Select(i => 0.5f + 0.1f * i).ToArray(), channels);
            var b = Leaf(Enumerable.Range(0, channels).Select(i => 0.2f * i - 0.3f).ToArray(), channels);
            var y = op(x, w, b);
            var weights = new float[y.Size];
            for (int i = 0; i < weights.Length; i++) weights[i] = (float)(random.NextDouble() - 0.5);
            var yValues = y.Span.ToArray();
            (y * Tensor.FromArray(weights, y.Shape)).Sum().Backward();
            return (yValues, x.Grad!.Span.ToArray(), w.Grad?.Span.ToArray() ?? [], b.Grad?.Span.ToArray() ?? []);
        }
        finally { Threads.Count = saved; }
    }

    static Tensor Leaf(float[] data, params int[] shape)
    {
        var t = Tensor.FromArray(data, shape);
        t.RequiresGrad = true;
        return t;
    }

    static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"[{i}]: {expected[i]} vs {actual[i]}");
    }

    public static TheoryData<string> Ops => ["batchnorm", "batchnorm-relu-maxpool", "groupnorm"];

    [Theory]
    [MemberData(nameof(Ops))]
    public void TwoThreadsMatchOne(string name)
    {
        Func<Tensor, Tensor, Tensor, Tensor> op = name switch
        {
            "batchnorm" => (x, w, b) => Functional.BatchNorm(x, null, null, w, b, training: true),
            "batchnorm-relu-maxpool" => (x, w, b) => Functional.MaxPool2d(Functional.BatchNorm(x, null, null, w, b, training: true).Relu(), 2),
            _ => (x, w, b) => Functional.GroupNorm(x, 3, w, b),
        };
        int[] shape = [13, 6, 41, 45]; // odd sizes, 143910 elements: enough for every op to split over two threads
        var one = Run(1, op, shape, 6);
        var two = Run(2, op, shape, 6);
        AssertClose(one.Y, two.Y, 1e-5f);
        AssertClose(one.Dx, two.Dx, 1e-4f);
        AssertClose(one.Dw, two.Dw, 1e-4f);
        AssertClose(one.Db, two.Db, 1e-4f);
    }
}
