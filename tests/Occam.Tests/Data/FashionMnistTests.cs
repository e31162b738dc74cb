using System.Numerics.Tensors;
using Occam.Data;

namespace Occam.Tests.Data;

public class FashionMnistTests
{
    static int[] PerClass(IDataset data)
    {
        var counts = new int[10];
        foreach (float label in ((TensorDataset)data).Targets.ToArray()) counts[(int)label]++;
        return counts;
    }

    [Fact]
    public void EmbeddedSubsetIsBalancedAndInRange()
    {
        var (train, test) = FashionMnist.LoadEmbedded();
        Assert.Equal(6000, train.Count);
        Assert.Equal(2000, test.Count);
        Assert.All(PerClass(train), c => Assert.Equal(600, c));
        Assert.All(PerClass(test), c => Assert.Equal(200, c));
        var (x, y) = train.Get(0);
        Assert.Equal([1, 28, 28], x.Shape);
        Assert.Equal(0, y.Rank);
        ReadOnlySpan<float> pixels = ((TensorDataset)train).Inputs.Span;
        Assert.Equal(0f, TensorPrimitives.Min(pixels));
        Assert.Equal(1f, TensorPrimitives.Max(pixels));
        Assert.InRange(TensorPrimitives.Sum(pixels) / pixels.Length, 0.2, 0.4);   // Fashion-MNIST's mean is 0.286
        Assert.Equal(10, FashionMnist.ClassNames.Count);
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[9]);
    }

    [Fact]
    public void EmbeddedSubsetLoadsAreIndependentCopies()
    {
        var a = (TensorDataset)FashionMnist.LoadEmbedded().Train;
        var before = a.Get(5).Input.ToArray();
        a.Inputs.CopyFrom(Tensor.Zeros(a.Inputs.Shape));
        var b = (TensorDataset)FashionMnist.LoadEmbedded().Train;
        Assert.Equal(before, b.Get(5).Input.ToArray());
    }

    [Fact]
    public void EmbeddedSubsetMatchesTheRealFiles()
    {
        if (!File.Exists(Path.Combine(FashionMnist.DefaultRoot, "train-images-idx3-ubyte.gz"))) return;
        var (fullTrain, fullTest) = FashionMnist.Load(FashionMnist.DefaultRoot);
        Assert.Equal(60000, fullTrain.Count);
        Assert.Equal(10000, fullTest.Count);
        var (train, test) = FashionMnist.LoadEmbedded();
        AssertFirstPerClass((TensorDataset)fullTrain, (TensorDataset)train, 600);
        AssertFirstPerClass((TensorDataset)fullTest, (TensorDataset)test, 200);
    }

    /// <summary>The subset is the first <paramref name="perClass"/> examples of each class, in file order.</summary>
    static void AssertFirstPerClass(TensorDataset full, TensorDataset subset, int perClass)
    {
        ReadOnlySpan<float> x = full.Inputs.Span, y = full.Targets.Span, sx = subset.Inputs.Span, sy = subset.Targets.Span;
        var taken = new int[10];
        int next = 0;
        for (int i = 0; i < y.Length && next < sy.Length; i++)
        {
            if (taken[(int)y[i]]++ >= perClass) continue;
            Assert.Equal(y[i], sy[next]);
            Assert.True(x.Slice(i * 784, 784).SequenceEqual(sx.Slice(next * 784, 784)), $"image {next} differs from file image {i}");
            next++;
        }
        Assert.Equal(10 * perClass, next);
    }

    [Fact]
    public void LoadNamesTheFixWhenFilesAreMissing()
    {
        string empty = Directory.CreateTempSubdirectory("occam-fmnist-").FullName;
        try
        {
            var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(empty));
            Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
            Assert.Contains("OCCAM_DATA", e.Message);
            Assert.Contains(empty, e.Message);
        }
        finally { Directory.Delete(empty); }
    }
}
