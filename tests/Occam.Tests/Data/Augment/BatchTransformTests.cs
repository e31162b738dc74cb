using Occam.Data;
using Occam.Data.Augment;

namespace Occam.Tests.Data.Augment;

public class BatchTransformTests
{
    static (double Mean, double Var) Moments(Func<double> sample, int n)
    {
        var xs = new double[n];
        for (int i = 0; i < n; i++) xs[i] = sample();
        double mean = xs.Average();
        return (mean, xs.Sum(x => (x - mean) * (x - mean)) / (n - 1));
    }

    [Theory]
    [InlineData(2.0, 5.0)]
    [InlineData(0.2, 0.2)]
    [InlineData(1.0, 1.0)]
    [InlineData(0.5, 3.0)]
    public void BetaHasTheRightMeanAndVariance(double a, double b)
    {
        var g = new Generator(42);
        int n = 40000;
        var (mean, variance) = Moments(() => RandomSampling.Beta(g, a, b), n);
        double mu = a / (a + b), v = a * b / ((a + b) * (a + b) * (a + b + 1));
        Assert.InRange(mean, mu - 5 * Math.Sqrt(v / n), mu + 5 * Math.Sqrt(v / n));
        Assert.InRange(variance, v * 0.93, v * 1.07);
    }

    [Theory]
    [InlineData(3.0)]
    [InlineData(0.5)]
    public void GammaHasMeanAndVarianceEqualToTheShape(double k)
    {
        var g = new Generator(3);
        int n = 40000;
        var (mean, variance) = Moments(() => RandomSampling.Gamma(g, k), n);
        Assert.InRange(mean, k - 5 * Math.Sqrt(k / n), k + 5 * Math.Sqrt(k / n));
        Assert.InRange(variance, k * 0.92, k * 1.08);
    }

    [Fact]
    public void BetaStaysInTheUnitIntervalForTinyAlpha()
    {
        var g = new Generator(1);
        for (int i = 0; i < 1000; i++) Assert.InRange(RandomSampling.Beta(g, 1e-3, 1e-3), 0.0, 1.0);
        Assert.Contains("got -1", Assert.Throws<ArgumentOutOfRangeException>(() => RandomSampling.Gamma(g, -1)).Message);
    }

    /// <summary>As α, β → 0, Beta(α, β) tends to Bernoulli(α/(α+β)) on {0, 1}. 1e-310 is subnormal: log(U)/α overflows
    /// to −∞ for both draws, which once gave ∞ − ∞ = NaN.</summary>
    [Theory]
    [InlineData(1e-300, 3e-300)]
    [InlineData(1e-310, 3e-310)]
    public void BetaWithTinyShapesIsBernoulli(double a, double b)
    {
        var g = new Generator(5);
        int n = 20000, ones = 0;
        for (int i = 0; i < n; i++)
        {
            double x = RandomSampling.Beta(g, a, b);
            Assert.False(double.IsNaN(x));
            Assert.True(x == 0 || x == 1, $"Beta({a}, {b}) gave {x}, not 0 or 1");
            if (x == 1) ones++;
        }
        double p = a / (a + b), se = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(ones / (double)n, p - 5 * se, p + 5 * se);
        Assert.Equal(1.0, RandomSampling.Beta(g, 1, 1e-310)); // only the β draw overflows
    }

    /// <summary>N samples of shape [C, H, W]; sample i is filled with the value i + 1; labels are i·2 mod classes.</summary>
    static Batch ConstantBatch(int n, int c, int h, int w, int classes)
    {
        var x = new float[n * c * h * w];
        for (int i = 0; i < n; i++) x.AsSpan(i * c * h * w, c * h * w).Fill(i + 1);
        var y = Enumerable.Range(0, n).Select(i => (float)(i * 2 % classes)).ToArray();
        return new Batch(Tensor.FromArray(x, n, c, h, w), Tensor.FromArray(y, n));
    }

    [Fact]
    public void MixUpBlendsEachSampleWithThePreviousOneAndItsLabel()
    {
        int n = 4, classes = 10;
        var batch = ConstantBatch(n, 2, 3, 3, classes);
        var mixed = new MixUp(alpha: 0.4f, numClasses: classes).Apply(batch, new Generator(5));
        Assert.Equal([n, 2, 3, 3], mixed.Inputs.Shape);
        Assert.Equal([n, classes], mixed.Targets.Shape);
        var x = mixed.Inputs.ToArray();
        var t = mixed.Targets.ToArray();
        double lambda = t[0 * classes + 0]; // sample 0 has label 0, its predecessor (sample 3) label 6
        Assert.InRange(lambda, 0, 1);
        for (int i = 0; i < n; i++)
        {
            int prev = (i + n - 1) % n;
            Assert.Equal(1, t.Skip(i * classes).Take(classes).Sum(), 1e-6);
            Assert.Equal(lambda, t[i * classes + i * 2 % classes], 1e-6);
            Assert.Equal(1 - lambda, t[i * classes + prev * 2 % classes], 1e-6);
            double expected = lambda * (i + 1) + (1 - lambda) * (prev + 1);
            for (int k = 0; k < 18; k++) Assert.Equal(expected, x[i * 18 + k], 1e-5);
        }
    }

    [Fact]
    public void MixUpIsDeterministicBySeedAndAcceptsSoftTargets()
    {
        var batch = ConstantBatch(3, 1, 2, 2, 3);
        var mixUp = new MixUp(1, 3);
        var a = mixUp.Apply(batch, new Generator(8));
        Assert.Equal(a.Inputs.ToArray(), mixUp.Apply(batch, new Generator(8)).Inputs.ToArray());
        Assert.Equal(a.Targets.ToArray(), mixUp.Apply(batch, new Generator(8)).Targets.ToArray());
        Assert.NotEqual(a.Inputs.ToArray(), mixUp.Apply(batch, new Generator(9)).Inputs.ToArray());
        // MixUp applied to already-soft targets (e.g. after another MixUp) keeps rows summing to 1
        var again = mixUp.Apply(a, new Generator(10)).Targets.ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(1, again.Skip(i * 3).Take(3).Sum(), 1e-6);
    }

    [Fact]
    public void CutMixPastedFractionEqualsTheTargetWeight()
    {
        int n = 3, classes = 5, h = 16, w = 20;
        var batch = ConstantBatch(n, 2, h, w, classes);
        var cutMix = new CutMix(alpha: 1, numClasses: classes);
        int boxes = 0;
        for (ulong seed = 0; seed < 30; seed++)
        {
            var mixed = cutMix.Apply(batch, new Generator(seed));
            Assert.Equal([n, 2, h, w], mixed.Inputs.Shape);
            var x = mixed.Inputs.ToArray();
            var t = mixed.Targets.ToArray();
            for (int i = 0; i < n; i++)
            {
                int prev = (i + n - 1) % n;
                var plane0 = x.AsSpan(i * 2 * h * w, h * w).ToArray();
                var plane1 = x.AsSpan(i * 2 * h * w + h * w, h * w).ToArray();
                Assert.Equal(plane0, plane1); // the same box in every channel
                Assert.All(plane0, v => Assert.True(v == i + 1 || v == prev + 1));
                double pasted = plane0.Count(v => v == prev + 1) / (double)(h * w);
                Assert.Equal(1, t.Skip(i * classes).Take(classes).Sum(), 1e-6);
                Assert.Equal(pasted, t[i * classes + prev * 2 % classes], 1e-6);
                Assert.Equal(1 - pasted, t[i * classes + i * 2 % classes], 1e-6);
                if (pasted > 0 && i == 0) boxes++;
            }
        }
        Assert.True(boxes > 20, $"only {boxes} of 30 batches got a non-empty box");
    }

    [Fact]
    public void CutMixBoxIsARectangle()
    {
        var cutMix = new CutMix(1, 2);
        var g = new Generator(3);
        for (int k = 0; k < 100; k++)
        {
            var (x1, y1, x2, y2, lambda) = cutMix.Box(10, 12, g);
            Assert.True(0 <= x1 && x1 <= x2 && x2 <= 12 && 0 <= y1 && y1 <= y2 && y2 <= 10);
            Assert.Equal(1 - (x2 - x1) * (y2 - y1) / 120.0, lambda, 1e-12);
        }
    }

    [Theory]
    [InlineData(-0.5f, "-0.5")]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void BadSoftTargetsAreRefusedNamingTheRowAndTheValue(float bad, string shown)
    {
        var batch = ConstantBatch(2, 1, 2, 2, 3);
        var soft = Tensor.FromArray([1, 0, 0, 0.5f, bad, 0.5f], 2, 3);
        Assert.Contains($"MixUp: soft targets must be finite and non-negative, got {shown} in row 1, class 1",
            Assert.Throws<ArgumentException>(() => new MixUp(1, 3).Apply(batch with { Targets = soft }, new Generator(1))).Message);
        Assert.Contains($"CutMix: soft targets must be finite and non-negative, got {shown} in row 1, class 1",
            Assert.Throws<ArgumentException>(() => new CutMix(1, 3).Apply(batch with { Targets = soft }, new Generator(1))).Message);
        var good = Tensor.FromArray([1, 0, 0, 0.5f, 0, 0.5f], 2, 3);
        Assert.Equal([2, 3], new MixUp(1, 3).Apply(batch with { Targets = good }, new Generator(1)).Targets.Shape);
    }

    [Fact]
    public void BadArgumentsNameTheTransformAndTheValue()
    {
        Assert.Contains("MixUp: alpha must be positive and finite, got 0", Assert.ThrowsAny<ArgumentException>(() => new MixUp(0, 10)).Message);
        Assert.Contains("CutMix: numClasses must be positive, got 0", Assert.ThrowsAny<ArgumentException>(() => new CutMix(1, 0)).Message);
        Assert.Contains("CutMix: images must be at least 1×1, got 0×4", Assert.Throws<ArgumentException>(() => new CutMix(1, 2).Box(0, 4, new Generator(1))).Message);
        var batch = ConstantBatch(2, 1, 2, 2, 3);
        Assert.Contains("MixUp: class index 7 is not an integer in [0, 3)",
            Assert.Throws<ArgumentException>(() => new MixUp(1, 3).Apply(batch with { Targets = Tensor.FromArray([0, 7], 2) }, new Generator(1))).Message);
        Assert.Contains("got shape [3]",
            Assert.Throws<ArgumentException>(() => new MixUp(1, 3).Apply(batch with { Targets = Tensor.FromArray([0, 1, 2], 3) }, new Generator(1))).Message);
        Assert.Contains("CutMix: inputs must be images [N, C, H, W], got shape [2, 4]",
            Assert.Throws<ArgumentException>(() => new CutMix(1, 3).Apply(new Batch(Tensor.Zeros(2, 4), Tensor.Zeros(2)), new Generator(1))).Message);
    }
    /// <summary>Tags a batch with its index, to count which transform ran.</summary>
    sealed class Tag(float value) : IBatchTransform
    {
        public Batch Apply(Batch batch, Generator generator) => new(Tensor.FromArray([value], 1), batch.Targets);
    }

    [Fact]
    public void RandomChoicePicksEachTransformWithItsProbability()
    {
        // 30,000 batches, weights 1 : 0 : 3 (normalized to 0.25, 0, 0.75): each share within 5 standard errors
        var choice = new RandomChoice([new Tag(0), new Tag(1), new Tag(2)], [1, 0, 3]);
        Assert.Equal([0.25, 0, 0.75], choice.P);
        var g = new Generator(5);
        var batch = new Batch(Tensor.FromArray([0f], 1), Tensor.FromArray([0f], 1));
        var counts = new int[3];
        const int N = 30000;
        for (int i = 0; i < N; i++) counts[(int)choice.Apply(batch, g).Inputs.Span[0]]++;
        double se = Math.Sqrt(0.25 * 0.75 / N);
        Assert.InRange(counts[0] / (double)N, 0.25 - 5 * se, 0.25 + 5 * se);
        Assert.Equal(0, counts[1]);
        // equal by default; MixUp and CutMix behind it keep their soft targets
        var mix = new RandomChoice([new CutMix(1f, 3), new MixUp(0.2f, 3)]);
        Assert.Equal([0.5, 0.5], mix.P);
        var mixed = mix.Apply(new Batch(Tensor.RandU([4, 1, 4, 4], new Generator(1)), Tensor.FromArray([0f, 1, 2, 1], 4)), new Generator(2));
        Assert.Equal([4, 3], mixed.Targets.Shape);
    }

    [Fact]
    public void RandomChoiceRefusesBadProbabilities()
    {
        string Error(Action a) => Assert.ThrowsAny<ArgumentException>(a).Message;
        Assert.Contains("RandomChoice: 1 probabilities for 2 transforms", Error(() => new RandomChoice([new Tag(0), new Tag(1)], [1])));
        Assert.Contains("must be finite, non-negative and not all 0, got [0, 0]", Error(() => new RandomChoice([new Tag(0), new Tag(1)], [0, 0])));
        Assert.Contains("needs at least one transform", Error(() => new RandomChoice([])));
        Assert.Contains("transform 1 is null", Error(() => new RandomChoice([new Tag(0), null!])));
    }
}
