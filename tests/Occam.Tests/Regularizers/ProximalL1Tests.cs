using Occam.NN;
using Occam.Optim;

namespace Occam.Tests.Regularizers;

using Occam.Regularizers;

/// <summary>The point of proximal L1: soft-thresholding after each step lands irrelevant weights on exact zeros,
/// while the same λ as a loss penalty (subgradient λ·sign(w)) only makes them hover around zero.</summary>
public class ProximalL1Tests
{
    static readonly float[] WTrue = [1.5f, -2.0f, 0.0f, 2.5f, 0.0f];
    const double Lr = 0.05, Lambda = 0.1;

    static float[] Train(bool proximal)
    {
        var gen = new Generator(42);
        var x = Tensor.RandN([200, 5], gen);
        var y = Functional.Linear(x, Tensor.FromArray(WTrue, 1, 5));   // [200, 1]
        var w = new Parameter(Tensor.RandN([1, 5], gen, std: 0.1f));
        var opt = new SGD([w], lr: Lr, l1Proximal: proximal ? Lambda : 0);
        var l1 = new L1(Lambda);
        for (int step = 0; step < 500; step++)
        {
            opt.ZeroGrad();
            var err = Functional.Linear(x, w) - y;
            var loss = (err * err).Mean();
            if (!proximal) loss = loss + l1.Penalty(w);
            loss.Backward();
            opt.Step();
        }
        return w.ToArray();
    }

    [Fact]
    public void ProximalL1GivesExactZeros()
    {
        var w = Train(proximal: true);
        Assert.Equal(0f, w[2]);
        Assert.Equal(0f, w[4]);
        foreach (int i in new[] { 0, 1, 3 }) Assert.True(Math.Abs(w[i] - WTrue[i]) < 0.1, $"w[{i}] = {w[i]}, true {WTrue[i]}");
    }

    [Fact]
    public void TheNoDecayGroupIsExemptFromTheProximalStep()
    {
        // AdamW + ExcludeBiasAndNorm + l1Proximal: the weights are thresholded, biases and the batch norm's γ and β are not
        var model = new Sequential(new Linear(4, 4, generator: new Generator(1)), new BatchNorm1d(4));
        var opt = new AdamW(model.ParameterGroups(DecayPolicy.ExcludeBiasAndNorm), lr: 0.1, l1Proximal: 10);
        model.Train();
        opt.ZeroGrad();
        model.Forward(Tensor.RandN([8, 4], new Generator(2))).Sum().Backward();
        opt.Step();
        var p = model.NamedParameters().ToDictionary(np => np.Name, np => np.Parameter.ToArray());
        Assert.All(p["0.weight"], v => Assert.Equal(0f, v));            // |w| < lr·λ = 1: all exactly zero
        Assert.Contains(p["1.weight"], v => v != 0);                     // γ kept
        Assert.Contains(p["0.bias"], v => v != 0);
        var audit = DecayAudit.Of(opt, model);
        Assert.Equal(10, audit.Rows.Single(r => r.Name == "0.weight").L1Proximal);
        Assert.Equal(0, audit.Rows.Single(r => r.Name == "1.weight").L1Proximal);
        Assert.Contains("l1 prox", audit.ToString());
        // a group may set its own strength
        var group = new ParameterGroup(new Linear(2, 2).Parameters(), "g", l1Proximal: 0.5);
        Assert.Equal(0.5, new SGD([group], lr: 0.1, l1Proximal: 3).Groups[0].L1Proximal);
    }

    [Fact]
    public void SubgradientL1OnlyHoversNearZero()
    {
        var w = Train(proximal: false);
        Assert.All(w, v => Assert.NotEqual(0f, v));
        Assert.True(Math.Abs(w[2]) < 0.02 && Math.Abs(w[4]) < 0.02, $"w = [{string.Join(", ", w)}]");
        foreach (int i in new[] { 0, 1, 3 }) Assert.True(Math.Abs(w[i] - WTrue[i]) < 0.1, $"w[{i}] = {w[i]}, true {WTrue[i]}");
    }

    /// <summary>The vectorized soft threshold gives the scalar rule's bits at every position of odd lengths: weights
    /// beyond, at and within the threshold of either sign, ±0 (to +0), NaN (to +0), infinities and subnormals.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(37)]
    [InlineData(1000)]
    public void SoftThresholdMatchesTheScalarRule(int length)
    {
        const float t = 0.25f;
        float[] special = [0.25f, -0.25f, 0.2500001f, -0.2499999f, 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-40f, -1e-40f];
        var random = new Random(7);
        var w = new float[length];
        for (int i = 0; i < length; i++) w[i] = i % 3 == 0 ? special[i / 3 % special.Length] : (float)(random.NextDouble() - 0.5);
        var expected = w.Select(v => MathF.Abs(v) - t is var a && a > 0 ? MathF.CopySign(a, v) : 0f).ToArray();
        Optimizer.SoftThreshold(w, t);
        for (int i = 0; i < length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(w[i]), $"[{i}]: {w[i]}, expected {expected[i]}");
    }
}
