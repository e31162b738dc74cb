namespace Occam.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void FromArrayCopiesAndKeepsShape()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        var t = Tensor.FromArray(data, 2, 3);
        data[0] = 99;
        Assert.Equal([2, 3], t.Shape);
        Assert.Equal(6, t.Size);
        Assert.Equal(1f, t[0, 0]);
        Assert.Equal(6f, t[1, 2]);
    }

    [Fact]
    public void FromArrayRejectsAMismatchedShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray([1, 2, 3], 2, 2));
        Assert.Contains("FromArray", e.Message);
        Assert.Contains("[2, 2]", e.Message);
    }

    [Fact]
    public void Factories()
    {
        Assert.All(Tensor.Zeros(2, 3).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Tensor.Ones(4).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(Tensor.Full([2, 2], 7f).ToArray(), v => Assert.Equal(7f, v));
        Assert.Equal([0f, 1f, 2f], Tensor.Arange(3).ToArray());
        Assert.Equal([1f, 1.5f, 2f, 2.5f], Tensor.Arange(1f, 3f, 0.5f).ToArray());
        Assert.Equal(5f, Tensor.Scalar(5f).Item());
        Assert.Empty(Tensor.Scalar(5f).Shape);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, -1));
    }

    [Fact]
    public void ItemNeedsOneElement()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Ones(2).Item());
        Assert.Contains("Item", e.Message);
    }

    [Fact]
    public void RandomFactoriesAreSeededAndDistributedAsAsked()
    {
        var a = Tensor.RandN([10000], new Generator(7));
        var b = Tensor.RandN([10000], new Generator(7));
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.InRange(a.Mean().Item(), -0.03f, 0.03f);
        Assert.InRange(a.Var().Item(), 0.95f, 1.05f);
        var u = Tensor.RandU([10000], new Generator(8), -2f, 2f).ToArray();
        Assert.All(u, v => Assert.InRange(v, -2f, 2f));
        Assert.InRange(u.Average(), -0.06, 0.06);
    }

    [Fact]
    public void ViewsShareStorage()
    {
        var t = Tensor.Arange(6).Reshape(2, 3);
        var flat = t.Flatten();
        var un = t.Unsqueeze(0);
        Assert.Equal([1, 2, 3], un.Shape);
        Assert.Equal([2, 3], un.Squeeze().Shape);
        Assert.Equal([2, 3], un.Squeeze(0).Shape);
        Assert.Equal([6], flat.Shape);
        Assert.Same(t.Storage, flat.Storage);
        Assert.Same(t.Storage, un.Storage);
        Assert.Equal([3, 2], t.Reshape(-1, 2).Shape);
        Assert.Throws<ArgumentException>(() => t.Reshape(4, -1));
        Assert.Equal([2, 12], Tensor.Zeros(2, 3, 4).Flatten(1).Shape);
    }

    [Fact]
    public void TransposeAndPermuteCopy()
    {
        var t = Tensor.Arange(6).Reshape(2, 3);
        var tt = t.Transpose(0, 1);
        Assert.Equal([3, 2], tt.Shape);
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], tt.ToArray());
        Assert.NotSame(t.Storage, tt.Storage);
        var p = Tensor.Arange(24).Reshape(2, 3, 4).Permute(2, 0, 1);
        Assert.Equal([4, 2, 3], p.Shape);
        Assert.Equal(13f, p[1, 1, 0]); // element [1, 0, 1] of the source
        Assert.Throws<ArgumentException>(() => t.Permute(0, 0));
    }

    [Fact]
    public void IndexRowsGathersInOrder()
    {
        var t = Tensor.Arange(6).Reshape(3, 2);
        Assert.Equal([4f, 5f, 0f, 1f, 4f, 5f], t.IndexRows([2, 0, 2]).ToArray());
        Assert.Throws<IndexOutOfRangeException>(() => t.IndexRows([3]));
    }

    [Fact]
    public void BadInputNamesTheOpAndValues()
    {
        var a = Tensor.Zeros(64, 784);
        var b = Tensor.Zeros(512, 10);
        var e = Assert.Throws<ArgumentException>(() => a.MatMul(b));
        Assert.Contains("MatMul: shapes [64, 784] and [512, 10] cannot be multiplied", e.Message);
        var c = Assert.Throws<ArgumentException>(() => Functional.Conv2d(Tensor.Zeros(1, 3, 8, 8), Tensor.Zeros(4, 1, 3, 3)));
        Assert.Contains("Conv2d: input has 3 channels, weight expects 1", c.Message);
        var br = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4));
        Assert.Contains("[2, 3] and [4] cannot be broadcast", br.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(2, 4)], 0));
        Assert.Throws<ArgumentException>(() => Tensor.OneHot(Tensor.FromArray([5f], 1), 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Sum([2]));
        Assert.Throws<ArgumentException>(() => Functional.MaxPool2d(Tensor.Zeros(1, 1, 8, 8), 3, 1, 2));
    }

    [Fact]
    public void OneHotAndArgmax()
    {
        var oh = Tensor.OneHot(Tensor.FromArray([2f, 0f], 2), 3);
        Assert.Equal([2, 3], oh.Shape);
        Assert.Equal([0f, 0f, 1f, 1f, 0f, 0f], oh.ToArray());
        Assert.Equal([2f, 0f], oh.Argmax(1).ToArray());
        Assert.Equal(2f, oh.Argmax().Item());
    }

    [Fact]
    public void SoftmaxIsStableForLargeLogits()
    {
        var s = Tensor.FromArray([1000f, 1000f, -1000f], 3).Softmax(0).ToArray();
        Assert.Equal(0.5f, s[0], 6);
        Assert.Equal(0f, s[2], 6);
        var ls = Tensor.FromArray([1000f, 0f], 2).LogSoftmax(0).ToArray();
        Assert.Equal(0f, ls[0], 5);
        Assert.Equal(-1000f, ls[1], 2);
    }
}
