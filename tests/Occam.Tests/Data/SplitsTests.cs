using Occam.Data;

namespace Occam.Tests.Data;

public class SplitsTests
{
    /// <summary>Class c has 100·(c+1) examples: 100, 200, 300, 400.</summary>
    static TensorDataset Imbalanced()
    {
        var labels = Enumerable.Range(0, 4).SelectMany(c => Enumerable.Repeat((float)c, 100 * (c + 1))).ToArray();
        return new TensorDataset(Tensor.FromArray(Enumerable.Range(0, labels.Length).Select(i => (float)i).ToArray(), labels.Length, 1),
            Tensor.FromArray(labels, labels.Length));
    }

    static int[] ClassCounts(Subset s) =>
        Enumerable.Range(0, 4).Select(c => Enumerable.Range(0, s.Count).Count(i => s.Get(i).Target.Item() == c)).ToArray();

    [Fact]
    public void StratifiedSplitKeepsEachClassProportion()
    {
        var (train, validation) = Splits.TrainValidation(Imbalanced(), 0.2, new Generator(1));
        Assert.Equal([20, 40, 60, 80], ClassCounts(validation));
        Assert.Equal([80, 160, 240, 320], ClassCounts(train));
        Assert.Empty(train.Indices.Intersect(validation.Indices));
        Assert.Equal(1000, train.Indices.Union(validation.Indices).Count());
        Assert.Equal(train.Indices.Order(), train.Indices);
    }

    [Fact]
    public void StratifiedSplitThroughASubsetAndAnyDataset()
    {
        var (train, _) = Splits.TrainValidation(Imbalanced(), 0.5, new Generator(1));
        var (a, b) = Splits.TrainValidation(train, 0.2, new Generator(2));
        Assert.Equal([10, 20, 30, 40], ClassCounts(b));
        Assert.Equal(400, a.Count);
    }

    [Fact]
    public void SplitIsSeededAndRandom()
    {
        var (_, v1) = Splits.TrainValidation(Imbalanced(), 0.1, new Generator(5), stratify: false);
        var (_, v2) = Splits.TrainValidation(Imbalanced(), 0.1, new Generator(5), stratify: false);
        var (_, v3) = Splits.TrainValidation(Imbalanced(), 0.1, new Generator(6), stratify: false);
        Assert.Equal(100, v1.Count);
        Assert.Equal(v1.Indices, v2.Indices);
        Assert.NotEqual(v1.Indices, v3.Indices);
        Assert.NotEqual(Enumerable.Range(0, 100), v1.Indices);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void RejectsFractionOutsideZeroOne(double fraction)
    {
        var e = Assert.Throws<ArgumentException>(() => Splits.TrainValidation(Imbalanced(), fraction, new Generator(1)));
        Assert.Contains(fraction.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    [Fact]
    public void StratifyRejectsNonClassTargets()
    {
        var data = new TensorDataset(Tensor.Zeros(4, 1), Tensor.FromArray([0f, 1.5f, 0, 1], 4));
        var e = Assert.Throws<ArgumentException>(() => Splits.TrainValidation(data, 0.5, new Generator(1)));
        Assert.Contains("1.5", e.Message);
        Assert.Equal(2, Splits.TrainValidation(data, 0.5, new Generator(1), stratify: false).Validation.Count);
    }
}
