namespace Occam.Tests.Tensors;

public class GeneratorTests
{
    [Fact]
    public void SameSeedSameSequenceDifferentSeedDifferentSequence()
    {
        var a = new Generator(42); var b = new Generator(42); var c = new Generator(43);
        var sa = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Assert.Equal(sa, Enumerable.Range(0, 100).Select(_ => b.NextUInt64()).ToArray());
        Assert.NotEqual(sa, Enumerable.Range(0, 100).Select(_ => c.NextUInt64()).ToArray());
    }

    [Fact]
    public void UniformFloatsAreInRangeWithTheRightMoments()
    {
        var g = new Generator(1);
        var v = Enumerable.Range(0, 200_000).Select(_ => (double)g.NextFloat()).ToArray();
        Assert.All(v, x => Assert.InRange(x, 0.0, 0.99999999));
        Assert.InRange(v.Average(), 0.497, 0.503);            // 1/2 ± ~5σ
        Assert.InRange(v.Select(x => (x - 0.5) * (x - 0.5)).Average(), 1 / 12.0 - 0.002, 1 / 12.0 + 0.002);
    }

    [Fact]
    public void NormalsHaveZeroMeanUnitVarianceAndNoSkew()
    {
        var g = new Generator(2);
        var v = Enumerable.Range(0, 200_000).Select(_ => (double)g.NextNormal()).ToArray();
        double mean = v.Average(), var = v.Select(x => (x - mean) * (x - mean)).Average();
        double skew = v.Select(x => Math.Pow(x - mean, 3)).Average() / Math.Pow(var, 1.5);
        Assert.InRange(mean, -0.012, 0.012);
        Assert.InRange(var, 0.985, 1.015);
        Assert.InRange(skew, -0.03, 0.03);
        Assert.InRange(v.Count(x => Math.Abs(x) < 1) / (double)v.Length, 0.680, 0.685); // 68.27 %
    }

    [Fact]
    public void NextIntIsUniformOverItsRange()
    {
        var g = new Generator(3);
        var counts = new int[10];
        for (int i = 0; i < 100_000; i++) counts[g.NextInt(10)]++;
        double chi2 = counts.Sum(c => (c - 10_000.0) * (c - 10_000.0) / 10_000.0);
        Assert.True(chi2 < 27.9, $"chi² = {chi2} (9 dof, p = 0.001 at 27.9)");
        Assert.Throws<ArgumentOutOfRangeException>(() => g.NextInt(0));
    }

    [Fact]
    public void PermutationContainsEveryIndexOnce()
    {
        var p = new Generator(4).Permutation(1000);
        Assert.Equal(Enumerable.Range(0, 1000), p.OrderBy(x => x));
        Assert.NotEqual(Enumerable.Range(0, 1000), p);
    }
}

public class GeneratorStateTests
{
    [Fact]
    public void SavedStateContinuesTheSequence()
    {
        var g = new Generator(9);
        for (int i = 0; i < 5; i++) g.NextUInt64();
        g.NextNormal(); // leaves a spare normal in the state
        var state = g.GetState();
        var expected = Enumerable.Range(0, 10).Select(_ => g.NextNormal()).ToArray();
        var h = new Generator(1);
        h.SetState(state);
        Assert.Equal(expected, Enumerable.Range(0, 10).Select(_ => h.NextNormal()).ToArray());
        Assert.Throws<ArgumentException>(() => h.SetState(new byte[3]));
        Assert.Throws<ArgumentException>(() => h.SetState(new byte[37]));
    }
}
