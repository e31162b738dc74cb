using Occam.Data;
using Occam.Data.Augment;

namespace Occam.Tests.Data;

public class DataLoaderTests
{
    /// <summary>n examples: input i is [i, 10i] (shape [2]), target i is i % 3.</summary>
    static TensorDataset Numbers(int n) => new(
        Tensor.FromArray(Enumerable.Range(0, n).SelectMany(i => new float[] { i, 10 * i }).ToArray(), n, 2),
        Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)(i % 3)).ToArray(), n));

    /// <summary>The example indices of a batch (inputs' first column).</summary>
    static int[] Ids(Batch b) => Enumerable.Range(0, b.Count).Select(i => (int)b.Inputs[i, 0]).ToArray();

    static List<int[]> Epoch(DataLoader loader) => loader.Select(Ids).ToList();

    /// <summary>Adds a random offset in [0, 1) to every element: visible, and a function of the generator only.</summary>
    sealed class AddNoise : ITransform
    {
        public int Calls;
        public Tensor Apply(Tensor input, Generator generator)
        {
            Interlocked.Increment(ref Calls);
            var values = input.ToArray();
            float offset = generator.NextFloat();
            for (int i = 0; i < values.Length; i++) values[i] += offset;
            return Tensor.FromArray(values, input.Shape);
        }
    }

    sealed class Negate : IBatchTransform
    {
        public Batch Apply(Batch batch, Generator generator) => new(-batch.Inputs, batch.Targets);
    }

    [Fact]
    public void TensorDatasetRejectsMismatchedCountsNamingBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros(5, 2), Tensor.Zeros(4)));
        Assert.Contains("5", e.Message);
        Assert.Contains("4", e.Message);
        var (x, y) = Numbers(4).Get(2);
        Assert.Equal([2f, 20f], x.ToArray());
        Assert.Equal(0, y.Rank);
        Assert.Equal(2f, y.Item());
    }

    [Fact]
    public void SubsetMapsIndicesAndRejectsOutOfRange()
    {
        var subset = new Subset(Numbers(10), [7, 3]);
        Assert.Equal(2, subset.Count);
        Assert.Equal(7f, subset.Get(0).Input[0]);
        Assert.Equal(3f, subset.Get(1).Input[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Subset(Numbers(10), [10]));
    }

    [Theory]
    [InlineData(int.MaxValue, false, 1)]
    [InlineData(int.MaxValue - 5, false, 1)]
    [InlineData(int.MaxValue, true, 0)]
    [InlineData(11, false, 1)]
    [InlineData(3, false, 4)]
    [InlineData(3, true, 3)]
    public void CountIsCeilingOrFloorForAnyBatchSize(int batchSize, bool dropLast, int expected)
    {
        var loader = new DataLoader(Numbers(10), batchSize, dropLast: dropLast);
        Assert.Equal(expected, loader.Count);
        var epoch = Epoch(loader);
        Assert.Equal(expected, epoch.Count);
        if (!dropLast) Assert.Equal(Enumerable.Range(0, 10), epoch.SelectMany(ids => ids));
    }

    [Fact]
    public void BatchesInOrderWithAPartialLastBatch()
    {
        var loader = new DataLoader(Numbers(10), batchSize: 4);
        Assert.Equal(3, loader.Count);
        var batches = loader.ToList();
        Assert.Equal(3, batches.Count);
        Assert.Equal([4, 2], batches[0].Inputs.Shape);
        Assert.Equal([4], batches[0].Targets.Shape);
        Assert.Equal([0f, 0, 1, 10, 2, 20, 3, 30], batches[0].Inputs.ToArray());
        Assert.Equal([0f, 1, 2, 0], batches[0].Targets.ToArray());
        Assert.Equal([8, 9], Ids(batches[2]));
    }

    [Fact]
    public void DropLastDropsTheIncompleteBatch()
    {
        var loader = new DataLoader(Numbers(10), batchSize: 4, dropLast: true);
        Assert.Equal(2, loader.Count);
        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7]], Epoch(loader));
        Assert.Empty(new DataLoader(Numbers(3), batchSize: 4, dropLast: true));
        Assert.Single(new DataLoader(Numbers(4), batchSize: 4, dropLast: true));
    }

    [Fact]
    public void RejectsBatchSizeBelowOne()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbers(3), batchSize: 0));
        Assert.Contains("got 0", e.Message);
    }

    [Fact]
    public void ShuffleIsAPermutationReshuffledEachEpochAndSeeded()
    {
        var a = new DataLoader(Numbers(50), 8, shuffle: true, generator: new Generator(7));
        var b = new DataLoader(Numbers(50), 8, shuffle: true, generator: new Generator(7));
        var a1 = Epoch(a); var a2 = Epoch(a);
        Assert.Equal(Enumerable.Range(0, 50), a1.SelectMany(x => x).Order());
        Assert.Equal(Enumerable.Range(0, 50), a2.SelectMany(x => x).Order());
        Assert.NotEqual(a1.SelectMany(x => x), a2.SelectMany(x => x));           // a new order each epoch
        Assert.NotEqual(Enumerable.Range(0, 50), a1.SelectMany(x => x));
        Assert.Equal(a1, Epoch(b));                                                // same seed, same epochs
        Assert.Equal(a2, Epoch(b));
        var c = new DataLoader(Numbers(50), 8, shuffle: true, generator: new Generator(8));
        Assert.NotEqual(a1.SelectMany(x => x), Epoch(c).SelectMany(x => x));
        Assert.Equal(2, a.Epoch);
    }

    [Fact]
    public void PrefetchOnAndOffGiveIdenticalBatches()
    {
        foreach (bool withTransform in new[] { false, true })
        {
            DataLoader Make(bool prefetch) => new(Numbers(37), 5, shuffle: true, generator: new Generator(3),
                transform: withTransform ? new AddNoise() : null, prefetch: prefetch);
            var on = Make(true); var off = Make(false);
            for (int epoch = 0; epoch < 3; epoch++)
            {
                var x = on.ToList(); var y = off.ToList();
                Assert.Equal(x.Count, y.Count);
                for (int i = 0; i < x.Count; i++)
                {
                    Assert.Equal(x[i].Inputs.ToArray(), y[i].Inputs.ToArray());
                    Assert.Equal(x[i].Targets.ToArray(), y[i].Targets.ToArray());
                }
            }
        }
    }

    [Fact]
    public void TransformsApplyPerSampleWithDistinctDeterministicGenerators()
    {
        var noise = new AddNoise();
        var loader = new DataLoader(Numbers(12), 4, transform: noise, generator: new Generator(1));
        var first = loader.ToList();
        Assert.Equal(12, noise.Calls);
        // input i became [i + u, 10i + u]: recover u from both columns
        var us = first.SelectMany(b => Enumerable.Range(0, b.Count).Select(i => (10 * b.Inputs[i, 0] - b.Inputs[i, 1]) / 9)).ToArray();
        Assert.All(us, u => Assert.InRange(u, -1e-4f, 1.0001f));
        Assert.Equal(12, us.Select(u => MathF.Round(u, 4)).Distinct().Count());   // each sample its own draw
        Assert.Equal(new float[] { 0f, 1, 2, 0 }, first[0].Targets.ToArray());     // targets untouched
        var second = loader.ToList();                                                // next epoch: new draws
        Assert.NotEqual(first[0].Inputs.ToArray(), second[0].Inputs.ToArray());
        var again = new DataLoader(Numbers(12), 4, transform: new AddNoise(), generator: new Generator(1)).ToList();
        Assert.Equal(first[2].Inputs.ToArray(), again[2].Inputs.ToArray());
    }

    [Fact]
    public void BatchTransformSeesTheStackedBatch()
    {
        var batch = new DataLoader(Numbers(4), 4, batchTransform: new Negate()).Single();
        Assert.Equal([0f, 0, -1, -10, -2, -20, -3, -30], batch.Inputs.ToArray());
    }

    [Fact]
    public void WorksOnAnyDatasetAndChecksShapes()
    {
        var subset = new Subset(Numbers(10), [9, 8, 7]);
        Assert.Equal([[9, 8, 7]], Epoch(new DataLoader(subset, 3)));
        var ragged = new Ragged();
        var e = Assert.Throws<InvalidOperationException>(() => new DataLoader(ragged, 2).ToList());
        Assert.Contains("shape", e.Message);
    }

    sealed class Ragged : IDataset
    {
        public int Count => 2;
        public (Tensor Input, Tensor Target) Get(int index) => (Tensor.Zeros(index + 1), Tensor.Scalar(0));
    }

    [Fact]
    public void BatchesAreOwnedByTheCaller()
    {
        var batches = new DataLoader(Numbers(8), 2).ToList();   // kept past the next request
        Assert.Equal([[0, 1], [2, 3], [4, 5], [6, 7]], batches.Select(Ids).ToList());
    }

    [Fact]
    public void AbandoningAnEpochLeavesTheLoaderUsable()
    {
        var loader = new DataLoader(Numbers(20), 3, shuffle: true, generator: new Generator(2), transform: new AddNoise());
        foreach (var _ in loader) break;
        Assert.Equal(7, loader.Count());
    }
}
