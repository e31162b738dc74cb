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

    static TensorDataset Classes(params int[] sizes)
    {
        var labels = sizes.SelectMany((size, c) => Enumerable.Repeat((float)c, size)).ToArray();
        return new TensorDataset(Tensor.Zeros(labels.Length, 1), Tensor.FromArray(labels, labels.Length));
    }

    [Theory]
    // classes, fraction, validation per class: round(fraction · n) in all, the leftovers to the largest remainders
    [InlineData(new[] { 5, 5 }, 0.5, new[] { 3, 2 })]
    [InlineData(new[] { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 }, 0.5, new[] { 2, 2, 2, 2, 2, 1, 1, 1, 1, 1 })]
    [InlineData(new[] { 4, 4, 4, 4, 4, 4, 4, 4, 4, 4 }, 0.1, new[] { 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new[] { 1, 1, 1, 1 }, 0.5, new[] { 1, 1, 0, 0 })]
    [InlineData(new[] { 10, 1, 1, 1 }, 0.5, new[] { 5, 1, 1, 0 })]
    [InlineData(new[] { 7, 2, 12 }, 0.3, new[] { 2, 1, 3 })]
    public void StratifiedSplitTakesRoundFractionOfAllAndSharesItByLargestRemainder(int[] sizes, double fraction, int[] expected)
    {
        var data = Classes(sizes);
        var (train, validation) = Splits.TrainValidation(data, fraction, new Generator(3));
        int Count(Subset s, int c) => s.Indices.Count(i => data.Get(i).Target.Item() == c);
        Assert.Equal(expected, Enumerable.Range(0, sizes.Length).Select(c => Count(validation, c)));
        Assert.Equal((int)Math.Round(sizes.Sum() * fraction, MidpointRounding.AwayFromZero), validation.Count);
        Assert.Equal(sizes.Sum() - validation.Count, train.Count);
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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RejectsAnEmptyDataset(bool stratify)
    {
        var empty = new TensorDataset(Tensor.Zeros(0, 1), Tensor.Zeros(0));
        var e = Assert.Throws<ArgumentException>(() => Splits.TrainValidation(empty, 0.2, new Generator(1), stratify));
        Assert.Contains("Splits.TrainValidation: the dataset has 0 examples", e.Message);
    }
}
