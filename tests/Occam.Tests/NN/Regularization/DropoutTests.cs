using Occam.NN;

namespace Occam.Tests.NN.Regularization;

public class DropoutTests
{
    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.3f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void TrainingDropsAFractionPAndKeepsTheMean(float p)
    {
        var x = Tensor.Ones(100_000);
        var y = new Dropout(p, new Generator(7)).Forward(x).ToArray();
        double zeros = y.Count(v => v == 0) / (double)y.Length;
        double sd = Math.Sqrt(p * (1 - p) / y.Length);
        Assert.InRange(zeros, p - 5 * sd, p + 5 * sd);
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / (1 - p)) < 1e-5));
        Assert.InRange(y.Average(), 1 - 5 * sd / (1 - p), 1 + 5 * sd / (1 - p)); // E[y] = x
    }

    [Fact]
    public void EvalIsTheIdentity()
    {
        var x = Tensor.RandN([4, 5], new Generator(1));
        var d = new Dropout(0.5f, new Generator(2));
        d.Eval();
        Assert.Same(x, d.Forward(x));
    }

    [Fact]
    public void PZeroIsTheIdentityAndPOneGivesZeros()
    {
        var x = Tensor.RandN([4, 5], new Generator(1));
        Assert.Equal(x.ToArray(), new Dropout(0f).Forward(x).ToArray());
        Assert.All(new Dropout(1f).Forward(x).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void GradientFlowsOnlyThroughKeptUnitsWithTheSameScale()
    {
        var x = Tensor.RandN([50], new Generator(3));
        x.RequiresGrad = true;
        var y = new Dropout(0.4f, new Generator(4)).Forward(x);
        var yv = y.ToArray();
        var xv = x.ToArray();
        y.Sum().Backward();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < 50; i++) Assert.Equal(yv[i] == 0 ? 0f : 1f / 0.6f, g[i], 5);
        for (int i = 0; i < 50; i++) if (yv[i] != 0) Assert.Equal(xv[i] / 0.6f, yv[i], 5);
    }

    [Fact]
    public void SameSeedSameMask()
    {
        var x = Tensor.Ones(64);
        Assert.Equal(new Dropout(0.5f, new Generator(11)).Forward(x).ToArray(), new Dropout(0.5f, new Generator(11)).Forward(x).ToArray());
        Assert.NotEqual(new Dropout(0.5f, new Generator(11)).Forward(x).ToArray(), new Dropout(0.5f, new Generator(12)).Forward(x).ToArray());
    }
}
